import { parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { defaultProvider, makeProvider, parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { bootstrapCluster } from './lib/bootstrap.ts';
import { parseGitOps } from './lib/cluster/gitops-tools.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/bootstrap.ts [--provider ${PROVIDERS.join('|')}] [--overlay <dir>] [--gitops flux|argocd] [--adopt] [--dry-run]

Creates (or connects to) a cluster, makes the inference image available to it, and
installs the metrics pipeline (Prometheus, prometheus-adapter).

  --provider local     the embedded cluster: a real single-node Kubernetes built from
                       upstream sources and run on this machine (needs root on Linux)
  --provider minikube  minikube start -n 2 --memory 4400, as in the original walkthrough
  --provider existing  the current kube context; never creates or deletes a cluster

Without --provider: existing if the current context answers, else minikube if installed,
else local. Running it again while the cluster runs says so and succeeds.

  --overlay <dir>      the overlay whose ServiceMonitors configure the embedded cluster's
                       host Prometheus (default: overlays/<provider>)
  --gitops flux        then deploy the overlay through Flux: on the embedded cluster,
                       build and start source- and kustomize-controller and a loopback
                       Git server serving this working tree's HEAD, apply
                       gitops/embedded/flux (its source pointed at that server) and wait
                       until Flux has applied the overlay; on minikube, apply
                       gitops/flux/minikube once Flux is installed; on an
                       existing cluster, say what to apply
  --gitops argocd      the same through Argo CD (its application-controller and
                       repo-server, Redis from Debian), gitops/embedded/argocd

On an existing cluster, a Helm release of the charts' names that inferscale did not install
(no inferscale.dev/installed-by label on its records) stops bootstrap with one sentence
naming it; nothing is changed.
  --adopt              upgrade such a release to the pinned chart and values instead
  --dry-run            say what would be installed (charts, versions, releases, values);
                       change nothing
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { provider: { type: 'string' }, overlay: { type: 'string' }, gitops: { type: 'string' }, adopt: { type: 'boolean' }, 'dry-run': { type: 'boolean' } }, usage);
  const gitops = parseGitOps(flags.gitops);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const name = parseProvider(flags.provider) ?? (await defaultProvider(sh));
  if ((flags.adopt || flags['dry-run']) && name !== 'existing') throw new UsageError('--adopt and --dry-run are for --provider existing, whose charts bootstrap installs into a cluster it did not create.');
  if (flags['dry-run'] && gitops) throw new UsageError('--dry-run does not go with --gitops.');
  const provider = makeProvider(name, sh, log, { adopt: flags.adopt, dryRun: flags['dry-run'] });
  const overlay = flags.overlay ?? provider.defaultOverlay;
  const info = await bootstrapCluster(provider, sh, overlay, log, { gitops });
  process.stdout.write(`${info.kubeconfig}\n`);
});
