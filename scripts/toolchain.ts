import { parseFlags, runMain, scriptArgv } from './lib/cli.ts';
import { LocalProvider } from './lib/cluster/local.ts';
import { clusterPaths } from './lib/cluster/embedded/paths.ts';
import { GITOPS_BUILDS, parseGitOps } from './lib/cluster/gitops-tools.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/toolchain.ts [--gitops flux|argocd] [--keda] [--helm]

Installs the Debian packages and builds the Go components the embedded cluster needs
(Kubernetes, etcd, Prometheus, prometheus-adapter, metrics-server, the load driver) into version-keyed cache folders, without
starting anything. Cached components are not rebuilt. Versions: scripts/lib/cluster/versions.ts.
Cache folder: $INFERSCALE_CACHE (default ~/.cache/inferscale).

  --gitops flux     also Flux's source- and kustomize-controller
  --gitops argocd   also Argo CD's controller and repo-server, and kustomize
  --keda            also KEDA's operator and metrics API server (about 6 to 9 minutes cold),
                    which an overlay with a ScaledObject (overlays/local-keda) runs on
  --helm            also helm, which the cluster tests install a release of their own with
                    (bootstrap --provider existing must refuse to overwrite it)
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { gitops: { type: 'string' }, keda: { type: 'boolean' }, helm: { type: 'boolean' } }, usage);
  const gitops = parseGitOps(flags.gitops);
  const provider = new LocalProvider({ $: sh, paths: clusterPaths(), log: (l) => process.stderr.write(`${l}\n`) });
  await provider.prepare([...(gitops ? GITOPS_BUILDS[gitops] : []), ...(flags.keda ? (['keda'] as const) : []), ...(flags.helm ? (['helm'] as const) : [])]);
  for (const b of provider.timings.builds) {
    process.stdout.write(`${b.component} ${b.version}: ${b.cached ? 'cached, built' : 'built'} in ${b.seconds.toFixed(1)} s\n`);
  }
});
