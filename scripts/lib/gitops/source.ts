import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { UserError } from '../cli.ts';
import { checkImageName, checkImageTag } from '../manifests/image.ts';
import { renderOverlay, type Rendered } from '../manifests/render.ts';
import { repoPath } from '../paths.ts';
import { commitTo } from './commit.ts';
import type { Sh } from '../shell.ts';

// The fork's source: gitops/source/source.yaml names the Git repository, the branch and the
// image, and gitops/source/kustomization.yaml writes them into every GitRepository,
// Application and the cloud's Deployment. Editing it keeps its comments and order.

export const SOURCE_FILE = 'gitops/source/source.yaml';

export interface Source {
  url: string;
  revision: string;
  image: string;
}

const GIT_URL = /^(https?:\/\/[^\s/]+\/\S+|ssh:\/\/\S+@[^\s/]+\/\S+|[\w.-]+@[\w.-]+:\S+)$/;
// A branch as git check-ref-format allows one, in short: no spaces, no "..", no leading "-" or "/".
const BRANCH = /^(?!-|\/)(?!.*\.\.)(?!.*\/$)[A-Za-z0-9._/-]{1,200}$/;

/** The one sentence that says why a value cannot be the source's, or undefined. */
export function sourceProblem(key: keyof Source, value: string): string | undefined {
  if (key === 'url') return GIT_URL.test(value) ? undefined : `"${value}" is not a Git URL such as https://github.com/<owner>/inferscale.git.`;
  if (key === 'revision') return BRANCH.test(value) ? undefined : `"${value}" is not a branch name such as main.`;
  const colon = value.lastIndexOf(':');
  if (colon <= value.lastIndexOf('/')) return `"${value}" is not an image reference with a tag, such as ghcr.io/<owner>/inference:0.2.0.`;
  return checkImageName(value.slice(0, colon)) ?? checkImageTag(value.slice(colon + 1));
}

/** The source a file names; one sentence when a key is missing or not a value it can hold. */
export async function readSource(file: string = repoPath(SOURCE_FILE)): Promise<Source> {
  const data = (await sourceDocument(file)).data;
  const source = {} as Source;
  for (const key of ['url', 'revision', 'image'] as const) {
    const value = data.get(key);
    if (typeof value !== 'string') throw new UserError(`${file} has no data.${key}.`);
    const problem = sourceProblem(key, value);
    if (problem) throw new UserError(`${file}: data.${key}: ${problem}`);
    source[key] = value;
  }
  return source;
}

/** Writes the given keys into the source file; returns what each was and now is. */
export async function writeSource(file: string, changes: Partial<Source>): Promise<{ key: keyof Source; from: string; to: string }[]> {
  const entries = Object.entries(changes).filter((e): e is [keyof Source, string] => e[1] !== undefined);
  for (const [key, value] of entries) {
    const problem = sourceProblem(key, value);
    if (problem) throw new UserError(problem);
  }
  const { doc, data } = await sourceDocument(file);
  const changed = entries.map(([key, to]) => ({ key, from: String(data.get(key) ?? ''), to }));
  for (const [key, value] of entries) data.set(key, value);
  await writeFile(file, doc.toString());
  return changed;
}

async function sourceDocument(file: string) {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UserError(`cannot read ${file}.`);
  });
  const doc = parseDocument(text);
  const data = doc.errors.length === 0 ? doc.get('data') : undefined;
  if (!isMap(data)) throw new UserError(`${file} is not the source ConfigMap (no data: map).`);
  return { doc, data };
}

/**
 * Renders an entry point of gitops/ as a fork would after editing its source: a copy of gitops/
 * with the given keys written into the copy's source file (the embedded cluster points it at
 * its loopback Git server this way). The repository's own file is left as it is.
 */
export async function renderWithSource($: Sh, entry: string, changes: Partial<Source>): Promise<Rendered> {
  const copy = await mkdtemp(join(tmpdir(), 'inferscale-gitops-'));
  try {
    await cp(repoPath('gitops'), join(copy, 'gitops'), { recursive: true });
    await writeSource(join(copy, SOURCE_FILE), changes);
    return await renderOverlay($, join(copy, relative(repoPath(), repoPath(entry))));
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

/** Sets the image's tag (and, if given, its name) in the source file; returns the image before and after. */
export async function setSourceImage(file: string, tag: string, name?: string): Promise<{ from: string; to: string }> {
  const problem = checkImageTag(tag) ?? (name === undefined ? undefined : checkImageName(name));
  if (problem) throw new UserError(problem);
  const { image } = await readSource(file);
  const to = `${name ?? image.slice(0, image.lastIndexOf(':'))}:${tag}`;
  await writeSource(file, { image: to });
  return { from: image, to };
}

/**
 * Commits the source pointed at the served repository itself to the served repository, as a
 * fork commits its own URL: what a controller renders from Git there (Argo CD's
 * repo-server, an app of apps) then names the served repository. Returns the commit.
 */
export async function commitServedSource($: Sh, served: { repo: string; url: string; branch: string }): Promise<string> {
  return commitTo($, served.repo, served.branch, `Point the GitOps source at ${served.url}`, async (worktree) => {
    await writeSource(join(worktree, SOURCE_FILE), { url: served.url, revision: served.branch });
  });
}
