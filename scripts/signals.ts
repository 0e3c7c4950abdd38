import { readFile, writeFile } from 'node:fs/promises';
import { parseFlags, runMain, scriptArgv } from './lib/cli.ts';
import { predictSignals, SIGNALS_MARKER, signalsTable } from './lib/compare/signals.ts';
import { marked } from './lib/docs/markers.ts';
import { repoPath } from './lib/paths.ts';
import { sh } from './lib/shell.ts';

const usage = `
Usage: npx zx scripts/signals.ts [--write]

Predicts each candidate scaling signal on each scenario's step with the simulator (the same
rules, pods and pipeline the e2e's bounds use; no cluster): ours (concurrency: requests in
flight per pod), utilization (the offered load, each arrival's cost alone, over what a pod
runs at once, held at 0.75), both (the HPA takes the larger proposal), and utilization over a
10 s window. Prints the table; with --write, also into docs/signals.md, which a test holds
to it.
`;

await runMain(async () => {
  const flags = parseFlags(scriptArgv(import.meta.url), { write: { type: 'boolean' } }, usage);
  const table = signalsTable(await predictSignals(sh));
  process.stdout.write(`${table}\n`);
  if (flags.write) {
    const page = repoPath('docs/signals.md');
    await writeFile(page, marked(SIGNALS_MARKER).write(await readFile(page, 'utf8'), table));
    process.stdout.write(`${page}\n`);
  }
});
