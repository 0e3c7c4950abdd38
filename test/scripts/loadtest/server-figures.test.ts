import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderChart } from '../../../scripts/lib/loadtest/chart.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { markdown } from '../../../scripts/lib/loadtest/report.ts';
import { serverLines } from '../../../scripts/lib/loadtest/server-figures.ts';
import type { ServerFigures } from '../../../scripts/lib/plan/timeline.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';

const server: ServerFigures = { ttftP50Seconds: 0.21, ttftP95Seconds: 0.85, tokensPerSecond: [{ t: 0, value: 4 }, { t: 5, value: 12.5 }, { t: 10, value: Number.NaN }, { t: 15, value: 30 }] };
const report = async (): Promise<RunReport> => JSON.parse(await readFile(repoPath('test/fixtures/runs/step.timeline.json'), 'utf8')) as RunReport;

const figures = suite("a model server's own figures in the report");

figures('are said in the summary: TTFT p50 and p95, and the fleet\'s peak tokens/s', async () => {
  assert.equal(serverLines(server), [
    "time to first token (the server's vllm:time_to_first_token_seconds over the run): p50 210 ms, p95 850 ms",
    'tokens generated per second by the fleet (vllm:generation_tokens_total): peak 30.0',
  ]);
  const r = await report();
  assert.not.match(markdown(r), /time to first token/, 'a run of the predict API has none');
  const generatedNothing = { ttftP50Seconds: null, ttftP95Seconds: null, tokensPerSecond: [{ t: 0, value: 0 }, { t: 5, value: 0 }] } as unknown as ServerFigures;
  assert.equal(serverLines(generatedNothing), [], 'a server that generated nothing (its counter at 0, as read back from a record) says nothing');
  assert.match(markdown({ ...r, record: { ...r.record, server } }), /- time to first token \(the server's vllm:time_to_first_token_seconds over the run\): p50 210 ms, p95 850 ms/);
});

figures('draw a tokens/s panel under the latency, only for a run that has them', async () => {
  const r = await report();
  const opts = { maxReplicas: 8, sloSeconds: 0.5, title: 'step' };
  const without = renderChart(r.record, opts);
  const withServer = renderChart({ ...r.record, server }, opts);
  assert.not.match(without, /tokens\/s generated/);
  assert.match(withServer, /tokens\/s generated \(the server's vllm:generation_tokens_total\); TTFT p95 over the run 850 ms/);
  assert.match(withServer, /stroke="#6a3fb5"/);
  const height = (svg: string) => Number(/height="(\d+)"/.exec(svg)?.[1]);
  assert.ok(height(withServer) > height(without), 'the chart grows by the panel');
});

figures.run();
