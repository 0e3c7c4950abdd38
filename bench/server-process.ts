import { spawn, type ChildProcess } from 'node:child_process';

/** A server in a process of its own (the benches measure it apart from themselves), once it logs that it listens. */
export async function startServer(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; port: number; metricsPort: number }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve({ child, ...(JSON.parse(line) as { port: number; metricsPort: number }) });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}
