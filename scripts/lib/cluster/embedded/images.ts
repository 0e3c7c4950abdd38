import { mkdir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../cli.ts';
import { BUNDLE_DIR, bundleInference } from '../../inference-bundle.ts';
import { tail, type Sh } from '../../shell.ts';
import { writeImageArchive, type BuiltImage, type LayerEntry } from './oci.ts';
import type { ClusterPaths } from './paths.ts';
import { INFERENCE_IMAGE, PAUSE_IMAGE } from '../versions.ts';

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

/** The inference image: the node binary, its shared libraries and the bundled service. */
export async function buildInferenceImage($: Sh, paths: ClusterPaths): Promise<{ path: string; image: BuiltImage }> {
  await mkdir(paths.images, { recursive: true });
  await bundleInference();
  const node = await realpath(process.execPath);
  const entries: LayerEntry[] = [{ path: 'usr/local/bin/node', type: 'file', mode: 0o755, content: await readFile(node) }];
  for (const lib of await sharedLibraries($, node)) {
    entries.push({ path: lib, type: 'file', mode: 0o755, content: await readFile(await realpath(lib)) });
  }
  for (const file of ['main.js', 'worker.js']) {
    entries.push({ path: `app/${file}`, type: 'file', mode: 0o644, content: await readFile(join(BUNDLE_DIR, file)) });
  }
  entries.push({ path: 'tmp', type: 'dir', mode: 0o1777 });
  const path = join(paths.images, 'inference.oci.tar');
  const image = await writeImageArchive(
    {
      // The CRI looks images up by their fully qualified name.
      name: `docker.io/${INFERENCE_IMAGE}`,
      entrypoint: ['/usr/local/bin/node', '/app/main.js'],
      user: '10001:10001',
      workdir: '/app',
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production'],
      entries,
    },
    path,
  );
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
