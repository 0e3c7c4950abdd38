import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ADAPTER_RELIST_SECONDS } from '../cluster/local-monitoring.ts';
import type { ProviderName } from '../cluster/provider.ts';
import { durationSeconds } from '../manifests/objects.ts';
import { repoPath } from '../paths.ts';

/** The adapter's relist interval: the host adapter's flag, or the chart values' metricsRelistInterval. */
export async function relistSeconds(provider: ProviderName): Promise<number> {
  if (provider === 'local') return ADAPTER_RELIST_SECONDS;
  const values = parse(await readFile(repoPath('base/monitoring/prometheus-adapter-values.yaml'), 'utf8')) as { metricsRelistInterval?: string };
  return durationSeconds(values.metricsRelistInterval ?? '10m');
}
