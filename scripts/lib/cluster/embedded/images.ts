import { mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../cli.ts';
import { BUNDLE_DIR, bundleInference } from '../../inference-bundle.ts';
import { tail, type Sh } from '../../shell.ts';
import { writeImageArchive, type BuiltImage, type LayerEntry } from './oci.ts';
import type { ClusterPaths } from './paths.ts';
import { INFERENCE_IMAGE, LLAMA_IMAGE } from '../../manifests/image.ts';
import { PAUSE_IMAGE } from '../versions.ts';
import { repoPath } from '../../paths.ts';

const PAUSE_SOURCE = fileURLToPath(new URL('./pause.c', import.meta.url));

/** The pod sandbox image: our own static pause program. */
export async function buildPauseImage($: Sh, paths: ClusterPaths): Promise<{ path: string; image: BuiltImage }> {
  await mkdir(paths.images, { recursive: true });
  const binary = join(paths.images, 'pause');
  const built = await $({ nothrow: true })`gcc -static -Os -s -o ${binary} ${PAUSE_SOURCE}`;
  if (built.exitCode !== 0) throw new UserError(`gcc could not build the pause program:\n${tail(built.stderr)}`);
  const path = join(paths.images, 'pause.oci.tar');
  const image = await writeImageArchive(
    {
      name: PAUSE_IMAGE,
      entrypoint: ['/pause'],
      user: '65535:65535',
      entries: [{ path: 'pause', type: 'file', mode: 0o755, content: await readFile(binary) }],
    },
    path,
  );
  return { path, image };
}

/** The shared libraries `ldd` lists for a binary, the loader included. */
export async function sharedLibraries($: Sh, binary: string): Promise<string[]> {
  const out = await $`ldd ${binary}`;
  return out.stdout
    .split('\n')
    .map((line) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1])
    .filter((p): p is string => p !== undefined);
}

/** The node binary, the shared libraries it and `natives` load, and the bundled service. */
async function serviceEntries($: Sh, natives: string[] = []): Promise<LayerEntry[]> {
  await bundleInference();
  const node = await realpath(process.execPath);
  const entries: LayerEntry[] = [{ path: 'usr/local/bin/node', type: 'file', mode: 0o755, content: await readFile(node) }];
  const libs = new Set<string>();
  for (const binary of [node, ...natives]) {
    // A native module's own libraries sit beside it (ldd resolves them there): only the system's are added.
    for (const lib of await sharedLibraries($, binary)) if (lib.startsWith('/lib') || lib.startsWith('/usr/lib')) libs.add(lib);
  }
  for (const lib of [...libs].sort()) entries.push({ path: lib, type: 'file', mode: 0o755, content: await readFile(await realpath(lib)) });
  for (const file of ['main.js', 'worker.js']) {
    entries.push({ path: `app/${file}`, type: 'file', mode: 0o644, content: await readFile(join(BUNDLE_DIR, file)) });
  }
  entries.push({ path: 'tmp', type: 'dir', mode: 0o1777 });
  return entries;
}

const serviceImage = (name: string, entries: LayerEntry[], env: string[] = []) => ({
  // The CRI looks images up by their fully qualified name.
  name: `docker.io/${name}`,
  entrypoint: ['/usr/local/bin/node', '/app/main.js'],
  user: '10001:10001',
  workdir: '/app',
  env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production', ...env],
  entries,
});

/** The inference image: the node binary, its shared libraries and the bundled service. */
export async function buildInferenceImage($: Sh, paths: ClusterPaths): Promise<{ path: string; image: BuiltImage }> {
  await mkdir(paths.images, { recursive: true });
  const path = join(paths.images, 'inference.oci.tar');
  const image = await writeImageArchive(serviceImage(INFERENCE_IMAGE, await serviceEntries($)), path);
  return { path, image };
}

/** Every file under a folder (symlinks and .bin folders left out), as image entries under `under`. */
async function treeEntries(root: string, under: string): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  for (const d of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!d.isFile()) continue;
    const rel = relative(root, join(d.parentPath, d.name));
    if (rel.split(sep).includes('.bin')) continue;
    const full = join(d.parentPath, d.name);
    const mode = (await stat(full)).mode & 0o111 ? 0o755 : 0o644;
    entries.push({ path: `${under}/${rel}`, type: 'file', mode, content: await readFile(full) });
  }
  return entries;
}

/** Where the llama image keeps its model. */
export const LLAMA_MODEL_DIR = '/models';

/**
 * The llama engine's image: the service, the llama runtime (inference/node_modules: node-llama-cpp
 * and its linux-x64 CPU binary only) and the model, with the engine chosen in its environment.
 */
export async function buildLlamaImage($: Sh, paths: ClusterPaths, model: string): Promise<{ path: string; image: BuiltImage }> {
  await mkdir(paths.images, { recursive: true });
  const runtime = repoPath('inference/node_modules');
  const addonDir = join(runtime, '@node-llama-cpp/linux-x64/bins/linux-x64');
  const natives = (await readdir(addonDir).catch(() => [])).filter((f) => f.endsWith('.node') || f.endsWith('.so')).map((f) => join(addonDir, f));
  if (natives.length === 0) throw new UserError(`the llama runtime is not installed (no ${addonDir}): run npm ci, which installs inference/'s packages too.`);
  const modelPath = `${LLAMA_MODEL_DIR}/${basename(model)}`;
  const entries = [
    ...(await serviceEntries($, natives)),
    ...(await treeEntries(runtime, 'app/node_modules')),
    { path: modelPath.slice(1), type: 'file' as const, mode: 0o644, content: await readFile(model) },
  ];
  const path = join(paths.images, 'inference-llama.oci.tar');
  const image = await writeImageArchive(serviceImage(LLAMA_IMAGE, entries, ['INFERENCE_ENGINE=llama', `INFERENCE_MODEL_PATH=${modelPath}`, 'HOME=/tmp']), path);
  return { path, image };
}

/** Imports an archive into containerd's k8s.io namespace unless that exact image is there (name fully qualified). */
export async function importImage($: Sh, paths: ClusterPaths, name: string, archive: string, digest: string): Promise<boolean> {
  const ctr = $({ nothrow: true });
  const listed = await ctr`ctr -a ${paths.containerdSocket} -n k8s.io images ls name==${name}`;
  if (listed.stdout.includes(digest)) return false;
  const result = await ctr`ctr -a ${paths.containerdSocket} -n k8s.io images import ${archive}`;
  if (result.exitCode !== 0) throw new UserError(`containerd could not import ${name}:\n${tail(result.stderr)}`);
  return true;
}
