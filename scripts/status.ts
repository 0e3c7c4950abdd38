import { parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { connect } from './lib/cluster/connect.ts';
import { parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { listApplications, resyncSeconds } from './lib/gitops/argocd.ts';
import { kustomizationWords, listKustomizations } from './lib/gitops/flux.ts';
import { renderOverlay } from './lib/manifests/render.ts';
import { healthy, pipelineStatus, statusWords } from './lib/reconcile/status.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/status.ts --overlay <dir> [--provider ${PROVIDERS.join('|')}]

The metrics pipeline's preflight, in words: for each HPA of the overlay, whether its metric
is listed by the custom metrics API, numeric for every pod and 0 at idle, and what the HPA
says (its conditions, current and desired replicas). Where Flux runs, each Kustomization
too (and each Argo CD Application): Ready or not, why, and the last revision it applied.
Exits 0 only when every HPA's metric is served and numeric for every running pod, the HPA
is scaling on it and every Kustomization and Application is Ready; 1 otherwise, and when
the cluster does not answer.
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { overlay: { type: 'string' }, provider: { type: 'string' } }, usage);
  if (!flags.overlay) throw new UsageError('--overlay is required. Run with --help for usage.');
  const { kc } = await connect(sh, parseProvider(flags.provider), (l) => process.stderr.write(`${l}\n`));
  const { objects } = await renderOverlay(sh, flags.overlay);
  const statuses = await pipelineStatus(kc, objects);
  for (const s of statuses) for (const line of statusWords(s)) process.stdout.write(`${line}\n`);
  const kustomizations = (await listKustomizations(kc)) ?? [];
  for (const k of kustomizations) process.stdout.write(`${kustomizationWords(k)}\n`);
  const applications = (await listApplications(kc, await resyncSeconds(kc))) ?? [];
  for (const a of applications) process.stdout.write(`${a.words}\n`);
  return statuses.every(healthy) && kustomizations.every((k) => k.ready === 'True') && applications.every((a) => a.ok) ? 0 : 1;
});
