import { parseFlags, runMain, scriptArgv } from './lib/cli.ts';
import { makeProvider, parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/teardown.ts [--provider ${PROVIDERS.join('|')}]

Stops the cluster bootstrap started, in reverse order, and removes its mounts, network
interfaces, iptables rules and state. Caches (built binaries, PKI) stay. Running it twice
is fine. The default provider is local.
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { provider: { type: 'string' } }, usage);
  const provider = makeProvider(parseProvider(flags.provider) ?? 'local', sh, (line) => process.stderr.write(`${line}\n`));
  await provider.teardown();
});
