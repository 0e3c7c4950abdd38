import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../cli.ts';
import { tail, type Sh } from '../shell.ts';

// Commits to the served repository, as a user pushing to their Git host would: a clone, an
// edit, a commit, a push. The GitOps controllers see it at their next fetch.

export const COMMIT_AUTHOR = ['-c', 'user.name=inferscale e2e', '-c', 'user.email=e2e@inferscale.invalid'];

/** Clones `repo`, lets `edit` change the work tree, commits everything and pushes; returns the commit. */
export async function commitTo($: Sh, repo: string, branch: string, message: string, edit: (worktree: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'inferscale-commit-'));
  const git = $({ nothrow: true, cwd: dir });
  try {
    const clone = await git`git clone -q --branch ${branch} ${repo} ${dir}`;
    if (clone.exitCode !== 0) throw new UserError(`cannot clone ${repo} to commit to it: ${tail(clone.stderr, 3)}`);
    await edit(dir);
    await git`git add -A`;
    const commit = await git`git ${COMMIT_AUTHOR} commit -q -m ${message}`;
    if (commit.exitCode !== 0) throw new UserError(`the edit for "${message}" changed nothing to commit: ${tail(commit.stdout + commit.stderr, 3)}`);
    const push = await git`git push -q origin ${`HEAD:refs/heads/${branch}`}`;
    if (push.exitCode !== 0) throw new UserError(`cannot push "${message}" to ${repo}: ${tail(push.stderr, 3)}`);
    return (await git`git rev-parse HEAD`).stdout.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
