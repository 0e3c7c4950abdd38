import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { fitScrapeOffsets } from '../../../scripts/lib/loadtest/scrape-fit.ts';

// Each pod's scrape offset, fitted to the metric a real run's recorder read (the committed
// runs of test/fixtures/runs).

const fit = suite("the pods' scrape offsets, from a real run's metric");
const run = async (name: string) => {
  const report = JSON.parse(await readFile(repoPath(`test/fixtures/runs/${name}.timeline.json`), 'utf8')) as RunReport;
  return fitScrapeOffsets(report, profileFromFlags({ profile: report.record.profile }));
};

fit("finds the sawtooth's two pods scraped 2 s apart, which one shared phase cannot fit", async () => {
  const f = await run('sawtooth');
  if ('none' in f) throw new Error(f.none);
  const [a, b] = f.best.offsets as [number, number];
  assert.is(Math.abs(b - a), 2);
  assert.is(f.best.delay, 0, 'no delay beyond the scrape');
  assert.ok(f.best.rms * 3 < f.together.rms, `apart ${f.best.rms.toFixed(3)}, together ${f.together.rms.toFixed(3)}`);
});

fit("finds the step's two pods scraped together", async () => {
  const f = await run('step');
  if ('none' in f) throw new Error(f.none);
  assert.equal(f.best.offsets[0], f.best.offsets[1]);
  assert.is(f.best.rms, f.together.rms);
});

fit('says why a run has no fit when its pods queued before the first change', async () => {
  const f = await run('spike');
  assert.ok('none' in f);
  assert.match((f as { none: string }).none, /^the load passed the 2 starting pods' 12 slots at [\d.]+ s, before the first replica change, so they queued$/);
});

fit.run();
