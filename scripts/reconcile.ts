import { numberFlag, parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { connect } from './lib/cluster/connect.ts';
import { parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { runReconcile } from './lib/reconcile/command.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/reconcile.ts --overlay <dir> [--dry-run] [--timeout <seconds>] [--provider ${PROVIDERS.join('|')}]

Renders the overlay with kubectl kustomize, validates it (nothing is applied on error),
applies it server-side with the field manager "inferscale" (namespaces and CRDs first),
prunes the objects it applied before that have left Git (ApplySet labels; objects it did
not create are never touched), and waits for health: rollout complete, the custom metrics
APIService Available, the HPA's metric served for every pod, HPA ScalingActive=True.
spec.replicas is never set: the HPA owns it.

  --overlay <dir>      the overlay to reconcile (required)
  --dry-run            print the diff against the cluster and change nothing
  --timeout <seconds>  how long each health gate may take (default 120)
  --provider <name>    the cluster (default: the embedded cluster if it runs, else the current context)
`;

await runMain(async () => {
  const flags = parseFlags(
    scriptArgv(import.meta.url),
    { overlay: { type: 'string' }, 'dry-run': { type: 'boolean' }, timeout: { type: 'string' }, provider: { type: 'string' } },
    usage,
  );
  if (!flags.overlay) throw new UsageError('--overlay is required. Run with --help for usage.');
  const timeout = numberFlag('timeout', flags.timeout ?? '120', { positive: true, what: 'number of seconds' });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const { kc, provider } = await connect(sh, parseProvider(flags.provider), log);
  await runReconcile({ $: sh, kc, overlay: flags.overlay, dryRun: Boolean(flags['dry-run']), timeoutMs: timeout * 1000, provider, out: (l) => process.stdout.write(`${l}\n`) });
});
