import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { parse } from 'yaml';

// The YAML files an overlay builds from: its kustomization, and everything that names,
// followed into bases and components. `validate --overlay X` parses these and no others,
// so a broken sibling overlay cannot fail an unrelated run.

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

interface Kustomization {
  resources?: string[];
  components?: string[];
  crds?: string[];
  patches?: { path?: string }[];
  patchesStrategicMerge?: string[];
  patchesJson6902?: { path?: string }[];
  configurations?: string[];
  generators?: string[];
  transformers?: string[];
  validators?: string[];
}

const isRemote = (ref: string): boolean => /^[a-z]+:\/\/|^git@|^github\.com\//.test(ref);
const isDir = (path: string): Promise<boolean> => stat(path).then((s) => s.isDirectory(), () => false);

async function kustomizationIn(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const file = join(dir, name);
    if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  }
  return undefined;
}

/** Every local YAML file the kustomization in `dir` reads, relative to root, sorted. */
export async function overlaySources(root: string, dir: string): Promise<string[]> {
  const files = new Set<string>();
  const seen = new Set<string>();
  async function walk(at: string): Promise<void> {
    if (seen.has(at)) return;
    seen.add(at);
    const file = await kustomizationIn(at);
    if (!file) return;
    files.add(file);
    let k: Kustomization | null;
    try {
      k = parse(await readFile(file, 'utf8')) as Kustomization | null;
    } catch {
      return; // the parse phase reports it
    }
    const refs = [
      ...(k?.resources ?? []),
      ...(k?.components ?? []),
      ...(k?.crds ?? []),
      ...(k?.patchesStrategicMerge ?? []),
      ...(k?.configurations ?? []),
      ...(k?.generators ?? []),
      ...(k?.transformers ?? []),
      ...(k?.validators ?? []),
      ...[...(k?.patches ?? []), ...(k?.patchesJson6902 ?? [])].flatMap((p) => (p.path ? [p.path] : [])),
    ].filter((r) => typeof r === 'string' && !isRemote(r));
    for (const ref of refs) {
      const path = join(dirname(file), ref);
      if (await isDir(path)) await walk(path);
      else if (/\.ya?ml$/.test(path) && (await stat(path).then(() => true, () => false))) files.add(path);
    }
  }
  await walk(join(root, dir));
  return [...files].map((f) => relative(root, f)).sort();
}
