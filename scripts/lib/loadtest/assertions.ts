import type { Bounds, HpaSettings } from './bounds.ts';
import { MAX_FAILED_SHARE } from './profiles.ts';
import { around, type RunRecord } from './timeline.ts';

// The claims of an e2e run. Each compares the record with a computed bound and, when
// it fails, says which bound broke and shows the timeline around it.

export interface AssertionResult {
  name: string;
  ok: boolean;
  bound: string;
  observed: string;
  /** The timeline around the failure. */
  context?: string;
}

const fmt = (s: number) => `${s.toFixed(1)} s`;


export function checkRun(record: RunRecord, hpa: HpaSettings, bounds: Bounds): AssertionResult[] {
  const results: AssertionResult[] = [];
  const first = record.samples[0];
  results.push({
    name: '1. replicas start at minReplicas',
    ok: first?.replicas === hpa.minReplicas,
    bound: `${hpa.minReplicas} replicas at the start`,
    observed: `${first?.replicas ?? 'no sample'} replicas`,
    context: first?.replicas === hpa.minReplicas ? undefined : around(record, 0, 0, 10),
  });

  const increases = record.changes.filter((c) => c.to > c.from);
  const firstIncrease = increases[0];
  const early = firstIncrease !== undefined && firstIncrease.t < bounds.firstIncreaseEarliest;
  const late = firstIncrease === undefined || firstIncrease.t > bounds.firstIncreaseLatest;
  results.push({
    name: '2. the first increase comes within the scale-up window and the reaction budget',
    ok: !early && !late,
    bound: `between ${fmt(bounds.firstIncreaseEarliest)} and ${fmt(bounds.firstIncreaseLatest)} (step at ${fmt(record.stepAt)})`,
    observed: firstIncrease ? `at ${fmt(firstIncrease.t)} (${early ? 'too early' : late ? 'too late' : 'in bounds'})` : 'never',
    context: early || late ? around(record, firstIncrease?.t ?? bounds.firstIncreaseLatest) : undefined,
  });

  const holding = record.samples.filter((s) => s.t >= record.stepAt && s.t < record.dropAt);
  const peak = Math.max(...holding.map((s) => s.replicas), 0);
  const peakOk = Math.abs(peak - bounds.expectedPeak) <= 1;
  results.push({
    name: '3. the peak reaches the replicas the offered load needs',
    ok: peakOk,
    bound: `${bounds.expectedPeak} replicas, within one`,
    observed: `${peak} replicas`,
    context: peakOk ? undefined : around(record, record.dropAt, 20, 0),
  });

  const flap = record.changes.find((c) => c.to < c.from && c.t >= record.stepAt && c.t < record.dropAt);
  results.push({
    name: '4. no decrease while the load holds',
    ok: flap === undefined,
    bound: `no decrease between ${fmt(record.stepAt)} and ${fmt(record.dropAt)}`,
    observed: flap ? `${flap.from} → ${flap.to} at ${fmt(flap.t)}` : 'none',
    context: flap ? around(record, flap.t) : undefined,
  });

  const after = record.changes.filter((c) => c.t >= record.dropAt);
  const firstDecrease = after.find((c) => c.to < c.from);
  const reachedMin = after.find((c) => c.to === hpa.minReplicas);
  const tooEarly = firstDecrease !== undefined && firstDecrease.t < bounds.firstDecreaseEarliest;
  const tooLate = reachedMin === undefined || reachedMin.t > bounds.backAtMinBy;
  const changedAfterMin = reachedMin ? record.changes.find((c) => c.t > reachedMin.t) : undefined;
  const lastT = record.samples.at(-1)?.t ?? 0;
  const observedStable = reachedMin ? (changedAfterMin?.t ?? lastT) - reachedMin.t : 0;
  const unstable = reachedMin !== undefined && (changedAfterMin !== undefined || observedStable < bounds.stableSeconds);
  results.push({
    name: '5. the scale-down waits its window, reaches minReplicas in time and stays',
    ok: !tooEarly && !tooLate && !unstable,
    bound: `first decrease no earlier than ${fmt(bounds.firstDecreaseEarliest)}; ${hpa.minReplicas} replicas by ${fmt(bounds.backAtMinBy)}; then no change for ${fmt(bounds.stableSeconds)} (load dropped at ${fmt(record.dropAt)})`,
    observed: `first decrease ${firstDecrease ? `at ${fmt(firstDecrease.t)}` : 'never'}; at minReplicas ${reachedMin ? `at ${fmt(reachedMin.t)}` : 'never'}; ${
      changedAfterMin ? `changed again at ${fmt(changedAfterMin.t)}` : `stable for ${fmt(observedStable)}`
    }`,
    context: tooEarly ? around(record, firstDecrease?.t ?? 0) : tooLate ? around(record, bounds.backAtMinBy) : unstable ? around(record, changedAfterMin?.t ?? lastT) : undefined,
  });

  const { total, failed, dropped } = record.requests;
  const share = total > 0 ? failed / total : 1;
  const removal = record.changes.filter((c) => c.to < c.from);
  const removalStart = removal[0]?.t;
  const removalEnd = removal.at(-1)?.t;
  const duringRemoval = removalStart === undefined ? [] : record.samples.filter((s) => s.t >= removalStart && s.t <= (removalEnd ?? removalStart) + bounds.stableSeconds);
  const failedDuringRemoval = duringRemoval.reduce((n, s) => n + s.errors, 0);
  const requestsOk = total > 0 && share <= MAX_FAILED_SHARE && failedDuringRemoval === 0 && dropped === 0;
  const firstBad = duringRemoval.find((s) => s.errors > 0);
  results.push({
    name: '6. requests do not fail, none while pods are removed, none dropped',
    ok: requestsOk,
    bound: `at most ${(MAX_FAILED_SHARE * 100).toFixed(1)} % failed; 0 failed while pods are removed; 0 dropped iterations`,
    observed: `${failed} of ${total} failed (${(share * 100).toFixed(3)} %); ${failedDuringRemoval} failed while pods were removed; ${dropped} dropped`,
    context: requestsOk ? undefined : around(record, firstBad?.t ?? record.samples.find((s) => s.errors > 0)?.t ?? record.dropAt),
  });
  return results;
}
