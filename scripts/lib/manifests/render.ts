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
  if (out.exitCode !== 0) throw new RenderError(kustomizeReason(out.stderr) || `exit code ${out.exitCode}`);
  const warnings = out.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return { objects: parseObjects(out.stdout), warnings };
}

/**
 * kustomize's whole reason, however many lines it spans. kubectl wraps it in a klog line,
 * `E1201 ... run.go:72] "command failed" err="..."` with quotes escaped, or, for a reason of
 * several lines, `err=<` and tab-indented lines; an older kubectl prints `error: ...`.
 */
export function kustomizeReason(stderr: string): string {
  const klog = /"command failed" err="((?:[^"\\]|\\.)*)"/s.exec(stderr);
  if (klog?.[1] !== undefined) return JSON.parse(`"${klog[1]}"`) as string;
  // A reason of several lines: `err=<`, each line indented by a tab, then ` >`.
  const block = /"command failed" err=<\n((?:\t.*\n)*) >/.exec(stderr);
  if (block?.[1] !== undefined) return block[1].replace(/^\t/gm, '').trimEnd();
  return stderr.trim().replace(/^error: /, '');
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
