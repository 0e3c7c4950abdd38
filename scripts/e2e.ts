import { parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { defaultProvider, makeProvider, parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { runE2E } from './lib/e2e.ts';
import { defaultReportDir, LOAD_FLAGS, LOAD_USAGE, profileFromFlags } from './lib/loadtest/options.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/e2e.ts [--provider ${PROVIDERS.join('|')}] [--overlay <dir>] [--keep] [--gate-timeout <s>] [load flags]
       npm run e2e -- [flags]

The whole proof: bootstrap a cluster, reconcile the overlay, check the metric pipeline,
run the k6 load, assert that replicas rise and settle within the bounds computed from the
rendered HPA, write the report (summary.md, chart.svg, timeline.json), tear down.
Exits 0 only when every assertion holds.

  --provider <name>      local (the embedded cluster), minikube or existing; default:
                         existing if the current context answers, else minikube if
                         installed, else local
  --overlay <dir>        default overlays/<provider> (overlays/cloud for existing)
  --keep                 leave the cluster running
  --gate-timeout <s>     how long each reconcile health gate may take (default 180)${LOAD_USAGE}
`;

function gateTimeout(raw = '180'): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--gate-timeout must be a positive number of seconds, got "${raw}".`);
  return value;
}

await runMain(async () => {
  const flags = parseFlags(
    scriptArgv(import.meta.url),
    { ...LOAD_FLAGS, provider: { type: 'string' }, overlay: { type: 'string' }, keep: { type: 'boolean' }, 'gate-timeout': { type: 'string' } },
    usage,
  );
  const profile = profileFromFlags(flags);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const name = parseProvider(flags.provider) ?? (await defaultProvider(sh));
  log(`provider: ${name}`);
  const provider = makeProvider(name, sh, log);
  const reportDir = flags['report-dir'] ?? defaultReportDir(profile);
  const { report, files } = await runE2E({
    $: sh,
    provider,
    overlay: flags.overlay ?? provider.defaultOverlay,
    profile,
    reportDir,
    targetUrl: flags['target-url'],
    keep: Boolean(flags.keep),
    gateTimeoutSeconds: gateTimeout(flags['gate-timeout']),
    log,
  });
  const failed = report.results.filter((r) => !r.ok);
  log(failed.length === 0 ? `e2e passed: all ${report.results.length} assertions hold` : `e2e failed: ${failed.map((r) => r.name).join('; ')}`);
  process.stdout.write(`${files.md}\n${files.svg}\n`);
  return failed.length === 0 ? 0 : 1;
});
