import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rejects } from '../helpers/assert.ts';
import { AbortedWhileQueuedError, QueueFullError, SlotPool } from '../../inference/src/slots.ts';

const slots = suite('the slot pool');

slots('grants slots, queues beyond them in order, and refuses beyond the queue', async () => {
  const seen: [number, number][] = [];
  const pool = new SlotPool(1, 1, (running, queued) => seen.push([running, queued]));
  const releaseFirst = await pool.acquire();
  const second = pool.acquire();
  await rejects(pool.acquire(), (e: unknown) => e instanceof QueueFullError);
  releaseFirst();
  releaseFirst();
  const releaseSecond = await second;
  releaseSecond();
  assert.equal(seen, [[1, 0], [1, 1], [1, 0], [0, 0]]);
});

slots('drops a queued request whose client went away', async () => {
  const pool = new SlotPool(1, 4);
  const release = await pool.acquire();
  const abort = new AbortController();
  const queued = pool.acquire(abort.signal);
  abort.abort();
  await rejects(queued, (e: unknown) => e instanceof AbortedWhileQueuedError);
  assert.is(pool.inFlight, 1);
  release();
  assert.is(pool.inFlight, 0);
});

slots('takes a free slot at once with tryAcquire and never queues', () => {
  const pool = new SlotPool(1, 4);
  const release = pool.tryAcquire();
  assert.ok(release);
  assert.is(pool.tryAcquire(), undefined);
  assert.is(pool.queued, 0);
  release?.();
  assert.is(pool.busy, 0);
});

slots.run();
