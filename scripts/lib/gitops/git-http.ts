import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// Git's smart-HTTP protocol on loopback, for the GitOps controllers of the embedded cluster:
// `git http-backend` (the CGI program that ships with git and that every Git server wraps)
// behind a small Node server of ours. Read-only: only git-upload-pack is served, so Flux
// and Argo CD clone and fetch; commits reach the repository through its path on disk.

export interface GitHttpOptions {
  /** The folder holding the bare repositories, e.g. <root>/inferscale.git. */
  root: string;
  port: number;
  host?: string;
}

/** CGI's environment for one request (RFC 3875), as git http-backend reads it. */
export function cgiEnv(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, root: string): NodeJS.ProcessEnv {
  const url = new URL(req.url ?? '/', 'http://git.invalid');
  const header = (name: string): string => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(', ') : (v ?? '');
  };
  return {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: header('content-type'),
    CONTENT_LENGTH: header('content-length'),
    HTTP_CONTENT_ENCODING: header('content-encoding'),
    // Protocol v2, which Flux's go-git and git itself ask for.
    GIT_PROTOCOL: header('git-protocol'),
    REMOTE_ADDR: '127.0.0.1',
  };
}

/** Splits a CGI answer into its status, headers and the bytes after the blank line. */
export function parseCgiHead(head: string): { status: number; headers: [string, string][] } {
  let status = 200;
  const headers: [string, string][] = [];
  for (const line of head.split(/\r?\n/).filter(Boolean)) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const name = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers.push([name, value]);
  }
  return { status, headers };
}

function refuse(res: ServerResponse, status: number, sentence: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${sentence}\n`);
}

function handle(req: IncomingMessage, res: ServerResponse, root: string): void {
  const url = new URL(req.url ?? '/', 'http://git.invalid');
  const service = url.searchParams.get('service');
  if (url.pathname.endsWith('/git-receive-pack') || service === 'git-receive-pack') {
    refuse(res, 403, 'this server is read-only: commit to the repository on disk.');
    return;
  }
  // new URL() resolves dot segments: the raw request line is what must be checked.
  if (decodeURIComponent((req.url ?? '').split('?')[0] ?? '').split('/').includes('..')) {
    refuse(res, 400, 'a path with ".." is not served.');
    return;
  }
  const cgi = spawn('git', ['http-backend'], { env: cgiEnv(req, root), stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(cgi.stdin);
  cgi.stdin.on('error', () => {});
  let head = Buffer.alloc(0);
  let headDone = false;
  let stderr = '';
  cgi.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    if (end < 0) return;
    const sep = text.slice(end).match(/^\r?\n\r?\n/)?.[0].length ?? 2;
    const { status, headers } = parseCgiHead(text.slice(0, end));
    res.statusCode = status;
    for (const [name, value] of headers) res.setHeader(name, value);
    headDone = true;
    res.write(head.subarray(end + sep));
  });
  cgi.on('close', (code) => {
    if (!headDone) refuse(res, 500, `git http-backend exited ${code} without an answer: ${stderr.trim().split('\n')[0] ?? ''}`);
    else res.end();
  });
  cgi.on('error', (e) => {
    if (!headDone) refuse(res, 500, `cannot run git http-backend: ${e.message}`);
  });
  res.on('close', () => cgi.kill());
}

/** Serves every bare repository under `root`; resolves once it listens. */
export async function startGitHttp(o: GitHttpOptions): Promise<Server> {
  const server = createServer((req, res) => handle(req, res, o.root));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}
