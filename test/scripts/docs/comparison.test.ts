import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { comparisonBlocksOnPage, keepComparison, KEPT_COMPARISONS, WHY_PAGE } from '../../../scripts/lib/docs/comparison.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';

// docs/why.md shows the kept comparisons from their records: every table and claim between
// its markers is what the code writes from them, so a figure edited by hand fails here.

const comparison = suite('the comparisons kept in the docs');

comparison(`${WHY_PAGE}'s tables and claims are the kept comparisons' records, word for word`, async () => {
  const blocks = await comparisonBlocksOnPage();
  for (const dir of KEPT_COMPARISONS) assert.ok(blocks.some(([name]) => name.includes(dir.replace(/^docs\//, ''))), `${dir} gives at least one block`);
  for (const [name, onPage, fromRecords] of blocks) {
    assert.ok(onPage !== undefined, `${WHY_PAGE} marks <!-- ${name} -->`);
    assert.is(onPage, fromRecords, `<!-- ${name} -->`);
  }
});

comparison('are kept only from a folder scripts/compare.ts wrote, under a name the page shows: anything else is one sentence', async () => {
  const refused = async (from: string, as: string, said: RegExp) => {
    const error = await keepComparison(from, as).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UserError && said.test(error.message), String(error));
  };
  await refused('reports/none', 'elsewhere', /--as takes one of side-by-side/);
  await refused(repoPath('reports', 'no-such-comparison'), 'side-by-side', /cannot read .*no-such-comparison: name a folder scripts\/compare\.ts wrote/);
  await refused(repoPath('docs'), 'side-by-side', /holds no comparison/);
});

comparison.run();
