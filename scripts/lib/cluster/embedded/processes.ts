import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { InterruptedError, UserError } from '../../cli.ts';
import { tail } from '../../shell.ts';
import { waitFor, waitOrUndefined } from '../../wait.ts';
import type { ClusterPaths } from './paths.ts';

// Host daemons of the embedded cluster: started detached (they outlive the bootstrap
// script), logs and pid files in the state and run folders, stopped by pid.

export interface Daemon {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the daemon serves; polled until it does. */
  healthy: () => Promise<boolean>;
}

const pidFile = (paths: ClusterPaths, name: string) => join(paths.pids, `${name}.pid`);
export const logFile = (paths: ClusterPaths, name: string) => join(paths.logs, `${name}.log`);

/** True while the process exists and is not a zombie (init may reap our detached daemons late). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The pid of a running daemon of ours, or undefined (a stale pid file is removed). */
export async function runningPid(paths: ClusterPaths, name: string): Promise<number | undefined> {
  const text = await readFile(pidFile(paths, name), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!pid) return undefined;
  // A reused pid belongs to someone else: ours carry their name on the command line.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (alive(pid) && cmdline.includes(name)) return pid;
  await rm(pidFile(paths, name), { force: true });
  return undefined;
}

export async function startDaemon(paths: ClusterPaths, d: Daemon): Promise<{ pid: number; started: boolean }> {
  const existing = await runningPid(paths, d.name);
  if (existing) return { pid: existing, started: false };
  await mkdir(paths.logs, { recursive: true });
  await mkdir(paths.pids, { recursive: true });
  const fd = openSync(logFile(paths, d.name), 'a');
  const child = spawn(d.command, d.args, { detached: true, stdio: ['ignore', fd, fd], env: d.env ?? process.env });
  closeSync(fd);
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid as number));
    child.once('error', (e) => reject(new UserError(`cannot start ${d.name} (${d.command}): ${e.message}`)));
  });
  child.unref();
  await writeFile(pidFile(paths, d.name), `${pid}\n`);
  return { pid, started: true };
}

export async function waitHealthy(paths: ClusterPaths, d: Daemon, timeoutMs: number, interrupted: () => boolean = () => false): Promise<void> {
  const logEnd = async (): Promise<string> => `the end of ${logFile(paths, d.name)}:\n${tail(await readFile(logFile(paths, d.name), 'utf8').catch(() => ''), 15)}`;
  const healthy = await waitOrUndefined(`${d.name} to turn healthy`, timeoutMs, async () => {
    if (interrupted()) throw new InterruptedError(`interrupted while ${d.name} was starting`);
    if (!(await runningPid(paths, d.name))) throw new UserError(`${d.name} exited while starting; ${await logEnd()}`);
    return (await d.healthy().catch(() => false)) ? true : undefined;
  });
  if (!healthy) throw new UserError(`${d.name} did not turn healthy within ${timeoutMs / 1000} s; ${await logEnd()}`);
}

/** SIGTERM, then SIGKILL after the timeout. Resolves true if a daemon was running. */
export async function stopDaemon(paths: ClusterPaths, name: string, timeoutMs = 10_000): Promise<boolean> {
  const pid = await runningPid(paths, name);
  if (!pid) return false;
  process.kill(pid, 'SIGTERM');
  const gone = () => (alive(pid) ? undefined : true);
  if (!(await waitOrUndefined(`${name} to exit`, timeoutMs, gone))) {
    process.kill(pid, 'SIGKILL');
    await waitFor(`${name} to exit after SIGKILL`, timeoutMs, gone);
  }
  await rm(pidFile(paths, name), { force: true });
  return true;
}

export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Health endpoints of the local control plane use self-signed serving certs. */
  insecure?: boolean;
}

/** GET url; resolves with the status code (0 when it could not connect). */
export function httpStatus(url: string, tls: TlsOptions = {}, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const isHttps = url.startsWith('https:');
    const options = isHttps ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: timeoutMs } : { timeout: timeoutMs };
    const req = (isHttps ? httpsRequest : httpRequest)(url, options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}
