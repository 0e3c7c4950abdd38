import { resolve } from 'node:path';
import { numberFlag, parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { connect } from './lib/cluster/connect.ts';
import { parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { checkSideBySide, COMPARE_OVERLAY, LLM_OVERLAY, parsePolicies, parseScenarios, POLICIES, SCENARIOS, SIDE_BY_SIDE_POLICIES, SIDE_BY_SIDE_SCENARIOS, scenarioParams, type Scenario } from './lib/compare/policies.ts';
import { claimLines, sleepClaims, type Claim } from './lib/compare/claims.ts';
import { isSideBySide, loadRuns, referenceHpas, writeComparison, type ComparisonFiles } from './lib/compare/report.ts';
import { runComparison, runSideBySide } from './lib/compare/run.ts';
import { profileFor, type ProfileName } from './lib/plan/profiles.ts';
import { runReconcile } from './lib/reconcile/command.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/compare.ts [--policies ${POLICIES.join(',')}] [--scenarios ${SCENARIOS.join(',')}] [--profile step|ramp] [--hold <s>] [--after <s>] [--provider ${PROVIDERS.join('|')}] [--side-by-side] [--gate-timeout <s>] [--report-dir <dir>] [--rewrite <dir>]

Runs the same load against every policy of policies/, one after another, on the running
cluster (bootstrap it first): the app overlay ${COMPARE_OVERLAY} with one policy, reset to
minReplicas with a fresh HPA before each, in three scenarios: sleep (the work off the CPU, as
on an accelerator), compute (a CPU-bound forward pass, each pod's 200m limit its capacity)
and llm (a real model: ${LLM_OVERLAY}, SmolLM2-135M on the llama engine, its load the default
step sized to its calibrated capacity; there concurrency is the overlay's own HPA, the
preset's requests in flight at the calibrated target).
Writes compare.md, one chart per scenario and every run's report, observed beside predicted.
At the end the provider's default overlay (what bootstrap deployed) is applied again. Checks
what docs/why.md claims of the sleep scenario (ours has the pods the step needs Ready before
the other signals and a better SLO attainment than they do; every run's why table agrees
with the cluster) and exits 1 if a claim fails. keda is ours on KEDA (the same signal), so it
is not one of the other signals.

  --policies <list>      which policies, in order (default all: ${POLICIES.join(', ')};
                         side by side: ${SIDE_BY_SIDE_POLICIES.join(', ')}: keda and
                         latency-external both need external.metrics.k8s.io, and one CPU
                         target is enough for CI)
  --scenarios <list>     which scenarios (default all: ${SCENARIOS.join(', ')})
  --profile <name>       step (default) or ramp, at each scenario's rates
  --hold <s>             seconds at the peak (default 300: longer than the latency policy's 240 s scale-up window)
  --after <s>            seconds at the base rate after the load (default 120)
  --side-by-side         every policy at once, each in its own namespace (sleep only: its
                         pods hardly use the CPU); one run's time instead of one per policy
  --provider <name>      the cluster (default: the embedded cluster if it runs, else the current context)
  --gate-timeout <s>     how long each health gate may take (default 180)
  --report-dir <dir>     where the result goes (default reports/compare-<time>)
  --rewrite <dir>        write compare.md and the charts again from the runs in <dir>; no cluster
`;

/** Prints where the result is and the claims' verdicts; 1 when one fails. */
function finish(files: ComparisonFiles, claims: Claim[]): number {
  process.stdout.write([files.md, ...files.charts, ...claimLines(claims), ''].join('\n'));
  return claims.every((c) => c.ok) ? 0 : 1;
}

await runMain(async () => {
  const flags = parseFlags(
    scriptArgv(import.meta.url),
    {
      policies: { type: 'string' },
      scenarios: { type: 'string' },
      profile: { type: 'string' },
      hold: { type: 'string' },
      after: { type: 'string' },
      provider: { type: 'string' },
      'gate-timeout': { type: 'string' },
      'report-dir': { type: 'string' },
      rewrite: { type: 'string' },
      'side-by-side': { type: 'boolean' },
    },
    usage,
  );
  const scenarios = parseScenarios(flags.scenarios);
  const profileName = (flags.profile ?? 'step') as ProfileName;
  if (!['step', 'ramp'].includes(profileName)) throw new UsageError(`--profile takes step or ramp, got "${flags.profile}".`);
  const seconds = (name: string, raw: string | undefined) => (raw === undefined ? undefined : numberFlag(name, raw, { positive: true, what: 'number of seconds' }));
  const hold = seconds('hold', flags.hold);
  const after = seconds('after', flags.after);
  const sideBySide = flags['side-by-side'] === true;
  const policies = sideBySide && flags.policies === undefined ? [...SIDE_BY_SIDE_POLICIES] : parsePolicies(flags.policies);
  if (sideBySide) checkSideBySide(policies);
  const crowded = scenarios.filter((s) => !SIDE_BY_SIDE_SCENARIOS.includes(s));
  if (sideBySide && crowded.length > 0) throw new UsageError(`--side-by-side runs ${SIDE_BY_SIDE_SCENARIOS.join(', ')} only: the pods of ${crowded.join(' and ')} would share the node's CPU; pass --scenarios ${SIDE_BY_SIDE_SCENARIOS.join(',')}.`);
  const gateTimeoutSeconds = seconds('gate-timeout', flags['gate-timeout']) ?? 180;
  const scheduleFor = (s: Scenario) => profileFor(profileName, { ...scenarioParams(s), ...(hold !== undefined ? { holdSeconds: hold } : {}), ...(after !== undefined ? { afterSeconds: after } : {}) });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const command = `npx zx scripts/compare.ts ${scriptArgv(import.meta.url).join(' ')}`.trim();
  if (flags.rewrite !== undefined) {
    const dir = resolve(flags.rewrite);
    const { runs, minutes } = await loadRuns(dir, scenarios, policies);
    const referenceOf = await referenceHpas(sh, dir, ['sleep', ...runs.map((r) => r.scenario)]);
    const files = await writeComparison(dir, runs, referenceOf, { command: command.replace(/ --rewrite \S+/, ''), minutes, sideBySide: await isSideBySide(dir) });
    return finish(files, sleepClaims(runs, referenceOf('sleep')));
  }
  const { kc, provider } = await connect(sh, parseProvider(flags.provider), log);
  const reportDir = resolve(flags['report-dir'] ?? `reports/compare-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const started = Date.now();
  const runs = await (sideBySide ? runSideBySide : runComparison)({ $: sh, kc, provider, policies, scenarios, profileFor: scheduleFor, reportDir, gateTimeoutSeconds, log, signal: abort.signal });
  const minutes = (Date.now() - started) / 60_000;
  // The sleep scenario's reference too: the claims are of it.
  const referenceOf = await referenceHpas(sh, reportDir, ['sleep', ...runs.map((r) => r.scenario)]);
  const files = await writeComparison(reportDir, runs, referenceOf, { command, minutes, sideBySide });
  log(`restoring ${provider.defaultOverlay}`);
  await runReconcile({ $: sh, kc, overlay: provider.defaultOverlay, dryRun: false, timeoutMs: gateTimeoutSeconds * 1000, provider, out: log });
  log(`the comparison took ${minutes.toFixed(1)} min`);
  if (abort.signal.aborted) return 130;
  return finish(files, sleepClaims(runs, referenceOf('sleep')));
});
