import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { pack } from 'tar-stream';

// OCI image archives written by hand: deterministic layers (sorted names, mtime 0, uid and
// gid 0), so the same inputs give the same digest and containerd can import them without
// a registry.

export type LayerEntry =
  | { path: string; type: 'file'; mode: number; content: Buffer }
  | { path: string; type: 'dir'; mode: number }
  | { path: string; type: 'symlink'; target: string };

export interface ImageSpec {
  /** name:tag, as pods reference it. */
  name: string;
  entrypoint: string[];
  user?: string;
  workdir?: string;
  env?: string[];
  entries: LayerEntry[];
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function withParents(entries: LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '').replace(/\/+$/, '');
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!byPath.has(dir)) byPath.set(dir, { path: dir, type: 'dir', mode: 0o755 });
    }
    byPath.set(path, { ...e, path });
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function tarOf(files: { name: string; mode?: number; type?: 'file' | 'directory' | 'symlink'; linkname?: string; content?: Buffer }[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    p.on('end', () => resolve(Buffer.concat(chunks)));
    p.on('error', reject);
  });
  for (const f of files) {
    const header = { name: f.name, mode: f.mode ?? 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '', type: f.type ?? 'file', linkname: f.linkname };
    if (f.type === 'file' || f.type === undefined) p.entry({ ...header, size: f.content?.length ?? 0 }, f.content ?? Buffer.alloc(0));
    else p.entry(header);
  }
  p.finalize();
  return done;
}

export function layerTar(entries: LayerEntry[]): Promise<Buffer> {
  return tarOf(
    withParents(entries).map((e) =>
      e.type === 'file'
        ? { name: e.path, mode: e.mode, content: e.content }
        : e.type === 'dir'
          ? { name: `${e.path}/`, mode: e.mode, type: 'directory' as const }
          : { name: e.path, type: 'symlink' as const, linkname: e.target, mode: 0o777 },
    ),
  );
}

export interface BuiltImage {
  archive: Buffer;
  /** The manifest digest: what `ctr images ls` shows for the imported image. */
  digest: string;
}

export async function buildImageArchive(spec: ImageSpec): Promise<BuiltImage> {
  const layer = await layerTar(spec.entries);
  const layerDigest = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: spec.entrypoint, User: spec.user, WorkingDir: spec.workdir, Env: spec.env ?? ['PATH=/usr/local/bin:/usr/bin:/bin'] },
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  const digest = sha256(manifest);
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest,
          size: manifest.length,
          annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  const blob = (d: string) => `blobs/sha256/${d.slice('sha256:'.length)}`;
  const archive = await tarOf([
    { name: 'blobs/', type: 'directory', mode: 0o755 },
    { name: 'blobs/sha256/', type: 'directory', mode: 0o755 },
    { name: blob(sha256(config)), content: config },
    { name: blob(layerDigest), content: layer },
    { name: blob(digest), content: manifest },
    { name: 'index.json', content: index },
    { name: 'oci-layout', content: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
  ]);
  return { archive, digest };
}

export async function writeImageArchive(spec: ImageSpec, path: string): Promise<BuiltImage> {
  const built = await buildImageArchive(spec);
  await writeFile(path, built.archive);
  return built;
}
