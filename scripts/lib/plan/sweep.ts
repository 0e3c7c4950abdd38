import { UsageError } from '../cli.ts';
import { replicasFor, simulateAt, type HpaSettings, type PipelineSettings } from './bounds.ts';
import { offeredAt, type Profile } from './profiles.ts';
import { simulatedRecord } from './record.ts';
import { allPhases } from '../simulate/run.ts';

// Tuning with the simulator: the same profile over a grid of the settings an overlay (or the
// cluster) decides, each at every phase of sync and scrape, so a setting is judged by its
// mean and its worst phase rather than by one lucky run.

export const KNOBS = {
  target: 'the Pods metric target per pod',
  'rate-window': "the adapter rule's rate() window, seconds",
  scrape: "the ServiceMonitor's scrape interval, seconds",
  sync: "the HPA controller's sync period, seconds (a cluster setting: managed clusters keep 15)",
  'pod-start': 'pod creation to Ready, seconds',
} as const;
export type Knob = keyof typeof KNOBS;

export type Grid = Partial<Record<Knob, number[]>>;

/** `--sweep knob=a,b,c`, repeatable; one sentence for anything else. */
export function parseSweep(specs: readonly string[]): Grid {
  const grid: Grid = {};
  for (const spec of specs) {
    const [name, list] = spec.split('=', 2) as [string, string | undefined];
    if (!(name in KNOBS)) throw new UsageError(`--sweep takes knob=v1,v2 with a knob of ${Object.keys(KNOBS).join(', ')}; got "${spec}".`);
    const values = (list ?? '').split(',').map((v) => v.trim()).filter(Boolean).map(Number);
    if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v <= 0)) throw new UsageError(`--sweep ${name} takes positive numbers separated by commas; got "${list ?? ''}".`);
    grid[name as Knob] = [...new Set(values)];
  }
  return grid;
}

export interface SweepRow {
  settings: Partial<Record<Knob, number>>;
  /** SLO attainment: the mean over the phases and the worst phase's. */
  sloMean: number;
  sloWorst: number;
  /** Replica-seconds over the oracle's (the overlay's own target, the same for every row). */
  ratioMean: number;
  peakMean: number;
  phases: number;
}

function combinations(grid: Grid): Partial<Record<Knob, number>>[] {
  let rows: Partial<Record<Knob, number>>[] = [{}];
  for (const [knob, values] of Object.entries(grid) as [Knob, number[]][]) rows = rows.flatMap((r) => values.map((v) => ({ ...r, [knob]: v })));
  return rows;
}

function apply(hpa: HpaSettings, pipe: PipelineSettings, s: Partial<Record<Knob, number>>): { hpa: HpaSettings; pipe: PipelineSettings } {
  const target = s.target;
  if (target !== undefined && !hpa.metrics.some((m) => m.type === 'Pods')) throw new UsageError('--sweep target sets a Pods metric target, and this HPA has no Pods metric.');
  return {
    hpa: target === undefined ? hpa : { ...hpa, target, metrics: hpa.metrics.map((m) => (m.type === 'Pods' ? { ...m, averageValue: target } : m)) },
    pipe: {
      ...pipe,
      rateWindowSeconds: s['rate-window'] ?? pipe.rateWindowSeconds,
      scrapeSeconds: s.scrape ?? pipe.scrapeSeconds,
      syncSeconds: s.sync ?? pipe.syncSeconds,
      podStartSeconds: s['pod-start'] ?? pipe.podStartSeconds,
    },
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Every combination of the grid, each run at every phase of its own sync period and scrape interval. */
export function sweep(hpa: HpaSettings, pipe: PipelineSettings, profile: Profile, grid: Grid): SweepRow[] {
  let oracle = 0;
  for (let t = 0; t < profile.endAt; t++) oracle += replicasFor(offeredAt(profile, t), hpa, pipe);
  return combinations(grid).map((settings) => {
    const v = apply(hpa, pipe, settings);
    const runs = allPhases(v.pipe).map((phases) => {
      const sim = simulateAt(v.hpa, v.pipe, profile, profile.endAt, phases);
      const record = simulatedRecord(sim, { profile: profile.name, stepAt: 0, dropAt: 0, endAt: profile.endAt, pipe: v.pipe });
      const seconds = record.samples.filter((s) => s.t < profile.endAt);
      return { slo: record.requests.underSlo / record.requests.total, replicaSeconds: seconds.reduce((n, s) => n + s.replicas, 0), peak: Math.max(...seconds.map((s) => s.replicas)) };
    });
    return {
      settings,
      sloMean: mean(runs.map((r) => r.slo)),
      sloWorst: Math.min(...runs.map((r) => r.slo)),
      ratioMean: mean(runs.map((r) => r.replicaSeconds)) / oracle,
      peakMean: mean(runs.map((r) => r.peak)),
      phases: runs.length,
    };
  });
}

export function sweepTable(rows: SweepRow[], grid: Grid): string[] {
  const knobs = Object.keys(grid) as Knob[];
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `| ${knobs.join(' | ')} | SLO attainment, mean | worst phase | replica-seconds, x oracle | peak replicas, mean |`,
    `|${' --- |'.repeat(knobs.length + 4)}`,
    ...rows.map((r) => `| ${knobs.map((k) => r.settings[k]).join(' | ')} | ${pct(r.sloMean)} | ${pct(r.sloWorst)} | ${r.ratioMean.toFixed(2)}x | ${r.peakMean.toFixed(1)} |`),
  ];
}
