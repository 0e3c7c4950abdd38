import { parseFlags, runMain, scriptArgv, UsageError } from './lib/cli.ts';
import { publishRecorded, publishRun } from './lib/docs/published-run.ts';

const usage = `
Usage: npx zx scripts/publish-run.ts (--report <dir> --as <name> | --recorded)

Publishes a load run in the docs: copies its timeline.json and chart.svg into docs/runs/<name>.*
and writes its figures (assertions held, reaction, settle, SLO attainment, replica-seconds, the
model server's TTFT and tokens/s, the GitOps checks of a run through Flux or Argo CD) into
every page that marks a place for them with <!-- run:<name> --> ... <!-- /run:<name> -->. A
zero profile's folder (zero.json) is published the same way, its assertions and rounds. A
test holds each page to the record.

  --report <dir>   the run's folder (reports/<time>-<profile>, or reports/<time>-zero)
  --as <name>      the name it is published under, e.g. local-llm-step
  --recorded       instead, write docs/e2e.md's table of the recorded runs (test/fixtures/runs)
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { report: { type: 'string' }, as: { type: 'string' }, recorded: { type: 'boolean' } }, usage);
  if (flags.recorded) {
    process.stdout.write(`${await publishRecorded()}\n`);
    return;
  }
  if (!flags.report || !flags.as) throw new UsageError('--report and --as are both required (or --recorded).');
  const { record, pages } = await publishRun(flags.report, flags.as);
  process.stdout.write(`${record}\n${pages.length > 0 ? pages.join('\n') : `no page marks <!-- run:${flags.as} --> yet`}\n`);
});
