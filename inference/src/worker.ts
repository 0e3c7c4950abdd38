import { parentPort } from 'node:worker_threads';
import { computeFor } from './model.ts';

interface Job {
  id: number;
  inputs: number[];
  busyMs: number;
}

parentPort?.on('message', (job: Job) => {
  const { outputs, passes } = computeFor(job.inputs, job.busyMs);
  parentPort?.postMessage({ id: job.id, outputs, passes });
});
