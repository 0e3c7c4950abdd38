import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { buildComponent, componentDir, LOAD_DRIVER_BINARY, loadDriverComponent } from '../cluster/embedded/toolchain.ts';
import { clusterPaths, type ClusterPaths } from '../cluster/embedded/paths.ts';
import type { Sh } from '../shell.ts';
import { UserError } from '../cli.ts';

/**
 * The load driver for this checkout of loadtests/: the cached build, else built now with Go
 * from the module proxy (about 35 s cold), else inferscale-load on PATH; on any provider.
 */
export async function findLoadDriver($: Sh, log: (line: string) => void, paths: ClusterPaths = clusterPaths()): Promise<string> {
  const component = await loadDriverComponent();
  const built = join(componentDir(paths, component), LOAD_DRIVER_BINARY);
  const executable = (p: string) => access(p, constants.X_OK).then(() => true, () => false);
  if (await executable(built)) return built;
  if ((await $({ nothrow: true })`command -v go`).exitCode === 0) {
    const result = await buildComponent($, paths, component, log);
    log(`load driver built in ${result.seconds.toFixed(1)} s`);
    return built;
  }
  if ((await $({ nothrow: true })`command -v ${LOAD_DRIVER_BINARY}`).exitCode === 0) return LOAD_DRIVER_BINARY;
  throw new UserError(`the load driver is not built and Go is not on PATH to build it: install Go 1.26 and run \`npx zx scripts/toolchain.ts\`, or put an ${LOAD_DRIVER_BINARY} built from loadtests/ (go build) on PATH.`);
}
