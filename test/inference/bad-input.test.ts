import { request as httpRequest } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { predict, rawSocket, request, sample, scrape, until } from '../helpers/http.ts';
import { LINGER_BYTES } from '../../inference/src/request.ts';
import { startService, type Running } from '../helpers/service.ts';

const bad = suite<{ svc: Running }>('the inference service under bad input');

bad.before.each(async (ctx) => {
  ctx.svc = await startService({ INFERENCE_DRAIN_DELAY_MS: '0' });
});
bad.after.each(async (ctx) => {
  await ctx.svc.service.shutdown();
});

const post = (svc: Running, body: string | Buffer, type = 'application/json') =>
  request(svc.port, { method: 'POST', path: '/v1/predict', headers: { 'content-type': type }, body });

bad('answers malformed JSON with 400 and a one-line reason', async ({ svc }) => {
  const reply = await post(svc, '{"inputs": [1, 2');
  assert.is(reply.status, 400);
  const { error } = JSON.parse(reply.body) as { error: string };
  assert.match(error, /^malformed JSON/);
  assert.not.match(error, /\n/);
});

bad('answers a wrong content type with 415', async ({ svc }) => {
  assert.is((await post(svc, '{"inputs":[1]}', 'text/plain')).status, 415);
  assert.is((await request(svc.port, { method: 'POST', path: '/v1/predict', body: '{"inputs":[1]}' })).status, 415);
});

bad('answers a method other than POST with 405 and Allow', async ({ svc }) => {
  const reply = await request(svc.port, { path: '/v1/predict' });
  assert.is(reply.status, 405);
  assert.is(reply.headers.allow, 'POST');
});

bad('answers a body one byte over the limit with 413', async ({ svc }) => {
  const limit = svc.config.maxBodyBytes;
  const atLimit = `{"inputs":[1],"id":"${'x'.repeat(limit - 22)}"}`;
  assert.is(Buffer.byteLength(atLimit), limit);
  assert.is.not((await post(svc, atLimit)).status, 413, 'a body at the limit is read');
  assert.is((await post(svc, `${atLimit} `)).status, 413);
});

bad('refuses a huge chunked body with 413 before the client has sent it', async ({ svc }) => {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const total = 64 * 1024 * 1024;
  let sent = 0;
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: svc.port, method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, agent: false },
      (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on('error', (error) => (sent < total ? undefined : reject(error)));
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  assert.is(status, 413);
  assert.ok(sent < total / 4, `the server answered after ${sent} of ${total} bytes`);
});

/**
 * Writes the whole request before reading anything, as Python's requests does: a write that
 * fails (the server reset the connection while the body was still arriving) is a failure
 * even if some bytes of an answer arrived first, because such a client never reads them.
 */
async function writeAllThenRead(svc: Running, head: string, body: Buffer): Promise<string> {
  const { socket, closed } = rawSocket(svc.port);
  const written = await new Promise<Error | undefined>((r) => socket.write(Buffer.concat([Buffer.from(head), body]), (error) => r(error ?? undefined)));
  assert.is(written, undefined, `the server reset the connection while the body was still being written: ${written?.message}`);
  return (await closed).data;
}

const OVER = 10 * 1024 * 1024;
const overLimitJson = (): Buffer => Buffer.from(`{"inputs":[1],"id":"${'x'.repeat(OVER - 22)}"}`);

for (const path of ['/v1/completions', '/v1/predict']) {
  bad(`answers 413 on ${path} to a client that writes a whole 10 MiB body before reading`, async ({ svc }) => {
    const body = overLimitJson();
    const answer = await writeAllThenRead(svc, `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`, body);
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });

  bad(`answers 413 on ${path} to a client that writes a whole chunked body past the limit before reading`, async ({ svc }) => {
    const data = overLimitJson();
    const chunked = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n0\r\n\r\n')]);
    const answer = await writeAllThenRead(svc, `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`, chunked);
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });
}

bad('drops at most LINGER_BYTES of an over-limit body, then closes the connection', async ({ svc }) => {
  const { socket, closed } = rawSocket(svc.port);
  const total = 4 * LINGER_BYTES;
  socket.write(`POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${total}\r\n\r\n`);
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  let sent = 0;
  let open = true;
  void closed.then(() => (open = false));
  while (open && sent < total) {
    sent += chunk.length;
    if (!socket.write(chunk)) {
      await new Promise<void>((r) => {
        const go = (): void => {
          socket.off('drain', go).off('close', go);
          r();
        };
        socket.on('drain', go).on('close', go);
      });
    }
  }
  const { data } = await closed;
  assert.match(data, /^HTTP\/1\.1 413 /);
  assert.ok(sent < total, `the server read all ${total} bytes instead of closing after ${LINGER_BYTES}`);
});

bad('keeps its memory flat while it drops over-limit bodies', async ({ svc }) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const body = overLimitJson();
  const head = `POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
  // The client shares this process: its closed sockets' buffers go on the next turns of the
  // event loop, so collect a few times with a turn between before reading.
  const used = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      gc();
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  await writeAllThenRead(svc, head, body);
  const before = await used();
  for (let i = 0; i < 6; i++) assert.match(await writeAllThenRead(svc, head, body), /^HTTP\/1\.1 413 /);
  const grown = (await used()) - before;
  assert.ok(grown < OVER, `memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB over six 10 MiB bodies`);
});

bad('answers valid JSON of the wrong shape with 422 and never pollutes a prototype', async ({ svc }) => {
  const cases: unknown[] = [
    {},
    [],
    'text',
    { inputs: 'no' },
    { inputs: [] },
    { inputs: [1, 'two'] },
    { inputs: [1, null] },
    { inputs: Array.from({ length: svc.config.maxInputs + 1 }, () => 1) },
    { inputs: [1], id: 42 },
    { inputs: [1], extra: true },
  ];
  for (const payload of cases) {
    const reply = await predict(svc.port, payload);
    assert.is(reply.status, 422, `${JSON.stringify(payload).slice(0, 40)} -> ${reply.status}`);
  }
  for (const raw of ['{"inputs":[1],"__proto__":{"polluted":true}}', '{"inputs":[1],"constructor":{"prototype":{"polluted":true}}}']) {
    assert.is((await post(svc, raw)).status, 422);
  }
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is((await predict(svc.port)).status, 200, 'the service still serves');
});

bad('answers headers over the limit with 431', async ({ svc }) => {
  const reply = await request(svc.port, { path: '/healthz', headers: { 'x-big': 'a'.repeat(svc.config.maxHeaderBytes + 10) } });
  assert.is(reply.status, 431);
});

bad('closes a connection that trickles its headers after the headers timeout', async ({ svc }) => {
  const { socket, closed } = rawSocket(svc.port);
  const t0 = performance.now();
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  const timer = setInterval(() => socket.writable && socket.write('X-A: b\r\n'), 100);
  const other = await request(svc.port, { path: '/healthz' });
  const { atMs } = await closed;
  clearInterval(timer);
  assert.is(other.status, 200, 'other clients are served meanwhile');
  const after = atMs - t0;
  const bound = svc.config.headersTimeoutMs + 2 * svc.config.connectionsCheckingIntervalMs + 200;
  assert.ok(after >= svc.config.headersTimeoutMs - 50 && after <= bound, `closed after ${after.toFixed(0)} ms, bound ${bound}`);
});

bad('closes a connection that sends its body at one byte per interval after the request timeout', async ({ svc }) => {
  const { socket, closed } = rawSocket(svc.port);
  const t0 = performance.now();
  socket.write('POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n');
  const timer = setInterval(() => socket.writable && socket.write(' '), 100);
  const other = await predict(svc.port);
  const { atMs, data } = await closed;
  clearInterval(timer);
  assert.is(other.status, 200, 'other clients are served meanwhile');
  const after = atMs - t0;
  const bound = svc.config.requestTimeoutMs + 2 * svc.config.connectionsCheckingIntervalMs + 200;
  assert.ok(after >= svc.config.requestTimeoutMs - 50 && after <= bound, `closed after ${after.toFixed(0)} ms, bound ${bound}`);
  assert.match(data, /^HTTP\/1\.1 408/);
});

bad('releases the queue place of a client that disconnects while queued', async ({ svc }) => {
  const held = Array.from({ length: svc.config.slots }, () => predict(svc.port));
  await until(() => svc.service.slots.busy === svc.config.slots, 2000, 'slots busy');
  const { socket } = rawSocket(svc.port);
  const body = '{"inputs":[1]}';
  socket.write(`POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  await until(() => svc.service.slots.queued === 1, 2000, 'one request queued');
  socket.destroy();
  await until(() => svc.service.slots.queued === 0, 2000, 'the abandoned request to leave the queue');
  await Promise.all(held);
  const text = await scrape(svc.metricsPort);
  assert.is(sample(text, 'inference_requests_in_flight'), 0);
  assert.is(sample(text, 'inference_requests_total{code="200"}'), svc.config.slots);
});

bad.run();
