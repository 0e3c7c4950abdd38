import { parentPort } from 'node:worker_threads';
import { computeFor, threadCpuMs } from './model.ts';

interface Job {
  id: number;
  inputs: number[];
  busyMs: number;
}

// This thread's CPU is held to the sum of what its jobs asked for, not each job to its own:
// what a job spends past its ask (the message, the last pass past the deadline, a clock read
// between ticks) comes off the next one, so a request of many short jobs (a token each)
// costs the CPU it declares rather than that plus an overhead per token.
const origin = threadCpuMs();
let asked = 0;

parentPort?.on('message', (job: Job) => {
  asked += job.busyMs;
  const { outputs, passes } = computeFor(job.inputs, Math.max(0, origin + asked - threadCpuMs()));
  parentPort?.postMessage({ id: job.id, outputs, passes });
});
