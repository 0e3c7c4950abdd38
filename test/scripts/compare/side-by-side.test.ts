import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { policyFigures, row } from '../../../scripts/lib/compare/report.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { referenceHpa } from '../../../scripts/lib/docs/comparison.ts';

// docs/side-by-side holds the last side-by-side comparison CI ran, as the run wrote it, with
// each policy's observed and predicted records: every row of its table comes from them.

const DIR = 'docs/side-by-side';
const read = async (path: string): Promise<RunReport> => JSON.parse(await readFile(repoPath(DIR, path), 'utf8')) as RunReport;

const sideBySide = suite('the kept side-by-side comparison');

sideBySide("docs/side-by-side/compare.md's rows are its records', word for word", async () => {
  const page = await readFile(repoPath(DIR, 'compare.md'), 'utf8');
  const reference = await referenceHpa();
  for (const policy of ['concurrency', 'latency-external', 'cpu']) {
    const line = row(policy, policyFigures(await read(`sleep-${policy}/timeline.json`), reference), policyFigures(await read(`sleep-${policy}-predicted/timeline.json`), reference));
    assert.ok(page.split('\n').includes(line), `${policy}: ${line}`);
  }
});

sideBySide.run();
