import { Worker } from 'node:worker_threads';

// Compute mode runs the model in worker threads, one per slot, so the event loop stays
// free for /metrics and the probes even when every slot is busy.

interface Pending {
  resolve: (outputs: number[]) => void;
  reject: (error: Error) => void;
}

// In the bundled image worker.js sits beside the bundle; from source (tests, development)
// Node strips the types of worker.ts itself.
function spawnWorker(): Worker {
  const file = import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js';
  return new Worker(new URL(file, import.meta.url));
}

export class ComputePool {
  private readonly idle: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly owner = new Map<number, Worker>();
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = spawnWorker();
      worker.on('message', (msg: { id: number; outputs: number[] }) => this.settle(worker, msg.id, msg.outputs));
      worker.on('error', (error) => this.fail(worker, error instanceof Error ? error : new Error(String(error))));
      worker.unref();
      this.idle.push(worker);
    }
  }

  /** The caller holds a slot, and there is one worker per slot, so an idle worker exists. */
  run(inputs: number[], busyMs: number): Promise<number[]> {
    const worker = this.idle.pop();
    if (!worker) return Promise.reject(new Error('no idle compute worker: more jobs than slots'));
    const id = this.nextId++;
    this.owner.set(id, worker);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, inputs, busyMs });
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.idle, ...this.owner.values()].map((w) => w.terminate()));
  }

  private settle(worker: Worker, id: number, outputs: number[]): void {
    const job = this.pending.get(id);
    this.pending.delete(id);
    this.owner.delete(id);
    this.idle.push(worker);
    job?.resolve(outputs);
  }

  private fail(worker: Worker, error: Error): void {
    for (const [id, w] of this.owner) {
      if (w !== worker) continue;
      this.pending.get(id)?.reject(error);
      this.pending.delete(id);
      this.owner.delete(id);
    }
  }
}
