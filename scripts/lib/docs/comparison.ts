import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../cli.ts';
import { claimLines, sleepClaims } from '../compare/claims.ts';
import { POLICIES, SCENARIOS, type Scenario } from '../compare/policies.ts';
import { loadRuns, policyFigures, referenceHpa as renderReference, referenceHpas as renderReferences, row, TABLE_HEAD } from '../compare/report.ts';
import { repoPath } from '../paths.ts';
import type { HpaSettings } from '../plan/bounds.ts';
import { sh } from '../shell.ts';
import { marked } from './markers.ts';

// A policy comparison kept in the docs with its records (each policy's observed and
// predicted timeline.json, as scripts/compare.ts wrote them): docs/why.md's tables and claims
// are written from those records by the code, never typed, and a test holds them to it.

/**
 * The comparisons the docs keep, each a folder scripts/compare.ts wrote: the last side-by-side
 * one CI ran, the last one run a policy at a time, the candidate signal on a cost measured on
 * the pod against the CPU policy, and the policies on the real model.
 */
export const KEPT_COMPARISONS = ['docs/side-by-side', 'docs/comparison', 'docs/measured-cost', 'docs/real-model'] as const;
/** The page that shows them. */
export const WHY_PAGE = 'docs/why.md';

/** A kept comparison's folder as the page names it: docs/side-by-side is side-by-side. */
const shortName = (dir: string) => dir.replace(/^docs\//, '');

/** The HPA whose target counts the oracle's replicas in a scenario, as scripts/compare.ts renders it (in a folder of its own, then gone). */
export async function referenceHpa(scenario: Scenario = 'sleep'): Promise<HpaSettings> {
  const dir = await mkdtemp(join(tmpdir(), 'inferscale-reference-'));
  try {
    return await renderReference(sh, dir, scenario);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every scenario's reference HPA, as scripts/compare.ts renders them (in a folder of their own, then gone). */
async function referenceHpasOfEvery(): Promise<(scenario: Scenario) => HpaSettings> {
  const dir = await mkdtemp(join(tmpdir(), 'inferscale-reference-'));
  try {
    return await renderReferences(sh, dir, SCENARIOS);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Each block a kept comparison writes into the page: a table per scenario it ran, and its claims (of sleep). */
export async function comparisonBlocks(dir: string, referenceOf: (scenario: Scenario) => HpaSettings): Promise<Map<string, string>> {
  const { runs } = await loadRuns(repoPath(dir), SCENARIOS, POLICIES);
  const blocks = new Map<string, string>();
  for (const scenario of SCENARIOS) {
    const these = runs.filter((r) => r.scenario === scenario);
    if (these.length === 0) continue;
    const reference = referenceOf(scenario);
    const rows = these.map((r) => row(r.policy, policyFigures(r.observed, reference), policyFigures(r.predicted, reference)));
    blocks.set(`compare:${shortName(dir)}:${scenario}`, [`From [${shortName(dir)}](${shortName(dir)}/compare.md)'s records, observed (predicted):`, '', ...TABLE_HEAD, ...rows].join('\n'));
  }
  const claims = claimLines(sleepClaims(runs, referenceOf('sleep')));
  if (claims.length > 0) blocks.set(`compare:${shortName(dir)}:claims`, ['```', ...claims, '```'].join('\n'));
  return blocks;
}

/**
 * Keeps a comparison scripts/compare.ts wrote (`from`) under docs/<as>: its compare.md and
 * charts, and each run's observed and predicted timeline.json (not the raw results).
 */
export async function keepComparison(from: string, as: string): Promise<string> {
  const dir = `docs/${as}`;
  if (!(KEPT_COMPARISONS as readonly string[]).includes(dir)) throw new UserError(`--as takes one of ${KEPT_COMPARISONS.map(shortName).join(', ')}, the comparisons docs/why.md shows; got "${as}".`);
  const entries = await readdir(from).catch(() => {
    throw new UserError(`cannot read ${from}: name a folder scripts/compare.ts wrote (reports/compare-<time>).`);
  });
  const runs = entries.filter((e) => SCENARIOS.some((s) => new RegExp(`^${s}-[a-z0-9-]+$`).test(e)));
  if (runs.length === 0 || !entries.includes('compare.md')) throw new UserError(`${from} holds no comparison (compare.md and <scenario>-<policy>/ folders): name a folder scripts/compare.ts wrote.`);
  await rm(repoPath(dir), { recursive: true, force: true });
  await mkdir(repoPath(dir), { recursive: true });
  for (const file of entries.filter((e) => e === 'compare.md' || /^compare-[a-z]+\.svg$/.test(e))) await copyFile(join(from, file), repoPath(dir, file));
  for (const run of runs) {
    await mkdir(repoPath(dir, run), { recursive: true });
    await copyFile(join(from, run, 'timeline.json'), repoPath(dir, run, 'timeline.json'));
  }
  return dir;
}

/** The page's blocks beside what every kept comparison's records give: [marker, on the page, from the records]. */
export async function comparisonBlocksOnPage(): Promise<[string, string | undefined, string][]> {
  const text = await readFile(repoPath(WHY_PAGE), 'utf8');
  const referenceOf = await referenceHpasOfEvery();
  const out: [string, string | undefined, string][] = [];
  for (const dir of KEPT_COMPARISONS) for (const [name, block] of await comparisonBlocks(dir, referenceOf)) out.push([name, marked(name).read(text), block]);
  return out;
}

/** Writes every kept comparison's blocks where the page marks them; returns the markers it wrote. */
export async function publishComparisons(): Promise<string[]> {
  const page = repoPath(WHY_PAGE);
  let text = await readFile(page, 'utf8');
  const marks = (await comparisonBlocksOnPage()).filter(([, onPage]) => onPage !== undefined);
  for (const [name, , block] of marks) text = marked(name).write(text, block);
  await writeFile(page, text);
  return marks.map(([name]) => name);
}
