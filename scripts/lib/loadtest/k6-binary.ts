import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { componentDir, k6Component } from '../cluster/embedded/toolchain.ts';
import { clusterPaths } from '../cluster/embedded/paths.ts';
import type { Sh } from '../shell.ts';
import { UserError } from '../cli.ts';

/** The k6 the toolchain built (the pinned version), else k6 on PATH. */
export async function findK6($: Sh): Promise<string> {
  const built = join(componentDir(clusterPaths(), k6Component()), 'k6');
  if (await access(built).then(() => true, () => false)) return built;
  if ((await $({ nothrow: true })`command -v k6`).exitCode === 0) return 'k6';
  throw new UserError('k6 is not installed; build it with `npx zx scripts/toolchain.ts` or install it from https://k6.io.');
}
