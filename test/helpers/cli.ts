import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/paths.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ZX = join(REPO_ROOT, 'node_modules', 'zx', 'build', 'cli.js');

/** Runs a repo script the way a user does (`npx zx scripts/<name>.ts`), from the repo root. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ZX, script, ...args], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
