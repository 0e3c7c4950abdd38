import { runEvents, type Bounds, type HpaSettings, type PipelineSettings, type RunEvents } from './bounds.ts';
import { MAX_FAILED_SHARE } from './profiles.ts';
import { around, type RunRecord } from './timeline.ts';

// The claims of a load run. Each compares the record with a bound computed from the
// controller's rules on this run's schedule (bounds.ts) and, when it fails, says which bound
// broke and shows the timeline around it.

export interface AssertionResult {
  name: string;
  ok: boolean;
  bound: string;
  observed: string;
  /** The timeline around the failure. */
  context?: string;
}

const fmt = (s: number) => `${s.toFixed(1)} s`;

export function checkRun(record: RunRecord, hpa: HpaSettings, bounds: Bounds, pipe: PipelineSettings, prediction: RunEvents): AssertionResult[] {
  const results: AssertionResult[] = [];
  const first = record.samples[0];
  results.push({
    name: '1. replicas start at minReplicas',
    ok: first?.replicas === hpa.minReplicas,
    bound: `${hpa.minReplicas} replicas at the start`,
    observed: `${first?.replicas ?? 'no sample'} replicas`,
    context: first?.replicas === hpa.minReplicas ? undefined : around(record, 0, 0, 10),
  });

  const firstIncrease = record.changes.find((c) => c.to > c.from);
  const early = firstIncrease !== undefined && firstIncrease.t < bounds.firstIncreaseEarliest;
  const late = firstIncrease === undefined || firstIncrease.t > bounds.firstIncreaseLatest;
  results.push({
    name: '2. the first increase comes when the controller\'s rules allow it',
    ok: !early && !late,
    bound: `between ${fmt(bounds.firstIncreaseEarliest)} and ${fmt(bounds.firstIncreaseLatest)} (scaling due at ${fmt(record.stepAt)})`,
    observed: firstIncrease ? `at ${fmt(firstIncrease.t)} (${early ? 'too early' : late ? 'too late' : 'in bounds'})` : 'never',
    context: early || late ? around(record, firstIncrease?.t ?? bounds.firstIncreaseLatest) : undefined,
  });

  const peak = Math.max(...record.samples.map((s) => s.replicas), 0);
  const low = bounds.peakLow - 1;
  const high = bounds.peakHigh + 1;
  const peakOk = peak >= low && peak <= high;
  results.push({
    name: '3. the peak reaches the replicas the offered load needs',
    ok: peakOk,
    bound: `${low === high ? low : `${low} to ${high}`} replicas (the rules give ${bounds.peakLow === bounds.peakHigh ? bounds.peakLow : `${bounds.peakLow} to ${bounds.peakHigh}`}, within one; ${bounds.expectedPeak} at the target)`,
    observed: `${peak} replicas`,
    context: peakOk ? undefined : around(record, record.dropAt, 20, 0),
  });

  const firstDecrease = record.changes.find((c) => c.to < c.from);
  const tooEarly = firstDecrease !== undefined && firstDecrease.t < bounds.firstDecreaseEarliest;
  results.push({
    name: '4. no decrease before the scale-down window allows one',
    ok: !tooEarly,
    bound: `no decrease before ${fmt(bounds.firstDecreaseEarliest)} (the load last needed more than minReplicas at ${fmt(record.dropAt)})`,
    observed: firstDecrease ? `first decrease ${firstDecrease.from} → ${firstDecrease.to} at ${fmt(firstDecrease.t)}` : 'no decrease',
    context: tooEarly ? around(record, firstDecrease.t) : undefined,
  });

  const reachedMin = [...record.changes].reverse().find((c) => c.to === hpa.minReplicas && c.from > c.to);
  const tooLate = reachedMin === undefined ? firstIncrease !== undefined : reachedMin.t > bounds.backAtMinBy;
  const settledAt = reachedMin?.t ?? 0;
  const changedAfterMin = record.changes.find((c) => c.t > settledAt);
  const lastT = record.samples.at(-1)?.t ?? 0;
  const observedStable = (changedAfterMin?.t ?? lastT) - settledAt;
  const unstable = changedAfterMin !== undefined || observedStable < bounds.stableSeconds;
  results.push({
    name: '5. back at minReplicas in time, then stable',
    ok: !tooLate && !unstable,
    bound: `${hpa.minReplicas} replicas by ${fmt(bounds.backAtMinBy)}; then no change for ${fmt(bounds.stableSeconds)}`,
    observed: `at minReplicas ${reachedMin ? `at ${fmt(reachedMin.t)}` : firstIncrease ? 'never again' : 'throughout'}; ${
      changedAfterMin ? `changed again at ${fmt(changedAfterMin.t)}` : `stable for ${fmt(observedStable)}`
    }`,
    context: tooLate ? around(record, bounds.backAtMinBy) : unstable ? around(record, changedAfterMin?.t ?? lastT) : undefined,
  });

  const { total, failed, notSent } = record.requests;
  const share = total > 0 ? failed / total : 1;
  const removal = record.changes.filter((c) => c.to < c.from);
  const removalStart = removal[0]?.t;
  const removalEnd = removal.at(-1)?.t;
  const duringRemoval = removalStart === undefined ? [] : record.samples.filter((s) => s.t >= removalStart && s.t <= (removalEnd ?? removalStart) + bounds.stableSeconds);
  const lostDuringRemoval = duringRemoval.reduce((n, s) => n + s.errors + s.shed, 0);
  const requestsOk = total > 0 && share <= MAX_FAILED_SHARE && lostDuringRemoval === 0 && notSent === 0;
  const firstBad = duringRemoval.find((s) => s.errors + s.shed > 0);
  results.push({
    name: '6. requests do not fail, none while pods are removed, none not sent',
    ok: requestsOk,
    bound: `at most ${(MAX_FAILED_SHARE * 100).toFixed(1)} % failed for a reason other than shedding; none failed or shed while pods are removed; every arrival sent`,
    observed: `${failed} of ${total} failed (${(share * 100).toFixed(3)} %); ${lostDuringRemoval} failed or shed while pods were removed; ${notSent} not sent`,
    context: requestsOk ? undefined : around(record, firstBad?.t ?? record.samples.find((s) => s.errors > 0)?.t ?? record.dropAt),
  });

  // Shedding is the service doing its job while the Ready pods cannot take the offered load:
  // a full queue then drains within shedSettleSeconds. Shed anywhere else is a fault.
  const perPod = pipe.slots / pipe.serviceSeconds;
  const overloaded = new Set(record.samples.filter((s) => s.offered > s.ready * perPod).map((s) => s.t));
  const outOfPlace = record.samples.filter((s) => s.shed > 0 && ![...overloaded].some((t) => t <= s.t && s.t - t <= bounds.shedSettleSeconds + 1));
  const shedOk = record.requests.shed <= bounds.shedBound && outOfPlace.length === 0;
  results.push({
    name: '7. shedding only while the Ready pods cannot serve the load, and within the capacity gap',
    ok: shedOk,
    bound: `at most ${bounds.shedBound} shed (the offered load above minReplicas' capacity until the latest first new pod); none later than ${fmt(bounds.shedSettleSeconds)} after the Ready pods could serve it`,
    observed:
      record.requests.shed === 0
        ? 'none shed'
        : `${record.requests.shed} shed${outOfPlace.length ? `; ${outOfPlace.reduce((n, s) => n + s.shed, 0)} while the Ready pods could serve the load, first at ${fmt(outOfPlace[0]?.t ?? 0)}` : ', all while the Ready pods were short'}`,
    context: shedOk ? undefined : around(record, outOfPlace[0]?.t ?? record.samples.find((s) => s.shed > 0)?.t ?? record.stepAt),
  });
  // Held to the simulator: the same rules at the phase of the median first increase.
  const seen = runEvents(record.changes, hpa.minReplicas);
  const within = pipe.syncSeconds;
  const off = (['firstIncrease', 'firstDecrease', 'backAtMin'] as const).filter((k) => !(Math.abs(seen[k] - prediction[k]) <= within || (Number.isNaN(seen[k]) && Number.isNaN(prediction[k]))));
  const peakOff = Math.abs(seen.peak - prediction.peak) > 1;
  const show = (e: RunEvents) => `first increase ${fmtEvent(e.firstIncrease)}, peak ${e.peak}, first decrease ${fmtEvent(e.firstDecrease)}, at minReplicas ${fmtEvent(e.backAtMin)}`;
  results.push({
    name: '8. the run follows the prediction',
    ok: off.length === 0 && !peakOff,
    bound: `within ${fmt(within)} (a sync period) and one replica of the prediction: ${show(prediction)}`,
    observed: show(seen),
    context: off.length === 0 && !peakOff ? undefined : around(record, seen[off[0] ?? 'firstIncrease'] || record.stepAt),
  });
  return results;
}

const fmtEvent = (t: number) => (Number.isNaN(t) ? 'never' : fmt(t));
