import type { RunReport } from './report.ts';
import { offeredAt, type Profile } from '../plan/profiles.ts';
import { promRate } from '../simulate/run.ts';

// When did Prometheus scrape each pod? Not recorded anywhere a run can read afterwards, but
// the metric the recorder read every second holds it: fit the model's rate() of the per-pod
// in-flight-seconds counter, each pod at its own scrape offset and with a further delay, to
// the recorded metric, over the seconds before the first replica change (the starting pods
// only, below their slots, so the requests in flight per pod are the offered rate per pod
// times the service time).

export interface ScrapeFit {
  /** Each starting pod's scrape offset within the interval, seconds. */
  offsets: number[];
  /** Age of the freshest sample beyond the scrape, seconds. */
  delay: number;
  /** Root-mean-square error against the recorded metric. */
  rms: number;
}

/** The fit, or why a run has none: the load passed the starting pods' slots before the first change (they queued). */
export function fitScrapeOffsets(report: RunReport, profile: Profile, o: { step?: number; maxDelay?: number } = {}): { best: ScrapeFit; together: ScrapeFit; seconds: number } | { none: string } {
  const step = o.step ?? 0.5;
  const { scrapeSeconds: S, rateWindowSeconds: W, serviceSeconds, slots } = report.pipeline;
  const pods = report.hpa.minReplicas;
  const until = report.record.changes[0]?.t ?? report.record.endAt;
  const dt = 0.05;
  const counter: number[] = [];
  let c = 0;
  for (let t = 0; t <= until + 1; t += dt) {
    const perPod = (offeredAt(profile, t) / pods) * serviceSeconds;
    if (perPod > slots) return { none: `the load passed the ${pods} starting pods' ${slots} slots at ${t.toFixed(1)} s, before the first replica change, so they queued` };
    counter.push(c);
    c += perPod * dt;
  }
  const at = (t: number) => counter[Math.min(counter.length - 1, Math.max(0, Math.round(t / dt)))] ?? 0;
  const rateAt = (offset: number, delay: number, t: number) => {
    const samples: { at: number; value: number }[] = [];
    for (let a = offset + Math.ceil((t - W - offset) / S) * S; a <= t - delay + 1e-9; a += S) if (a > t - W && a >= 0) samples.push({ at: a, value: at(a) });
    return promRate(samples, t, W);
  };
  // The recorder reads once a second, the metric the adapter serves at that moment (mid-second).
  const seen = report.record.samples.filter((s) => s.t >= W && s.t + 1 < until && Number.isFinite(s.metric));
  const fit = (offsets: number[], delay: number): ScrapeFit => {
    let err = 0;
    let n = 0;
    for (const s of seen) {
      const rates = offsets.map((off) => rateAt(off, delay, s.t + 0.5));
      if (rates.some((r) => r === undefined)) continue;
      err += ((rates as number[]).reduce((a, b) => a + b, 0) / offsets.length - s.metric) ** 2;
      n++;
    }
    return { offsets, delay, rms: n ? Math.sqrt(err / n) : Number.POSITIVE_INFINITY };
  };
  const grid = Array.from({ length: Math.round(S / step) }, (_, i) => i * step);
  const delays = Array.from({ length: Math.round((o.maxDelay ?? 4) / step) + 1 }, (_, i) => i * step);
  let best: ScrapeFit | undefined;
  let together: ScrapeFit | undefined;
  // Every combination of offsets, the first pod's no later than the others' (the pods are alike).
  const combos = (k: number, from: number): number[][] => (k === 0 ? [[]] : grid.filter((g) => g >= from).flatMap((g) => combos(k - 1, g).map((rest) => [g, ...rest])));
  for (const delay of delays) {
    for (const offsets of combos(pods, 0)) {
      const f = fit(offsets, delay);
      if (!best || f.rms < best.rms) best = f;
      if (offsets.every((x) => x === offsets[0]) && (!together || f.rms < together.rms)) together = f;
    }
  }
  return { best: best as ScrapeFit, together: together as ScrapeFit, seconds: seen.length };
}
