import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readK6Csv } from '../../../scripts/lib/loadtest/k6.ts';

// k6's CSV output as k6 1.8 writes it (the header and row shape of a real run's k6.csv).

const HEADER = 'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata';
const URL = 'http://127.0.0.1:30080/v1/predict';
const row = (metric: string, ms: number, value: number, status = '200') =>
  `${metric},${ms},${value.toFixed(6)},,,,${status === '200'},,POST,${URL},HTTP/1.1,step,,${status},,,${URL},,`;

async function csv(lines: string[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'k6-')), 'k6.csv');
  await writeFile(file, `${[HEADER, ...lines].join('\n')}\n`);
  return file;
}

const k6 = suite("the k6 CSV reader");

const T0 = 1_796_118_123_000;

k6('counts requests per second from the first request\'s start, with their failures', async () => {
  const results = await readK6Csv(
    await csv([
      row('http_reqs', T0 + 200, 1),
      row('http_req_duration', T0 + 200, 200),
      row('http_req_duration', T0 + 900, 250),
      row('http_req_duration', T0 + 1_300, 180, '503'),
      row('http_req_failed', T0 + 1_300, 1, '503'),
      row('http_req_duration', T0 + 2_050, 210),
    ]),
  );
  assert.is(results.startMs, T0, 'the first request started 200 ms before it ended');
  assert.is(results.total, 4);
  assert.is(results.failed, 1);
  assert.equal([...results.perSecond.keys()].sort(), [0, 1, 2]);
  assert.equal(results.perSecond.get(0), { responses: 2, errors: 0, shed: 0, durations: [0.2, 0.25] });
  assert.equal(results.perSecond.get(1), { responses: 1, errors: 1, shed: 0, durations: [0.18] });
  assert.equal(results.okDurationsMs, [200, 250, 210]);
});

k6('counts from the load\'s start when the profile starts idle, or from k6\'s first vus sample', async () => {
  const vus = (ms: number) => `vus,${ms},0.000000,,,,,,,,,,,,,,,,`;
  const lines = [vus(T0 + 900), row('http_req_duration', T0 + 30_200, 200)];
  const idle = await readK6Csv(await csv(lines), 30);
  assert.is(idle.startMs, T0, 'the first request, due 30 s in, started at T0 + 30 s');
  assert.equal([...idle.perSecond.keys()], [30]);
  const late = await readK6Csv(await csv(lines), 0);
  assert.is(late.startMs, T0 + 900, 'a vus sample earlier than the first request bounds the start');
});

k6('counts a 429 as shed, not as failed', async () => {
  const results = await readK6Csv(await csv([row('http_req_duration', T0 + 100, 100), row('http_req_duration', T0 + 200, 1, '429'), row('http_req_duration', T0 + 300, 1, '500')]));
  assert.equal([results.total, results.failed, results.shed], [3, 1, 1]);
  assert.equal(results.perSecond.get(0), { responses: 3, errors: 1, shed: 1, durations: [0.1, 0.001, 0.001] });
});

k6('adds up dropped iterations', async () => {
  const results = await readK6Csv(
    await csv([row('http_req_duration', T0 + 100, 100), `dropped_iterations,${T0 + 500},3.000000,,,,,,,,,step,,,,,,,`, `dropped_iterations,${T0 + 900},2.000000,,,,,,,,,step,,,,,,,`]),
  );
  assert.is(results.dropped, 5);
  assert.is(results.total, 1);
});

k6.run();
