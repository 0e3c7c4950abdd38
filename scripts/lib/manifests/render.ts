import { parseAllDocuments } from 'yaml';
import type { Sh } from '../shell.ts';
import { isKObject, type KObject } from './objects.ts';

export interface Rendered {
  objects: KObject[];
  /** Lines kustomize printed on stderr: deprecations and other warnings. */
  warnings: string[];
}

export class RenderError extends Error {}

/** `kubectl kustomize <dir>`, parsed. A failed build throws RenderError with kustomize's reason. */
export async function renderOverlay($: Sh, dir: string): Promise<Rendered> {
  const out = await $({ nothrow: true })`kubectl kustomize ${dir}`;
  if (out.exitCode !== 0) {
    const last = out.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${out.exitCode}`;
    // kubectl wraps the reason in a klog line: keep only err="...".
    const reason = /err="(.*)"\s*$/.exec(last)?.[1]?.replace(/\\"/g, '"') ?? last.replace(/^error: /, '');
    throw new RenderError(reason);
  }
  const warnings = out.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return { objects: parseObjects(out.stdout), warnings };
}

export function parseObjects(text: string): KObject[] {
  const objects: KObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new RenderError(doc.errors[0]?.message ?? 'invalid YAML');
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (!isKObject(value)) throw new RenderError('a rendered document is not a Kubernetes object');
    objects.push(value);
  }
  return objects;
}
