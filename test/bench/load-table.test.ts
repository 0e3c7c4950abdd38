import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOAD_PAGE, LOAD_RECORD, pageLoadTable, README, readmeLoadSummary, renderLoadSummary, renderLoadTable, type LoadRecord } from '../../bench/load-table.ts';

const test = suite("bench:load's table");

test("docs/benchmarks.md's figures are its committed record's, and an edited figure is caught", async () => {
  const record = JSON.parse(await readFile(LOAD_RECORD, 'utf8')) as LoadRecord;
  const page = pageLoadTable(await readFile(LOAD_PAGE, 'utf8'));
  assert.is(page, renderLoadTable(record));
  const edited = { ...record, figures: record.figures.map((f, i) => (i === 2 ? { ...f, latenessP99Ms: f.latenessP99Ms + 0.5 } : f)) };
  assert.is.not(page, renderLoadTable(edited));
  const line = readmeLoadSummary(await readFile(README, 'utf8'));
  assert.is(line, renderLoadSummary(record));
  assert.is.not(line, renderLoadSummary(edited));
});

test.run();
