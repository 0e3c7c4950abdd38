import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { predict } from '../../../scripts/lib/loadtest/predict.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { sweepsRun } from '../../../scripts/lib/plan/bounds.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
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

predicted('plans a run once: its bounds and its prediction come from one sweep over the phases', async () => {
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  for (const name of ['step', 'sawtooth']) {
    const before = sweepsRun();
    const { report } = await predict({ objects, overlay: 'overlays/local', profile: profileFromFlags({ profile: name }), provider: { relistSeconds: async () => 5 }, podStartSeconds: 2, reportDir: await mkdtemp(join(tmpdir(), 'predict-once-')) });
    assert.is(sweepsRun() - before, 1, `${name}: sweeps`);
    assert.ok(report.record.changes.length >= 2 && report.results.length >= 6, `${name}: a whole run, judged`);
  }
});

predicted('explains the sync nearest a time, and draws the same Poisson arrivals for the same seed', async () => {
  const env = { ...process.env, KUBECONFIG: '/nonexistent' };
  const root = await mkdtemp(join(tmpdir(), 'predict-'));
  const run = (args: string[], sub: string) => runScript('scripts/simulate.ts', [...args, '--report-dir', join(root, sub)], env);
  const [explained, shown] = await Promise.all([run(['--explain', '60'], 'a'), run(['--explain', '170'], 'e')]);
  assert.is(explained.code, 0, explained.stderr);
  // docs/simulator.md shows what --explain 170 prints, word for word.
  const said = /^the sync nearest 170 s: .*$/m.exec(shown.stdout)?.[0];
  assert.ok(said && (await readFile(repoPath('docs/simulator.md'), 'utf8')).includes(`\n${said}\n`), `docs/simulator.md shows: ${said}`);
  assert.match(explained.stdout, /^the sync nearest 60 s: \d+\.\d s: \d+ replicas; vllm_requests_in_flight [\d.]+ against 4 \(ratio [\d.]+\) proposes \d+; windows → \d+; rates and min\/max → \d+ \(\w+\); set by /m);
  assert.match(await readFile(join(root, 'a', 'summary.md'), 'utf8'), /## Why the HPA did what it did[\s\S]*\| the scale-down window \|/);
  const [a, b] = await Promise.all([run(['--seed', '7'], 'b'), run(['--seed', '7'], 'c'), run(['--seed', '8'], 'd')]);
  const lines = (out: string) => out.split('\n').filter((l) => !/ in \d+ ms:$|^\//.test(l));
  assert.match(a.stdout, /Poisson arrivals, seed 7/);
  assert.equal(lines(a.stdout), lines(b.stdout), 'the same seed, the same prediction');
  const timeline = async (sub: string) => (JSON.parse(await readFile(join(root, sub, 'timeline.json'), 'utf8')) as RunReport).record.samples.map((s) => s.p95);
  assert.not.equal(await timeline('c'), await timeline('d'), 'another seed, other arrivals');
  const bad = await runScript('scripts/simulate.ts', ['--seed', '1.5'], env);
  assert.is(bad.code, 2);
  assert.is(bad.stderr.trim(), 'error: --seed must be a non-negative whole number, got "1.5".');
});

predicted('refuses a phase that is not a number with exit code 2', async () => {
  const { code, stderr } = await runScript('scripts/simulate.ts', ['--sync-phase', 'soon']);
  assert.is(code, 2);
  assert.is(stderr.trim(), 'error: --sync-phase must be a non-negative number of seconds, got "soon".');
});

predicted.run();
