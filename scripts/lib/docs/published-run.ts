import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../cli.ts';
import { figureLines } from '../plan/figures.ts';
import { checkTable, gitopsChecks, type RunReport } from '../loadtest/report.ts';
import { ZERO_RECORD, zeroTables, type ZeroResult } from '../loadtest/zero.ts';
import { serverLines } from '../loadtest/server-figures.ts';
import { repoPath } from '../paths.ts';
import { marked } from './markers.ts';
import { PREDICTED_MARKER, predictedRuns, predictedTable, RECORDED_MARKER, recordedRuns, recordedTable } from './recorded-runs.ts';
import { renderOverlay } from '../manifests/render.ts';
import { sh } from '../shell.ts';

// A run published in the docs: its record (timeline.json) and chart kept in docs/runs/, and
// its figures written into every page that marks a place for them (<!-- run:<name> -->),
// so the pages say what the run recorded and nothing typed by hand.

export const RUNS_DIR = repoPath('docs/runs');
const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The figures as a page shows them; `runs` is docs/runs as the page links it. */
export function runBlock(name: string, r: RunReport, runs = 'runs'): string {
  const held = r.results.filter((a) => a.ok).length;
  return [
    `![${r.record.profile} on ${r.overlay}](${runs}/${name}.svg)`,
    '',
    `${r.record.profile} on ${r.overlay}: ${held} of ${r.results.length} assertions hold; ${r.record.requests.total} requests (record: [${runs}/${name}.timeline.json](${runs}/${name}.timeline.json)).`,
    '',
    ...[...figureLines(r.figures, r.pipeline, r.hpa.minReplicas), ...(r.record.server ? serverLines(r.record.server) : [])].map((l) => `- ${l}`),
    ...gitopsTable(r),
  ].join('\n');
}

/** A run through Flux or Argo CD: its GitOps checks, each with its bound and what was seen. */
function gitopsTable(r: RunReport): string[] {
  const checks = gitopsChecks(r);
  return checks.length === 0 ? [] : ['', ...checkTable(checks)];
}

/** The pages that may hold a run's figures, each with docs/runs as it links it: README.md and docs/*.md. */
export async function runPages(): Promise<{ page: string; runs: string }[]> {
  const docs = (await readdir(repoPath('docs'))).filter((f) => f.endsWith('.md')).map((f) => ({ page: repoPath('docs', f), runs: 'runs' }));
  return [{ page: repoPath('README.md'), runs: 'docs/runs' }, ...docs];
}

/** What a page holds for a run, or undefined where it marks no place for it. */
export const pageRunBlock = (page: string, name: string): string | undefined => marked(`run:${name}`).read(page);

export async function readPublishedRun(name: string): Promise<RunReport> {
  return JSON.parse(await readFile(join(RUNS_DIR, `${name}.timeline.json`), 'utf8')) as RunReport;
}

/** Copies a report's record (and a load run's chart) into docs/runs and writes its figures where pages mark them; returns the record kept and the pages written. */
export async function publishRun(reportDir: string, name: string): Promise<{ record: string; pages: string[] }> {
  if (!NAME.test(name)) throw new UserError(`"${name}" is not a run name (lowercase letters, digits and -, at most 64).`);
  const read = (file: string) => readFile(join(reportDir, file), 'utf8').catch(() => undefined);
  const [json, zero] = [await read('timeline.json'), await read(ZERO_RECORD)];
  if (json === undefined && zero === undefined) throw new UserError(`${reportDir} has no timeline.json or ${ZERO_RECORD}: name the folder a load run or the zero profile wrote (reports/<time>-<profile>).`);
  await mkdir(RUNS_DIR, { recursive: true });
  const record = join(RUNS_DIR, json !== undefined ? `${name}.timeline.json` : `${name}.${ZERO_RECORD}`);
  await writeFile(record, json ?? (zero as string));
  if (json !== undefined) await copyFile(join(reportDir, 'chart.svg'), join(RUNS_DIR, `${name}.svg`));
  const published: Published = json !== undefined ? { kind: 'run', report: JSON.parse(json) as RunReport } : { kind: 'zero', result: JSON.parse(zero as string) as ZeroResult };
  const written: string[] = [];
  const block = marked(`run:${name}`);
  for (const { page, runs } of await runPages()) {
    const text = await readFile(page, 'utf8');
    if (block.read(text) === undefined) continue;
    await writeFile(page, block.write(text, publishedBlock(name, published, runs)));
    written.push(page);
  }
  return { record, pages: written };
}

/** A published record: a load run's, or the zero profile's. */
export type Published = { kind: 'run'; report: RunReport } | { kind: 'zero'; result: ZeroResult };

/** The names docs/runs holds a record of. */
export async function publishedNames(): Promise<string[]> {
  const files = await readdir(RUNS_DIR).catch(() => [] as string[]);
  return files.flatMap((f) => /^(.+)\.(timeline|zero)\.json$/.exec(f)?.[1] ?? []);
}

export async function readPublished(name: string): Promise<Published> {
  const zero = await readFile(join(RUNS_DIR, `${name}.${ZERO_RECORD}`), 'utf8').catch(() => undefined);
  if (zero !== undefined) return { kind: 'zero', result: JSON.parse(zero) as ZeroResult };
  return { kind: 'run', report: await readPublishedRun(name) };
}

/** What a page shows of a published record. */
export function publishedBlock(name: string, p: Published, runs = 'runs'): string {
  if (p.kind === 'run') return runBlock(name, p.report, runs);
  return [`The zero profile's record: [${runs}/${name}.${ZERO_RECORD}](${runs}/${name}.${ZERO_RECORD}).`, '', ...zeroTables(p.result)].join('\n');
}

/** Writes docs/e2e.md's table of the recorded runs from their records; returns the page. */
export async function publishRecorded(): Promise<string> {
  const page = repoPath('docs/e2e.md');
  const block = marked(RECORDED_MARKER);
  await writeFile(page, block.write(await readFile(page, 'utf8'), recordedTable(await recordedRuns())));
  const simulator = repoPath('docs/simulator.md');
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  await writeFile(simulator, marked(PREDICTED_MARKER).write(await readFile(simulator, 'utf8'), predictedTable(await predictedRuns(objects))));
  return `${page}\n${simulator}`;
}
