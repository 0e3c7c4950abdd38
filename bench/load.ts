// npm run bench:load: the load driver alone against the inference service on loopback in
// sleep mode (a known service time, no CPU per request): for each rate held, and a ramp, how
// exactly it starts the schedule's arrivals and what it costs. Prints figures, writes the run
// record (bench/records/load.json) and the table in docs/benchmarks.md from it; asserts nothing.
// `npm run bench:load -- --render` writes that table from the committed record again.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_DIR, bundleInference } from '../scripts/lib/inference-bundle.ts';
import { runDriver, type DriverResult } from '../scripts/lib/loadtest/driver.ts';
import { findLoadDriver } from '../scripts/lib/loadtest/driver-binary.ts';
import { offeredAt, stagesProfile, type Profile } from '../scripts/lib/plan/profiles.ts';
import { parseLoadRequest } from '../scripts/lib/loadtest/request.ts';
import { repoPath } from '../scripts/lib/paths.ts';
import { LOAD_RECORD, renderLoadTable, writeLoadTable, type LoadRecord, type CaseFigures } from './load-table.ts';
import { sh } from '../scripts/lib/shell.ts';
import { percentile } from '../scripts/lib/stats.ts';
import { startServer } from './server-process.ts';

const HOLD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const SERVICE_MS = 50;
const CASES: { name: string; profile: Profile }[] = [
  ...[10, 100, 300, 1000].map((rate) => ({ name: `${rate} req/s`, profile: stagesProfile(`${rate}:${HOLD_SECONDS}`) })),
  { name: 'ramp 0 -> 300 req/s', profile: stagesProfile(`0:0.001,300:${HOLD_SECONDS}`) },
];

/** The schedule's integral over [s, s + 1). */
function integralOf(p: Profile, s: number): number {
  let sum = 0;
  for (let i = 0; i < 1000; i++) sum += offeredAt(p, s + (i + 0.5) / 1000) / 1000;
  return sum;
}

if (process.argv.includes('--render')) {
  await writeLoadTable(JSON.parse(await readFile(LOAD_RECORD, 'utf8')) as LoadRecord);
  process.exit(0);
}

const driver = await findLoadDriver(sh, (l) => process.stderr.write(`${l}\n`));
await bundleInference();
// Enough slots that nothing queues at 1,000 req/s x 50 ms: the server is not what is measured.
const server = await startServer([`${BUNDLE_DIR}/main.js`], { INFERENCE_HOST: '127.0.0.1', INFERENCE_PORT: '0', INFERENCE_METRICS_PORT: '0', INFERENCE_SLOTS: '256', INFERENCE_QUEUE_LIMIT: '256', INFERENCE_SERVICE_TIME_MS: String(SERVICE_MS), INFERENCE_SERVICE_JITTER_MS: '0', INFERENCE_DRAIN_DELAY_MS: '0' });
const request = parseLoadRequest({ method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: { inputs: [0.1, 0.5, -0.3, 0.9] }, timeoutSeconds: 10, shedStatuses: [429] }, 'the bench');
const figures: CaseFigures[] = [];
try {
  for (const c of CASES) {
    process.stderr.write(`… ${c.name} for ${c.profile.endAt.toFixed(0)} s\n`);
    const started = new Map<number, number>();
    const lateness: number[] = [];
    let ok = 0;
    const onResult = (r: DriverResult) => {
      const second = Math.floor(r.start / 1000);
      started.set(second, (started.get(second) ?? 0) + 1);
      lateness.push(r.start - r.due);
      if (r.status >= 200 && r.status < 300) ok += 1;
    };
    const run = await runDriver({ binary: driver, profile: c.profile, request, baseUrl: `http://127.0.0.1:${server.port}`, maxInFlight: 2000, dir: await mkdtemp(join(tmpdir(), 'bench-load-')), onResult });
    const seconds = Math.floor(c.profile.endAt);
    let onSchedule = 0;
    let worst = 0;
    for (let s = 0; s < seconds; s++) {
      const want = integralOf(c.profile, s);
      const got = started.get(s) ?? 0;
      const deviation = Math.abs(got - want);
      worst = Math.max(worst, deviation);
      if (deviation <= (want < 100 ? 1 : 0.01 * want)) onSchedule += 1;
    }
    figures.push({
      name: c.name,
      arrivals: run.summary.arrivals,
      notSent: run.summary.notSent,
      ok,
      secondsOnSchedule: onSchedule,
      seconds,
      worstSecondRequests: worst,
      latenessP50Ms: percentile(lateness, 50),
      latenessP99Ms: percentile(lateness, 99),
      cpuSecondsPer1000: (run.summary.cpuSeconds / Math.max(1, run.summary.arrivals)) * 1000,
      peakMemoryMiB: run.summary.maxRssKiB / 1024,
    });
  }
} finally {
  server.child.kill();
}

const record: LoadRecord = { machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`, holdSeconds: HOLD_SECONDS, serviceMs: SERVICE_MS, figures };
console.log(renderLoadTable(record));
await mkdir(repoPath('bench/records'), { recursive: true });
await writeFile(LOAD_RECORD, `${JSON.stringify(record, null, 2)}\n`);
await writeLoadTable(record);
