import { createServer } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runBatch, serveBacklog } from '../../../scripts/lib/loadtest/batch.ts';
import { BACKLOG_METRIC } from '../../../scripts/lib/monitoring/backlog.ts';
import { sample } from '../../helpers/http.ts';
import { startService } from '../../helpers/service.ts';

// The batch client a Deployment at zero serves: every request answered once a server
// listens, the refusals before that sent again after a pause and counted as backlog.

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const test = suite('the batch client');

const PREDICT = { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, bodies: [JSON.stringify({ inputs: [1, 2, 3] })] };

test('answers every request once a server listens, sending the refused ones again, and exports its backlog meanwhile', async () => {
  const port = await freePort();
  const exporter = await serveBacklog(0);
  const seen: number[] = [];
  const scrape = async () => sample(await (await fetch(`http://127.0.0.1:${exporter.port}/metrics`)).text(), BACKLOG_METRIC);
  const batch = runBatch({ baseUrl: `http://127.0.0.1:${port}`, request: PREDICT, requests: 6, concurrency: 3, retryMs: 100, deadlineMs: 20_000, onBacklog: exporter.set });
  await new Promise((r) => setTimeout(r, 600));
  seen.push(await scrape());
  // The "pod" starts: nothing listened on the port until now.
  const svc = await startService({ INFERENCE_PORT: String(port) });
  try {
    const result = await batch;
    assert.is(result.answered, 6);
    assert.is(result.lost, 0);
    assert.ok(result.refused >= 3, `${result.refused} refusals before the server listened`);
    assert.ok((result.firstOkAt ?? 0) - result.startedAt >= 600, 'the first 200 only once it listens');
    assert.is(seen[0], 3, 'every request in flight waits while nothing listens');
    assert.is(await scrape(), 0, 'no backlog once all are answered');
  } finally {
    await svc.service.shutdown();
    await exporter.close();
  }
});

test('loses, rather than repeats, a request answered with a client error, and one past the deadline', async () => {
  const svc = await startService();
  const port = await freePort();
  try {
    const bad = await runBatch({ baseUrl: `http://127.0.0.1:${svc.port}`, request: { ...PREDICT, path: '/v1/nope' }, requests: 2, concurrency: 2, retryMs: 50, deadlineMs: 5_000 });
    assert.equal([bad.answered, bad.lost, bad.refused], [0, 2, 0]);
    const late = await runBatch({ baseUrl: `http://127.0.0.1:${port}`, request: PREDICT, requests: 2, concurrency: 1, retryMs: 50, deadlineMs: 300 });
    assert.equal([late.answered, late.lost], [0, 2]);
    assert.ok(late.refused >= 2);
  } finally {
    await svc.service.shutdown();
  }
});

test.run();
