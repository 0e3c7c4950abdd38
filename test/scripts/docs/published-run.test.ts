import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { marked } from '../../../scripts/lib/docs/markers.ts';
import { pageRunBlock, publishedBlock, publishedNames, readPublished, readPublishedRun, runBlock, runPages } from '../../../scripts/lib/docs/published-run.ts';
import { PREDICTED_MARKER, predictedRuns, predictedTable, RECORDED_MARKER, recordedRuns, recordedTable } from '../../../scripts/lib/docs/recorded-runs.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import type { ZeroResult } from '../../../scripts/lib/loadtest/zero.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';

const published = suite('published runs');

published('are what every page that marks a place for them says, word for word from their record', async () => {
  const names = await publishedNames();
  let places = 0;
  for (const { page, runs } of await runPages()) {
    const text = await readFile(page, 'utf8');
    for (const name of names) {
      const block = pageRunBlock(text, name);
      if (block === undefined) continue;
      places += 1;
      assert.is(block, publishedBlock(name, await readPublished(name), runs), `${page}: run:${name}`);
    }
    for (const m of text.matchAll(/<!-- run:([a-z0-9-]+) -->/g)) assert.ok(names.includes(m[1] as string), `${page} marks run:${m[1]}, which docs/runs does not hold`);
  }
  assert.ok(places >= 1, 'at least one page shows a published run');
});

published("docs/e2e.md's table of the recorded runs is theirs, word for word", async () => {
  const page = await readFile(repoPath('docs/e2e.md'), 'utf8');
  const table = marked(RECORDED_MARKER).read(page);
  assert.is(table, recordedTable(await recordedRuns()));
  assert.match(table ?? '', /^\| step \| 44\.1 s/m, 'the step row from its record');
});

published("docs/simulator.md's predicted-against-observed table is the records' and today's simulator's, word for word", async () => {
  const page = await readFile(repoPath('docs/simulator.md'), 'utf8');
  const table = marked(PREDICTED_MARKER).read(page);
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  assert.is(table, predictedTable(await predictedRuns(objects)));
  assert.match(table ?? '', /^\| step \| [\d.]+ \/ 44\.1 s/m, 'the step row, observed from its record');
});

published("a run through Flux or Argo CD shows its GitOps checks, those made during it and around it, in their numbers' order", async () => {
  const run = await readPublishedRun('local-llm-step');
  const check = (name: string, ok = true) => ({ name, ok, bound: `bound of ${name}`, observed: `seen | ${name}` });
  const block = runBlock('x', { ...run, results: [...run.results, check('Flux 1. reconciles at the peak')], checks: [check('Flux 4. refused'), check('Flux 2b. window used', false), check('Flux 3a. healed')] });
  const rows = block.split('\n').filter((l) => /^\| [✓✗] \|/.test(l));
  assert.equal(rows, [
    '| ✓ | Flux 1. reconciles at the peak | bound of Flux 1. reconciles at the peak | seen \\| Flux 1. reconciles at the peak |',
    '| ✗ | Flux 2b. window used | bound of Flux 2b. window used | seen \\| Flux 2b. window used |',
    '| ✓ | Flux 3a. healed | bound of Flux 3a. healed | seen \\| Flux 3a. healed |',
    '| ✓ | Flux 4. refused | bound of Flux 4. refused | seen \\| Flux 4. refused |',
  ]);
  assert.not.match(runBlock('x', run), /\| check \|/, 'a run outside GitOps has no checks table');
});

published("the zero profile's record shows its assertions and rounds, a value not measured as none", () => {
  const batch = { answered: 40, refused: 12, lost: 0 };
  const result = {
    rounds: [
      { toZeroSeconds: null, firstOkSeconds: 14.8, podStartSeconds: 2, batch },
      { toZeroSeconds: 77, firstOkSeconds: null, podStartSeconds: 2.1, batch },
    ],
    finalToZeroSeconds: 78,
    results: [{ name: 'Zero 1. reaches zero after the cooldown', ok: true, bound: 'between 60.0 s and 102.0 s', observed: '77.0 s, 78.0 s' }],
    bounds: { zeroEarliest: 60, zeroLatest: 102, firstOkLatest: 26.5 },
  } as unknown as ZeroResult;
  const block = publishedBlock('zero-x', { kind: 'zero', result }, 'docs/runs');
  assert.match(block, /^The zero profile's record: \[docs\/runs\/zero-x\.zero\.json\]/);
  assert.match(block, /\| ✓ \| Zero 1\. reaches zero after the cooldown \| between 60\.0 s and 102\.0 s \| 77\.0 s, 78\.0 s \|/);
  assert.match(block, /\| 1 \| from the start \| 14\.8 s \| 2\.0 s \| 40 \| 12 \|/);
  assert.match(block, /\| 2 \| 77\.0 s \| none \| 2\.1 s \| 40 \| 12 \|/);
});

published.run();
