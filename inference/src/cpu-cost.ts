// What a request costs a CPU-bound pod, measured on the pod: the process's CPU time (every
// thread's: the HTTP handling, the hand-offs, the worker or the model's own threads) over the
// requests it served, across the last few samples. CPU time, unlike a request's wall time,
// does not stretch when requests share the quota, so the arrivals times this cost grow
// linearly with the load even while the pod is saturated.

export interface CpuSample {
  /** The process's CPU time so far, seconds. */
  cpuSeconds: number;
  /** Requests served so far. */
  served: number;
}

export class CpuCostEstimate {
  private readonly samples: CpuSample[] = [];
  private estimate: number | undefined;

  private readonly window: number;
  private readonly minServed: number;

  /**
   * `window` samples are kept (one a second: the last ten seconds); an estimate needs at
   * least `minServed` requests served across them, else the last one holds.
   */
  constructor(window = 10, minServed = 10) {
    this.window = window;
    this.minServed = minServed;
    if (!Number.isInteger(window) || window < 2) throw new RangeError(`a CPU cost window needs at least 2 samples, got ${window}`);
  }

  /** Records the running totals; a total that went backwards is ignored. */
  sample(s: CpuSample): void {
    const last = this.samples.at(-1);
    if (!Number.isFinite(s.cpuSeconds) || !Number.isFinite(s.served)) return;
    if (last && (s.cpuSeconds < last.cpuSeconds || s.served < last.served)) return;
    this.samples.push(s);
    if (this.samples.length > this.window) this.samples.shift();
    const first = this.samples[0] as CpuSample;
    const served = s.served - first.served;
    if (served >= this.minServed) this.estimate = (s.cpuSeconds - first.cpuSeconds) / served;
  }

  /** CPU seconds a request costs, or undefined before enough requests were served. */
  perRequest(): number | undefined {
    return this.estimate;
  }
}

/** The process's CPU time so far (user and system, all threads), seconds. */
export const processCpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
