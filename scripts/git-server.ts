import { numberFlag, parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { startGitHttp } from './lib/gitops/git-http.ts';

const usage = `
Usage: npx zx scripts/git-server.ts --root <dir> --port <port>

Serves the bare Git repositories under --root over Git's smart-HTTP protocol on
127.0.0.1:<port>, read-only (clone and fetch), through git http-backend. bootstrap.ts
--gitops flux starts it for the GitOps controllers of the embedded cluster; it runs until
stopped.

  --root <dir>   the folder holding <name>.git bare repositories
  --port <port>  the loopback port to listen on
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { root: { type: 'string' }, port: { type: 'string' } }, usage);
  if (!flags.root || !flags.port) throw new UsageError('--root and --port are required. Run with --help for usage.');
  const port = numberFlag('port', flags.port, { positive: true, what: 'port number' });
  await startGitHttp({ root: flags.root, port });
  process.stderr.write(`serving ${flags.root} on http://127.0.0.1:${port}/\n`);
  await new Promise(() => {});
});
