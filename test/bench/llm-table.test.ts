import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LLM_PAGE, LLM_RECORD, pageLlmTable, renderLlmTable, type LlmRecord } from '../../bench/llm-table.ts';

const test = suite("bench:llm's table");

test("docs/benchmarks.md's figures are its committed record's, and an edited figure is caught", async () => {
  const record = JSON.parse(await readFile(LLM_RECORD, 'utf8')) as LlmRecord;
  const page = pageLlmTable(await readFile(LLM_PAGE, 'utf8'));
  assert.is(page, renderLlmTable(record));
  assert.ok(record.cpuLimited, 'measured inside the pod\'s CPU limit');
  assert.equal(record.figures.map((f) => f.sequences), [1, 2, 4]);
  const edited = { ...record, figures: record.figures.map((f, i) => (i === 0 ? { ...f, tokensPerSecond: f.tokensPerSecond + 1 } : f)) };
  assert.is.not(page, renderLlmTable(edited));
});

test.run();
