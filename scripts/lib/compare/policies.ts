import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UsageError } from '../cli.ts';
import { DEFAULT_PARAMS, type ProfileParams } from '../plan/profiles.ts';
import { REPO_ROOT, repoPath } from '../paths.ts';

// The policies the comparison runs, each a Kustomize Component under policies/, and its three
// scenarios: `sleep` (the work off the CPU, as on an accelerator), `compute` (a CPU-bound
// forward pass, each pod's CPU limit its capacity) and `llm` (a real model: SmolLM2-135M on
// the llama engine, overlays/local-llm). Every run is its scenario's app overlay plus one
// policy (plus policies/compute for compute).

export const POLICIES = ['concurrency', 'latency-external', 'cpu', 'cpu-80', 'keda', 'utilization'] as const;
export type Policy = (typeof POLICIES)[number];
/** The policy whose target the oracle's replicas are counted at, for every policy alike. */
export const REFERENCE_POLICY: Policy = 'concurrency';

/**
 * What each policy scales on: `keda` is ours on another metric plane (the same signal, served
 * by KEDA), so the claims about the choice of signal set ours against the other signals only.
 */
export const SIGNAL_OF: Record<Policy, 'concurrency' | 'latency' | 'cpu' | 'demand'> = { concurrency: 'concurrency', 'latency-external': 'latency', cpu: 'cpu', 'cpu-80': 'cpu', keda: 'concurrency', utilization: 'demand' };
export const SCENARIOS = ['sleep', 'compute', 'llm'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The app every policy is applied to in the sleep and compute scenarios. */
export const COMPARE_OVERLAY = 'overlays/compare';
/** The real model's app: the overlay the e2e runs it with, on the vLLM preset at its calibrated target. */
export const LLM_OVERLAY = 'overlays/local-llm';

/** Each scenario's app overlay and the components every policy's run adds to it. */
export const SCENARIO_APP: Record<Scenario, { overlay: string; components: string[]; ownPolicy?: Policy }> = {
  sleep: { overlay: COMPARE_OVERLAY, components: [] },
  compute: { overlay: COMPARE_OVERLAY, components: ['policies/compute'] },
  // Already scaled by ours (work in flight per pod, on the preset's names, at the target
  // scripts/calibrate.ts measured for it): policies/concurrency's target is for 4 slots.
  llm: { overlay: LLM_OVERLAY, components: [], ownPolicy: REFERENCE_POLICY },
};

/**
 * The policies a scenario runs. On the real model neither keda nor latency-external: ours on
 * KEDA reads our counter where the preset scales on vLLM's gauges (components/servers/vllm/keda
 * is its KEDA form), and the latency policy's 300 ms target is under the model's request alone.
 */
const NOT_IN: Partial<Record<Scenario, readonly Policy[]>> = { llm: ['keda', 'latency-external'] };
export const policiesIn = (scenario: Scenario, policies: readonly Policy[] = POLICIES): Policy[] => policies.filter((p) => !(NOT_IN[scenario] ?? []).includes(p));
export const notIn = (scenario: Scenario, policies: readonly Policy[]): Policy[] => policies.filter((p) => (NOT_IN[scenario] ?? []).includes(p));

/** What a scenario says of itself in the comparison's headings, from the pod it ran. */
export function scenarioTitle(scenario: Scenario, limitCores: number): string {
  const limit = `${Math.round(limitCores * 1000)}m`;
  if (scenario === 'sleep') return 'sleep: accelerator-bound (the work is off the CPU)';
  if (scenario === 'compute') return `compute: CPU-bound (each pod's ${limit} limit is its capacity)`;
  return `llm: a real model, SmolLM2-135M on the llama engine (each pod's ${limit} limit is its capacity)`;
}

/** The components of a run: the policy's, unless the scenario's app already scales on it, and the scenario's. */
export function policyComponents(policy: Policy, scenario: Scenario): string[] {
  const app = SCENARIO_APP[scenario];
  return [...(app.ownPolicy === policy ? [] : [`policies/${policy}`]), ...app.components];
}

/**
 * Each scenario's step: a base the minReplicas serve, a peak well above what they serve
 * at full slots (sleep: 2 x 20 req/s; compute: 2 x 4 req/s at 200m), held for 300 s, longer
 * than the latency policy's 240 s scale-up window, so every policy has its chance to react.
 * The real model's are the default step's, sized to its calibrated capacity (SIZED_SCENARIOS),
 * as the e2e sizes them.
 */
export const SCENARIO_LOAD: Record<Scenario, Partial<ProfileParams>> = {
  sleep: { baseRate: 30, peakRate: 90, holdSeconds: 300, afterSeconds: 120 },
  compute: { baseRate: 4, peakRate: 12, holdSeconds: 300, afterSeconds: 120 },
  llm: { holdSeconds: 300, afterSeconds: 120 },
};

/** The scenarios whose rates are scaled to their app's calibrated capacity (inferscale.dev/capacity) when run. */
export const SIZED_SCENARIOS: readonly Scenario[] = ['llm'];

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
 * Where a run's app lives when the policies run side by side: its own namespace and its
 * own NodePorts (the n-th policy's after the ones components/nodeport gives the e2e).
 */
export interface Placement {
  namespace: string;
  httpNodePort: number;
  metricsNodePort: number;
}

export const placementOf = (policy: Policy, index: number): Placement => ({ namespace: `inferscale-${policy}`, httpNodePort: 30081 + index, metricsNodePort: 30091 + index });

/**
 * Writes the overlay of one run under `dir` (inside the repository: kustomize takes only
 * relative paths): the scenario's app overlay and the policy's components; placed in its own
 * namespace and NodePorts when given.
 */
export async function writeRunOverlay(dir: string, policy: Policy, scenario: Scenario, placement?: Placement): Promise<string> {
  const folder = join(dir, 'overlays', `${scenario}-${policy}`);
  // Placed, the app moves to its namespace in a layer of its own, below the policy: a
  // component's replacements (KEDA's query names the namespace) see the namespace it runs in.
  const app = placement ? await writePlacedApp(join(dir, 'overlays', `${scenario}-${policy}-placed`), placement) : repoPath(SCENARIO_APP[scenario].overlay);
  await mkdir(folder, { recursive: true });
  const up = (path: string) => relative(folder, repoPath(path));
  const components = policyComponents(policy, scenario);
  const text = [
    '# Written by scripts/compare.ts: one policy of the comparison on its app overlay.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    `  - ${relative(folder, app)}`,
    ...(components.length > 0 ? ['components:', ...components.map((c) => `  - ${up(c)}`)] : []),
    '',
  ].join('\n');
  await writeFile(join(folder, 'kustomization.yaml'), text);
  return relative(REPO_ROOT, folder);
}

async function writePlacedApp(folder: string, placement: Placement): Promise<string> {
  await mkdir(folder, { recursive: true });
  const text = [
    '# Written by scripts/compare.ts --side-by-side: the app overlay in a run\'s own namespace and NodePorts.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    `  - ${relative(folder, repoPath(COMPARE_OVERLAY))}`,
    ...placementLines(placement),
    '',
  ].join('\n');
  await writeFile(join(folder, 'kustomization.yaml'), text);
  return folder;
}

function placementLines(p: Placement): string[] {
  return [
    `namespace: ${p.namespace}`,
    'patches:',
    '  - target: { kind: Service, name: inference }',
    '    patch: |-',
    '      apiVersion: v1',
    '      kind: Service',
    '      metadata:',
    '        name: inference',
    '      spec:',
    '        ports:',
    `          - { name: http, port: 80, protocol: TCP, nodePort: ${p.httpNodePort} }`,
    `          - { name: metrics, port: 9090, protocol: TCP, nodePort: ${p.metricsNodePort} }`,
  ];
}

/** The scenarios that can run side by side: sleep's pods hardly use the node's CPU, compute's would share it. */
export const SIDE_BY_SIDE_SCENARIOS: readonly Scenario[] = ['sleep'];

/**
 * The policies that need external.metrics.k8s.io, each from its own server: one answers the
 * cluster at a time, so no two of them run side by side.
 */
const EXTERNAL_PLANES: Partial<Record<Policy, string>> = { 'latency-external': 'prometheus-adapter', keda: 'KEDA' };
/**
 * Side by side without --policies: every policy but keda (latency-external holds
 * external.metrics.k8s.io) and cpu-80 (one CPU target is CI's question; its ten more pods
 * and their load driver would take CPU from the others' HTTP handling, which the CPU policy reads)
 * and utilization (the candidate docs/signals.md predicts, measured one at a time until it is
 * chosen: CI's claims are of the signals a user would pick today).
 */
export const SIDE_BY_SIDE_POLICIES: readonly Policy[] = POLICIES.filter((p) => p !== 'keda' && p !== 'cpu-80' && p !== 'utilization');

/** Refuses a side-by-side set in which two policies need external.metrics.k8s.io from different servers. */
export function checkSideBySide(policies: readonly Policy[]): void {
  const external = policies.filter((p) => EXTERNAL_PLANES[p] !== undefined);
  if (external.length > 1) {
    throw new UsageError(
      `${external.join(' and ')} cannot run side by side: each needs external.metrics.k8s.io (${external.map((p) => `${p} from ${EXTERNAL_PLANES[p]}`).join(', ')}), which one server answers at a time; leave one out or run them one after another without --side-by-side.`,
    );
  }
}

/**
 * One overlay with every policy's run in its own namespace, so they share the cluster, the
 * Prometheus and the adapter at once; returns it and each run's own overlay and namespace.
 */
export async function writeSideBySideOverlay(dir: string, policies: Policy[], scenario: Scenario): Promise<{ overlay: string; runs: { policy: Policy; overlay: string; namespace: string }[] }> {
  const runs = await Promise.all(
    policies.map(async (policy, i) => {
      const placement = placementOf(policy, i);
      return { policy, overlay: await writeRunOverlay(dir, policy, scenario, placement), namespace: placement.namespace };
    }),
  );
  const folder = join(dir, 'overlays', `${scenario}-side-by-side`);
  await mkdir(folder, { recursive: true });
  const text = [
    '# Written by scripts/compare.ts --side-by-side: every policy at once, each in its own namespace.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    ...runs.map((r) => `  - ${relative(folder, repoPath(r.overlay))}`),
    '',
  ].join('\n');
  await writeFile(join(folder, 'kustomization.yaml'), text);
  return { overlay: relative(REPO_ROOT, folder), runs };
}
