import { parseFlags, runMain, scriptArgv } from './lib/cli.ts';
import { LocalProvider } from './lib/cluster/local.ts';
import { clusterPaths } from './lib/cluster/embedded/paths.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/toolchain.ts

Installs the Debian packages and builds the Go components the embedded cluster needs
(Kubernetes, etcd, prometheus-adapter, k6) into version-keyed cache folders, without
starting anything. Cached components are not rebuilt. Versions: scripts/lib/cluster/versions.ts.
Cache folder: $INFERSCALE_CACHE (default ~/.cache/inferscale).
`;

await runMain(async () => {
  parseFlags(scriptArgv(import.meta.url), {}, usage);
  const provider = new LocalProvider({ $: sh, paths: clusterPaths(), log: (l) => process.stderr.write(`${l}\n`) });
  await provider.prepare();
  for (const b of provider.timings.builds) {
    process.stdout.write(`${b.component} ${b.version}: ${b.cached ? 'cached' : 'built'} (${b.seconds.toFixed(1)} s)\n`);
  }
});
