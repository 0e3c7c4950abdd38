import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { durationSeconds } from '../manifests/objects.ts';
import { repoPath } from '../paths.ts';

/** The chart-installed adapter's relist interval: the values' metricsRelistInterval (chart default 10m). */
export async function chartRelistSeconds(): Promise<number> {
  const values = parse(await readFile(repoPath('base/monitoring/prometheus-adapter-values.yaml'), 'utf8')) as { metricsRelistInterval?: string };
  return durationSeconds(values.metricsRelistInterval ?? '10m');
}
