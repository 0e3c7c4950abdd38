import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UsageError } from '../cli.ts';
import { DEFAULT_PARAMS, type ProfileParams } from '../loadtest/profiles.ts';
import { REPO_ROOT, repoPath } from '../paths.ts';

// The policies the comparison runs, each a Kustomize Component under policies/, and its two
// scenarios: `sleep` (the work off the CPU, as on an accelerator) and `compute` (a CPU-bound
// forward pass, each pod's CPU limit its capacity). Every run is the same app overlay
// (overlays/compare) plus one policy (plus policies/compute for that scenario).

export const POLICIES = ['concurrency', 'latency-external', 'cpu'] as const;
export type Policy = (typeof POLICIES)[number];
export const SCENARIOS = ['sleep', 'compute'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The app every policy is applied to. */
export const COMPARE_OVERLAY = 'overlays/compare';
/** The policy whose target the oracle's replicas are counted at, for every policy alike. */
export const REFERENCE_POLICY: Policy = 'concurrency';

/**
 * Each scenario's step: a base the two minReplicas serve, a peak well above what they serve
 * at full slots (sleep: 2 x 20 req/s; compute: 2 x 4 req/s at 200m), held for 300 s, longer
 * than the latency policy's 240 s scale-up window, so every policy has its chance to react.
 */
export const SCENARIO_LOAD: Record<Scenario, Partial<ProfileParams>> = {
  sleep: { baseRate: 30, peakRate: 90, holdSeconds: 300, afterSeconds: 120 },
  compute: { baseRate: 4, peakRate: 12, holdSeconds: 300, afterSeconds: 120 },
};

export const scenarioParams = (s: Scenario): ProfileParams => ({ ...DEFAULT_PARAMS, ...SCENARIO_LOAD[s] });

function parseList<T extends string>(flag: string, raw: string | undefined, known: readonly T[]): T[] {
  if (raw === undefined) return [...known];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = items.filter((i) => !(known as readonly string[]).includes(i));
  if (items.length === 0 || unknown.length > 0) throw new UsageError(`--${flag} takes a comma-separated list of ${known.join(', ')}; got "${raw}".`);
  return [...new Set(items)] as T[];
}

export const parsePolicies = (raw: string | undefined): Policy[] => parseList('policies', raw, POLICIES);
export const parseScenarios = (raw: string | undefined): Scenario[] => parseList('scenarios', raw, SCENARIOS);

/**
 * Writes the overlay of one run under `dir` (inside the repository: kustomize takes only
 * relative paths): the app overlay, the policy, and for `compute` the compute component.
 */
export async function writeRunOverlay(dir: string, policy: Policy, scenario: Scenario): Promise<string> {
  const folder = join(dir, 'overlays', `${scenario}-${policy}`);
  await mkdir(folder, { recursive: true });
  const up = (path: string) => relative(folder, repoPath(path));
  const components = [`policies/${policy}`, ...(scenario === 'compute' ? ['policies/compute'] : [])];
  const text = [
    '# Written by scripts/compare.ts: one policy of the comparison on its app overlay.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    `  - ${up(COMPARE_OVERLAY)}`,
    'components:',
    ...components.map((c) => `  - ${up(c)}`),
    '',
  ].join('\n');
  await writeFile(join(folder, 'kustomization.yaml'), text);
  return relative(REPO_ROOT, folder);
}
