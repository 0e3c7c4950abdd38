import { numberFlag, parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { defaultProvider, makeProvider, parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { runE2E } from './lib/e2e.ts';
import { defaultReportDir, LOAD_FLAGS, LOAD_USAGE, profileFromFlags, ratesAreDefaults } from './lib/loadtest/options.ts';
import { PROFILE_NAMES } from './lib/plan/profiles.ts';
import { parseGitOps } from './lib/cluster/gitops-tools.ts';
import { sh } from './lib/shell.ts';
import { readLoadRequestFile } from './lib/loadtest/request.ts';

const usage = `
Usage: npx zx scripts/e2e.ts [--provider ${PROVIDERS.join('|')}] [--overlay <dir>] [--gitops flux|argocd] [--keep] [--gate-timeout <s>] [--profiles <list>] [--zero] [load flags]
       npm run e2e -- [flags]

The whole proof: bootstrap a cluster, reconcile the overlay, check the metric pipeline,
run the load (an open model on vegeta), assert that replicas rise and settle within the bounds computed from the
rendered HPA, write the report (summary.md, chart.svg, timeline.json), tear down.
Exits 0 only when every assertion holds.

  --provider <name>      local (the embedded cluster), minikube or existing; default:
                         existing if the current context answers, else minikube if
                         installed, else local
  --overlay <dir>        default overlays/<provider> (overlays/cloud for existing)
  --gitops flux|argocd   deploy through Flux or Argo CD instead of reconcile.ts (the
                         embedded cluster builds and runs it), and check that it heals a
                         hand edit, prunes, refuses an invalid commit, applies a commit of
                         a new scale-down window that the last run is bounded by, and
                         leaves the HPA its replicas when reconciled at the peak
  --keep                 leave the cluster running
  --zero                 instead of the loads, the zero profile, on an overlay scaled to zero
                         (overlays/local-zero): idle until KEDA takes the last pod away, then
                         a burst from a client that sends refused requests again, three times;
                         asserts zero after the cooldown, the first 200 in time, none lost
  --gate-timeout <s>     how long each reconcile health gate may take (default 180)
  --profiles <list>      several profiles with their defaults, one after another on one
                         cluster, e.g. ${PROFILE_NAMES.filter((n) => n !== 'stages').join(',')}; each report in its own folder${LOAD_USAGE}
`;

/** One run from the load flags, or --profiles' several with their defaults. */
function runsFromFlags(flags: Parameters<typeof profileFromFlags>[0] & { profiles?: string; 'report-dir'?: string }) {
  if (flags.profiles === undefined) {
    const profile = profileFromFlags(flags);
    return [{ profile, reportDir: flags['report-dir'] ?? defaultReportDir(profile), sized: ratesAreDefaults(flags) }];
  }
  const other = Object.keys(LOAD_FLAGS).filter((k) => k !== 'target-url' && k !== 'request' && k !== 'gate-prediction' && (flags as Record<string, unknown>)[k] !== undefined);
  if (other.length > 0) throw new UsageError(`--profiles runs each profile with its defaults; leave out --${other.join(', --')}.`);
  return flags.profiles.split(',').map((name) => {
    const profile = profileFromFlags({ profile: name.trim() });
    return { profile, reportDir: defaultReportDir(profile), sized: true };
  });
}

await runMain(async () => {
  const flags = parseFlags(
    scriptArgv(import.meta.url),
    { ...LOAD_FLAGS, provider: { type: 'string' }, overlay: { type: 'string' }, gitops: { type: 'string' }, keep: { type: 'boolean' }, zero: { type: 'boolean' }, 'gate-timeout': { type: 'string' }, profiles: { type: 'string' } },
    usage,
  );
  const runs = runsFromFlags(flags);
  const gitops = parseGitOps(flags.gitops);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const name = parseProvider(flags.provider) ?? (await defaultProvider(sh));
  log(`provider: ${name}`);
  const provider = makeProvider(name, sh, log);
  const { runs: results, checks } = await runE2E({
    gitops,
    $: sh,
    provider,
    overlay: flags.overlay ?? provider.defaultOverlay,
    runs: flags.zero ? [] : runs,
    zero: flags.zero ? { reportDir: flags['report-dir'] ?? `reports/${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-zero` } : undefined,
    targetUrl: flags['target-url'],
    request: flags.request !== undefined ? await readLoadRequestFile(flags.request) : undefined,
    gatePrediction: flags['gate-prediction'],
    keep: Boolean(flags.keep),
    gateTimeoutSeconds: numberFlag('gate-timeout', flags['gate-timeout'] ?? '180', { positive: true, what: 'number of seconds' }),
    log,
  });
  let failures = checks.filter((c) => !c.ok).length;
  if (checks.length > 0) log(failures === 0 ? `the ${checks.length} ${flags.zero ? 'zero-profile assertions' : 'GitOps checks'} hold` : `failed: ${checks.filter((c) => !c.ok).map((c) => c.name).join('; ')}`);
  for (const { report, files } of results) {
    const failed = report.results.filter((r) => !r.ok);
    failures += failed.length;
    log(failed.length === 0 ? `e2e ${report.record.profile} passed: all ${report.results.length} assertions hold` : `e2e ${report.record.profile} failed: ${failed.map((r) => r.name).join('; ')}`);
    process.stdout.write(`${files.md}\n${files.svg}\n`);
  }
  return failures === 0 ? 0 : 1;
});
