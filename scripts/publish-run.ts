import { parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { keepComparison, publishComparisons } from './lib/docs/comparison.ts';
import { publishRecorded, publishRun } from './lib/docs/published-run.ts';

const usage = `
Usage: npx zx scripts/publish-run.ts (--report <dir> --as <name> | --recorded | --comparisons [--from <dir> --as <name>])

Publishes a load run in the docs: copies its timeline.json and chart.svg into docs/runs/<name>.*
and writes its figures (assertions held, reaction, settle, SLO attainment, replica-seconds, the
model server's TTFT and tokens/s, the GitOps checks of a run through Flux or Argo CD) into
every page that marks a place for them with <!-- run:<name> --> ... <!-- /run:<name> -->. A
zero profile's folder (zero.json) is published the same way, its assertions and rounds. A
test holds each page to the record.

  --report <dir>   the run's folder (reports/<time>-<profile>, or reports/<time>-zero)
  --as <name>      the name it is published under, e.g. local-llm-step
  --recorded       instead, write docs/e2e.md's table of the recorded runs (test/fixtures/runs)
  --comparisons    instead, write docs/why.md's tables and claims from the comparisons kept
                   with their records (docs/side-by-side, docs/comparison, docs/measured-cost,
                   docs/real-model); with --from <dir> --as
                   side-by-side|comparison|measured-cost|real-model, keep the
                   comparison scripts/compare.ts wrote in <dir> (its compare.md, charts and each
                   run's timeline.json) there first
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { report: { type: 'string' }, as: { type: 'string' }, recorded: { type: 'boolean' }, comparisons: { type: 'boolean' }, from: { type: 'string' } }, usage);
  if (flags.comparisons) {
    if ((flags.from === undefined) !== (flags.as === undefined)) throw new UsageError('--from and --as go together: the folder scripts/compare.ts wrote, and the name it is kept under (side-by-side, comparison, measured-cost or real-model).');
    if (flags.from !== undefined && flags.as !== undefined) process.stdout.write(`${await keepComparison(flags.from, flags.as)}\n`);
    const written = await publishComparisons();
    process.stdout.write(`${written.length > 0 ? written.map((m) => `docs/why.md: <!-- ${m} -->`).join('\n') : 'docs/why.md marks no place for a kept comparison'}\n`);
    return;
  }
  if (flags.recorded) {
    process.stdout.write(`${await publishRecorded()}\n`);
    return;
  }
  if (!flags.report || !flags.as) throw new UsageError('--report and --as are both required (or --recorded, or --comparisons).');
  const { record, pages } = await publishRun(flags.report, flags.as);
  process.stdout.write(`${record}\n${pages.length > 0 ? pages.join('\n') : `no page marks <!-- run:${flags.as} --> yet`}\n`);
});
