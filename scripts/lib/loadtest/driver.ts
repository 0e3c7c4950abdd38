import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { UserError } from '../cli.ts';
import { tail } from '../shell.ts';
import { percentile } from '../stats.ts';
import type { Profile } from '../plan/profiles.ts';
import { driverRequest, type LoadRequest } from './request.ts';

// Runs the load driver (loadtests/, on vegeta) and folds its results into per-second figures
// as they stream in: nothing waits for the run's end, and memory holds only the seconds whose
// requests may still be answering.

/** One arrival as the driver reports it; times in ms from the run's start. */
export interface DriverResult {
  seq: number;
  due: number;
  start: number;
  latency: number;
  /** 0 when no response came (an error, or not sent). */
  status: number;
  error?: string;
  notSent?: boolean;
}

export interface DriverSummary {
  arrivals: number;
  scheduled: number;
  sent: number;
  notSent: number;
  ok: number;
  shed: number;
  failed: number;
  seconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
}

/** One second's answers, by the second they ended in. */
export interface SecondFigures {
  responses: number;
  /** Answers that are neither success (2xx) nor shedding, and requests that got no answer. */
  errors: number;
  shed: number;
  /** Arrivals due in this second that the bound on requests in flight kept from being sent. */
  notSent: number;
  p50: number;
  p95: number;
  p99: number;
}

const EMPTY: SecondFigures = { responses: 0, errors: 0, shed: 0, notSent: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN };

/** Per-second figures and totals of a run, folded one result at a time. */
export class LoadResults {
  readonly perSecond = new Map<number, SecondFigures>();
  total = 0;
  failed = 0;
  shed = 0;
  notSent = 0;
  underSlo = 0;
  private readonly open = new Map<number, { figures: SecondFigures; durations: number[] }>();
  private readonly shedStatuses: Set<number>;
  private readonly sloMs: number;
  private readonly closeAfterSeconds: number;
  private latest = 0;

  /** `timeoutSeconds`: no answer can end later than that after its start, so a second that old is final. */
  constructor(o: { shedStatuses: number[]; sloMs: number; timeoutSeconds: number }) {
    this.shedStatuses = new Set(o.shedStatuses);
    this.sloMs = o.sloMs;
    this.closeAfterSeconds = Math.ceil(o.timeoutSeconds) + 2;
  }

  add(r: DriverResult): void {
    if (r.notSent) {
      this.notSent += 1;
      this.secondOf(Math.floor(r.due / 1000)).figures.notSent += 1;
      return;
    }
    const endSecond = Math.floor((r.start + r.latency) / 1000);
    const s = this.secondOf(endSecond);
    this.total += 1;
    s.figures.responses += 1;
    s.durations.push(r.latency);
    if (r.status >= 200 && r.status < 300) {
      if (r.latency <= this.sloMs) this.underSlo += 1;
    } else if (this.shedStatuses.has(r.status)) {
      this.shed += 1;
      s.figures.shed += 1;
    } else {
      this.failed += 1;
      s.figures.errors += 1;
    }
    const startSecond = Math.floor(r.start / 1000);
    if (startSecond > this.latest) {
      this.latest = startSecond;
      for (const second of [...this.open.keys()]) if (second < startSecond - this.closeAfterSeconds) this.close(second);
    }
  }

  /** Seconds still open to late answers: at most the timeout's worth, however long the run. */
  get openSeconds(): number {
    return this.open.size;
  }

  /** Closes every second still open: the run has ended. */
  finish(): void {
    for (const second of [...this.open.keys()]) this.close(second);
  }

  /** A second's figures; an empty second has none. */
  second(t: number): SecondFigures {
    return this.perSecond.get(t) ?? this.open.get(t)?.figures ?? EMPTY;
  }

  private secondOf(t: number): { figures: SecondFigures; durations: number[] } {
    let s = this.open.get(t);
    if (!s) {
      const closed = this.perSecond.get(t);
      // A late answer to a closed second (it cannot come within the timeout): counted, its latency left out of the percentiles.
      s = { figures: closed ?? { ...EMPTY }, durations: [] };
      if (!closed) this.open.set(t, s);
    }
    return s;
  }

  private close(t: number): void {
    const s = this.open.get(t);
    if (!s) return;
    this.open.delete(t);
    if (s.durations.length > 0) Object.assign(s.figures, { p50: percentile(s.durations, 50), p95: percentile(s.durations, 95), p99: percentile(s.durations, 99) });
    this.perSecond.set(t, s.figures);
  }
}

export interface DriverRun {
  /** Epoch ms of the schedule's time zero. */
  beganMs: number;
  summary: DriverSummary;
}

export interface DriverOptions {
  binary: string;
  profile: Pick<Profile, 'name' | 'startRate' | 'stages'>;
  request: LoadRequest;
  baseUrl: string;
  maxInFlight: number;
  /** Where the schedule, the request and every result line (results.jsonl) are written. */
  dir: string;
  onResult: (r: DriverResult) => void;
  /** Called once at the schedule's time zero (epoch ms). */
  onBegan?: (beganMs: number) => void;
  signal?: AbortSignal;
}

/** The schedule as the driver reads it: profiles.ts stays its one definition. */
export const scheduleOf = (p: DriverOptions['profile']) => ({ name: p.name, startRate: p.startRate, stages: p.stages });

/** Runs the driver to the schedule's end, streaming its results; a failure is one sentence. */
export async function runDriver(o: DriverOptions): Promise<DriverRun> {
  const schedulePath = join(o.dir, 'schedule.json');
  const requestPath = join(o.dir, 'request.json');
  await writeFile(schedulePath, `${JSON.stringify(scheduleOf(o.profile))}\n`);
  await writeFile(requestPath, `${JSON.stringify(driverRequest(o.request, o.baseUrl), null, 2)}\n`);
  const child = spawn(o.binary, ['-schedule', schedulePath, '-request', requestPath, '-max-in-flight', String(o.maxInFlight)], { stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal, killSignal: 'SIGTERM' });
  const record = createWriteStream(join(o.dir, 'results.jsonl'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('close', (code) => resolve(code ?? -1));
  });
  let beganMs: number | undefined;
  let summary: DriverSummary | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (!record.write(`${line}\n`)) await new Promise((resolve) => record.once('drain', resolve));
    const value = JSON.parse(line) as DriverResult & { began?: number; summary?: DriverSummary };
    if (value.began !== undefined) {
      beganMs = value.began;
      o.onBegan?.(beganMs);
    } else if (value.summary) summary = value.summary;
    else o.onResult(value);
  }
  const code = await exited;
  await new Promise((resolve) => record.end(resolve));
  if (o.signal?.aborted) throw new UserError('the load was interrupted.');
  if (code !== 0 || beganMs === undefined || !summary) {
    throw new UserError(stderr.trim() ? `the load driver failed: ${tail(stderr.trim().replace(/^inferscale-load: /, ''), 5)}` : `the load driver exited with ${code} without a summary.`);
  }
  return { beganMs, summary };
}
