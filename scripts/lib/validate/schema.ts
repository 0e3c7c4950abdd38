import { describe, type KObject } from '../manifests/objects.ts';
import type { Finding } from './findings.ts';
import { crdCheck } from './crds.ts';

// kubernetes-models ships one module per apiVersion/kind; the CRD packages follow the same
// layout. The first package that has the kind validates it.
const PACKAGES = [
  'kubernetes-models',
  '@kubernetes-models/prometheus-operator',
  '@kubernetes-models/flux-cd',
  '@kubernetes-models/argo-cd',
];

interface Model {
  new (data: unknown): { validate(): void };
}

const cache = new Map<string, Model | null>();

async function modelFor(apiVersion: string, kind: string): Promise<Model | null> {
  const key = `${apiVersion}/${kind}`;
  if (cache.has(key)) return cache.get(key) ?? null;
  let found: Model | null = null;
  for (const pkg of PACKAGES) {
    try {
      const mod = (await import(`${pkg}/${apiVersion}/${kind}`)) as Record<string, Model>;
      found = mod[kind] ?? null;
      if (found) break;
    } catch {
      // not in this package
    }
  }
  cache.set(key, found);
  return found;
}

export async function schemaFindings(file: string, objects: KObject[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const obj of objects) {
    const model = await modelFor(obj.apiVersion, obj.kind);
    if (!model) {
      const check = await crdCheck(obj.apiVersion, obj.kind);
      const message = check?.(obj);
      if (check && message) findings.push({ phase: 'schema', file, object: describe(obj), message });
      if (check) continue;
      findings.push({ phase: 'schema', file, object: describe(obj), message: `no schema known for ${obj.apiVersion} ${obj.kind}` });
      continue;
    }
    try {
      new model(obj).validate();
    } catch (error) {
      const message = (error as Error).message.split('\n')[0]?.replace(/^data\//, '') ?? 'invalid';
      findings.push({ phase: 'schema', file, object: describe(obj), message });
    }
  }
  return findings;
}
