import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { runScript } from '../../helpers/cli.ts';

const predicted = suite('scripts/simulate.ts');

predicted('predicts a run without a cluster and writes the report a real run writes, marked as predicted', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'predict-')), 'report');
  const { code, stdout, stderr } = await runScript('scripts/simulate.ts', ['--overlay', 'overlays/local', '--profile', 'spike', '--report-dir', dir], { ...process.env, KUBECONFIG: '/nonexistent' });
  assert.is(code, 0, stderr);
  assert.match(stdout, /^predicted spike on overlays\/local \(\d+ s of load\) in \d+ ms:/);
  const report = JSON.parse(await readFile(join(dir, 'timeline.json'), 'utf8')) as RunReport;
  assert.is(report.predicted, true);
  assert.ok(report.record.changes.length >= 2, 'up and down again');
  for (const c of report.record.changes) assert.match(stdout, `${c.t.toFixed(1)} s  ${c.from} → ${c.to} replicas`);
  assert.ok(report.record.requests.shed > 0, 'a spike past two pods sheds');
  assert.match(await readFile(join(dir, 'summary.md'), 'utf8'), /^# inferscale prediction \(simulated, not observed\): spike on overlays\/local/);
  assert.match(await readFile(join(dir, 'chart.svg'), 'utf8'), /predicted: spike load/);
});

predicted('refuses a phase that is not a number with exit code 2', async () => {
  const { code, stderr } = await runScript('scripts/simulate.ts', ['--sync-phase', 'soon']);
  assert.is(code, 2);
  assert.is(stderr.trim(), 'error: --sync-phase must be a non-negative number of seconds, got "soon".');
});

predicted.run();
