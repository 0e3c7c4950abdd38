import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { numberFlag, parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { makeProvider, parseProvider, PROVIDERS } from './lib/cluster/select.ts';
import { figureLines } from './lib/plan/figures.ts';
import { defaultReportDir, LOAD_FLAGS, LOAD_USAGE, profileFromFlags, ratesAreDefaults } from './lib/loadtest/options.ts';
import { renderOverlay } from './lib/manifests/render.ts';
import { sh } from './lib/shell.ts';
import { explain } from './lib/simulate/controller.ts';
import { nearest } from './lib/plan/explain.ts';
import { measuredPipeline, predict } from './lib/loadtest/predict.ts';
import { KNOBS, parseSweep, sweep, sweepTable } from './lib/plan/sweep.ts';
import { pipelineSettings } from './lib/plan/bounds.ts';

/** Pod creation to Ready on the embedded cluster, as `npm run bench:cluster` measured it (1.69, 1.68, 1.73 s). */
const MEASURED_POD_START_SECONDS = 1.7;

const usage = `
Usage: npx zx scripts/simulate.ts [--overlay <dir>] [--provider ${PROVIDERS.join('|')}] [--pod-start <s>] [--sync-phase <s>] [--scrape-phase <s>] [--seed <n>] [--explain <t>] [--sweep knob=v1,v2 ...] [load flags]

Predicts a load run before deploying it: renders the overlay and plays the profile forward
through the pods' slots and queues, the metric pipeline and the HPA controller's rules (the
same ones the e2e's bounds use), second by second. Writes the same report as a real run
(timeline.json, summary.md, chart.svg), marked as predicted, and prints the figures.
Needs no cluster.

  --overlay <dir>        the overlay to predict (default overlays/local)
  --provider <name>      whose adapter relist to assume (default local)
  --pod-start <s>        pod creation to Ready (default ${MEASURED_POD_START_SECONDS}, as measured on the embedded cluster)
  --sync-phase <s>       when the first HPA sync comes after the load starts (default: mid-period)
  --scrape-phase <s>     when the first scrape comes (default: mid-interval)
  --seed <n>             draw Poisson arrivals with this seed (default: even arrivals, as the
                         load driver's pacer starts them)
  --explain <t>          print the controller's chain at the sync nearest t seconds: the metric
                         against its target, the proposal, the windows, the rates and min/max
  --sweep knob=v1,v2     instead of one prediction, every combination of the values given
                         (repeat it for more knobs), each at every phase of sync and scrape:
                         SLO attainment (mean and worst phase), replica-seconds against the
                         oracle and the mean peak, as a table (and sweep.md). Knobs:
${Object.entries(KNOBS).map(([k, what]) => `                         ${k}: ${what}`).join('\n')}${LOAD_USAGE.replace(/\n {2}--target-url[^\n]*/, '')}
`;

const seconds = (name: string, raw: string | undefined): number | undefined => (raw === undefined ? undefined : numberFlag(name, raw, { what: 'number of seconds' }));

await runMain(async () => {
  const { 'target-url': _unused, ...loadFlags } = LOAD_FLAGS;
  const flags = parseFlags(
    scriptArgv(import.meta.url),
    {
      ...loadFlags,
      overlay: { type: 'string' },
      provider: { type: 'string' },
      'pod-start': { type: 'string' },
      'sync-phase': { type: 'string' },
      'scrape-phase': { type: 'string' },
      seed: { type: 'string' },
      explain: { type: 'string' },
      sweep: { type: 'string', multiple: true },
    },
    usage,
  );
  const profile = profileFromFlags(flags);
  const sync = seconds('sync-phase', flags['sync-phase']);
  const scrape = seconds('scrape-phase', flags['scrape-phase']);
  const seed = flags.seed === undefined ? undefined : numberFlag('seed', flags.seed, { what: 'whole number' });
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be a non-negative whole number, got "${flags.seed}".`);
  const explainAt = seconds('explain', flags.explain);
  const overlay = flags.overlay ?? 'overlays/local';
  const { objects } = await renderOverlay(sh, overlay);
  const provider = makeProvider(parseProvider(flags.provider) ?? 'local', sh, () => {});
  const podStartSeconds = seconds('pod-start', flags['pod-start']) ?? MEASURED_POD_START_SECONDS;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (flags.sweep !== undefined) {
    const grid = parseSweep(flags.sweep);
    const { hpa, measured } = await measuredPipeline({ objects, provider, podStartSeconds });
    const pipe = pipelineSettings(objects, measured);
    const started = performance.now();
    const rows = sweep(hpa, pipe, profile, grid);
    const table = sweepTable(rows, grid);
    const dir = resolve(flags['report-dir'] ?? `${defaultReportDir(profile)}-sweep`);
    await mkdir(dir, { recursive: true });
    const phases = [...new Set(rows.map((r) => r.phases))].sort((a, b) => a - b).join(' or ');
    const head = `Sweep of ${profile.name} on ${overlay}: ${rows.length} settings, each at every phase of sync and scrape (${phases} runs), in ${((performance.now() - started) / 1000).toFixed(1)} s (pod start ${podStartSeconds} s; the oracle at the overlay's own target).`;
    await writeFile(join(dir, 'sweep.md'), `# ${head}\n\n${table.join('\n')}\n`);
    for (const line of [head, '', ...table]) out(line);
    out(join(dir, 'sweep.md'));
    return;
  }
  const started = performance.now();
  const { report, files, decisions } = await predict({
    objects,
    overlay,
    profile,
    provider,
    podStartSeconds,
    seed,
    sized: ratesAreDefaults(flags),
    log: out,
    phases: sync !== undefined || scrape !== undefined ? { sync: sync ?? 0, scrape: scrape ?? 0 } : undefined,
    reportDir: resolve(flags['report-dir'] ?? `${defaultReportDir(profile)}-predicted`),
  });
  const took = performance.now() - started;
  out(`predicted ${report.record.profile} on ${overlay} (${report.record.endAt} s of load${seed === undefined ? '' : `, Poisson arrivals, seed ${seed}`}) in ${took.toFixed(0)} ms:`);
  for (const c of report.record.changes) out(`  ${c.t.toFixed(1).padStart(6)} s  ${c.from} → ${c.to} replicas`);
  for (const line of figureLines(report.figures, report.pipeline, report.hpa.minReplicas)) out(line);
  out(`shed: ${report.record.requests.shed} of ${report.record.requests.total} requests`);
  if (explainAt !== undefined) {
    const d = nearest(decisions, explainAt);
    out(d ? `the sync nearest ${explainAt} s: ${explain(d)}` : 'no sync had a metric to act on.');
  }
  out(`${files.md}\n${files.svg}\n${files.json}`);
});
