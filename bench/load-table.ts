import { readFile, writeFile } from 'node:fs/promises';
import { repoPath } from '../scripts/lib/paths.ts';
import { marked } from '../scripts/lib/docs/markers.ts';

// bench:load's record and the table in docs/benchmarks.md written from it: the page's figures are the
// record's, and a test holds them to it.

export const LOAD_RECORD = repoPath('bench/records/load.json');

export interface CaseFigures {
  name: string;
  arrivals: number;
  notSent: number;
  ok: number;
  /** Seconds whose started requests are within 1 % of the integral (within 1 below 100 req/s). */
  secondsOnSchedule: number;
  seconds: number;
  /** The largest difference between a second's started requests and its integral, in requests. */
  worstSecondRequests: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  cpuSecondsPer1000: number;
  peakMemoryMiB: number;
}

export interface LoadRecord {
  machine: string;
  holdSeconds: number;
  serviceMs: number;
  figures: CaseFigures[];
}

export function renderLoadTable(r: LoadRecord): string {
  return [
    `\`npm run bench:load\` on ${r.machine}: the load driver alone against the inference service on loopback (sleep mode, ${r.serviceMs} ms, 256 slots), each load held ${r.holdSeconds} s. A second is on schedule when the requests started in it are within 1 % of the schedule's integral for it (within 1 request below 100 req/s); lateness is each request's start less when it was due.`,
    '',
    '| load | arrivals | not sent | seconds on schedule | worst second, requests off | lateness p50 / p99 | driver CPU per 1,000 | driver peak memory |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.figures.map(
      (f) =>
        `| ${f.name} | ${f.arrivals} | ${f.notSent} | ${f.secondsOnSchedule} of ${f.seconds} | ${f.worstSecondRequests.toFixed(2)} | ${f.latenessP50Ms.toFixed(2)} / ${f.latenessP99Ms.toFixed(2)} ms | ${f.cpuSecondsPer1000.toFixed(3)} s | ${f.peakMemoryMiB.toFixed(1)} MiB |`,
    ),
  ].join('\n');
}

/** The README's one line: the driver's lateness at the rate the issue targets, and its cost. */
export function renderLoadSummary(r: LoadRecord): string {
  const at300 = r.figures.find((f) => f.name === '300 req/s');
  if (!at300) return 'The load driver: no 300 req/s run in the record.';
  return `The load driver starts each arrival ${at300.latenessP99Ms.toFixed(2)} ms late or less at p99 at 300 req/s (${at300.secondsOnSchedule} of ${at300.seconds} seconds on schedule), at ${at300.cpuSecondsPer1000.toFixed(3)} CPU seconds per 1,000 requests: \`npm run bench:load\`, all figures in [docs/benchmarks.md](docs/benchmarks.md).`;
}

export const README = repoPath('README.md');
export const LOAD_PAGE = repoPath('docs/benchmarks.md');

const TABLE = marked('bench:load');
const SUMMARY = marked('bench:load-summary');

/** The table as docs/benchmarks.md holds it. */
export const pageLoadTable = TABLE.read;
/** The README's summary line as it holds it. */
export const readmeLoadSummary = SUMMARY.read;

export async function writeLoadTable(r: LoadRecord): Promise<void> {
  await writeFile(LOAD_PAGE, TABLE.write(await readFile(LOAD_PAGE, 'utf8'), renderLoadTable(r)));
  await writeFile(README, SUMMARY.write(await readFile(README, 'utf8'), renderLoadSummary(r)));
}
