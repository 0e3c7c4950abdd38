import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cgiEnv, parseCgiHead, startGitHttp } from '../../../scripts/lib/gitops/git-http.ts';

// The GitOps controllers' Git server: real git clients against git http-backend behind it.

const run = promisify(execFile);
const git = (cwd: string, ...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd });
const http = suite('the loopback Git server');

let dir = '';
let base = '';
let close: () => Promise<void> = async () => {};

http.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'git-http-'));
  await run('git', ['init', '-q', '-b', 'main', join(dir, 'work')]);
  await writeFile(join(dir, 'work', 'kustomization.yaml'), 'resources: []\n');
  await git(join(dir, 'work'), 'add', '.');
  await git(join(dir, 'work'), 'commit', '-q', '-m', 'first');
  await run('git', ['clone', '-q', '--bare', join(dir, 'work'), join(dir, 'root', 'inferscale.git')]);
  const server = await startGitHttp({ root: join(dir, 'root'), port: 0 });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

http.after(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

http('serves a clone of the bare repository over smart HTTP, protocol v2', async () => {
  await run('git', ['-c', 'protocol.version=2', 'clone', '-q', `${base}/inferscale.git`, join(dir, 'clone')]);
  assert.is(await readFile(join(dir, 'clone', 'kustomization.yaml'), 'utf8'), 'resources: []\n');
});

http('serves a commit made to the repository on disk at the next fetch', async () => {
  const work = join(dir, 'work');
  await writeFile(join(work, 'new.yaml'), 'kind: ConfigMap\n');
  await git(work, 'add', '.');
  await git(work, 'commit', '-q', '-m', 'second');
  await git(work, 'push', '-q', join(dir, 'root', 'inferscale.git'), 'main');
  await git(join(dir, 'clone'), 'pull', '-q', '--ff-only');
  const head = (await git(work, 'rev-parse', 'HEAD')).stdout.trim();
  assert.is((await git(join(dir, 'clone'), 'rev-parse', 'HEAD')).stdout.trim(), head);
});

http('refuses a push with 403 and one sentence', async () => {
  const res = await fetch(`${base}/inferscale.git/info/refs?service=git-receive-pack`);
  assert.is(res.status, 403);
  assert.match(await res.text(), /read-only/);
  const pushed = await git(join(dir, 'clone'), 'push', '-q', 'origin', 'HEAD:refs/heads/other').then(() => true, () => false);
  assert.not.ok(pushed);
});

http('answers 404 for a repository it does not hold and 400 for a path with ..', async () => {
  assert.is((await fetch(`${base}/missing.git/info/refs?service=git-upload-pack`)).status, 404);
  // fetch() would resolve the dots; a raw request sends them as written.
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const req = request(`${base}/`, { path: '/inferscale.git/../../etc/info/refs?service=git-upload-pack' }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
  assert.is(status, 400);
});

http('passes the request to git http-backend as CGI', () => {
  const env = cgiEnv({ method: 'POST', url: '/inferscale.git/git-upload-pack?x=1', headers: { 'content-type': 'application/x-git-upload-pack-request', 'git-protocol': 'version=2' } }, '/srv');
  assert.equal([env.REQUEST_METHOD, env.PATH_INFO, env.QUERY_STRING, env.GIT_PROJECT_ROOT, env.GIT_PROTOCOL], ['POST', '/inferscale.git/git-upload-pack', 'x=1', '/srv', 'version=2']);
  assert.equal(parseCgiHead('Status: 404 Not Found\r\nContent-Type: text/plain'), { status: 404, headers: [['Content-Type', 'text/plain']] });
});

http.run();
