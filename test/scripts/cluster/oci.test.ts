import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { buildImageArchive, layerTar, type ImageSpec } from '../../../scripts/lib/cluster/embedded/oci.ts';

const oci = suite('the OCI image archive builder');

const spec = (content: string): ImageSpec => ({
  name: 'docker.io/example/app:1.0',
  entrypoint: ['/bin/app'],
  user: '10001:10001',
  entries: [
    { path: 'bin/app', type: 'file', mode: 0o755, content: Buffer.from(content) },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
  ],
});

async function entries(tar: Buffer): Promise<{ name: string; mtime: number; uid: number; body: Buffer }[]> {
  const out: { name: string; mtime: number; uid: number; body: Buffer }[] = [];
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({ name: header.name, mtime: header.mtime?.getTime() ?? -1, uid: header.uid ?? -1, body: Buffer.concat(chunks) });
      next();
    });
  });
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  Readable.from([tar]).pipe(ex);
  await done;
  return out;
}

oci('gives the same digest for the same inputs and another for other inputs', async () => {
  const a = await buildImageArchive(spec('one'));
  const b = await buildImageArchive(spec('one'));
  const c = await buildImageArchive(spec('two'));
  assert.is(a.digest, b.digest);
  assert.ok(a.archive.equals(b.archive));
  assert.is.not(a.digest, c.digest);
});

oci('writes layers with sorted names, parents first, mtime 0 and owner 0', async () => {
  const layer = await layerTar([
    { path: 'usr/local/bin/node', type: 'file', mode: 0o755, content: Buffer.from('x') },
    { path: 'app/main.js', type: 'file', mode: 0o644, content: Buffer.from('y') },
  ]);
  const listed = await entries(layer);
  assert.equal(listed.map((e) => e.name), ['app/', 'app/main.js', 'usr/', 'usr/local/', 'usr/local/bin/', 'usr/local/bin/node']);
  assert.ok(listed.every((e) => e.mtime === 0 && e.uid === 0));
});

oci('names the image in index.json for containerd and lays out blobs by digest', async () => {
  const { archive, digest } = await buildImageArchive(spec('one'));
  const listed = await entries(archive);
  const index = JSON.parse(listed.find((e) => e.name === 'index.json')?.body.toString() ?? '{}') as {
    manifests: { digest: string; annotations: Record<string, string> }[];
  };
  assert.is(index.manifests[0]?.digest, digest);
  assert.is(index.manifests[0]?.annotations['io.containerd.image.name'], 'docker.io/example/app:1.0');
  assert.is(index.manifests[0]?.annotations['org.opencontainers.image.ref.name'], '1.0');
  assert.ok(listed.some((e) => e.name === `blobs/sha256/${digest.slice(7)}`));
  assert.ok(listed.some((e) => e.name === 'oci-layout'));
});

oci.run();
