import type { KubeConfig } from '@kubernetes/client-node';
import { relative, resolve } from 'node:path';
import { UserError } from '../cli.ts';
import type { ClusterProvider } from '../cluster/provider.ts';
import type { KObject } from '../manifests/objects.ts';
import type { Rendered } from '../manifests/render.ts';
import { ADAPTER_RULES_FILE, REPO_ROOT, repoPath } from '../paths.ts';
import type { Sh } from '../shell.ts';
import { validate } from '../validate/run.ts';
import { healthGates, type GateResult } from './gates.ts';
import { reconcile, type ReconcileResult } from './run.ts';
import { wakeFromZero } from './wake.ts';

export interface ReconcileCommand {
  $: Sh;
  kc: KubeConfig;
  overlay: string;
  dryRun: boolean;
  timeoutMs: number;
  provider?: ClusterProvider;
  /** The overlay as the caller rendered it: validated and applied without rendering it again. */
  rendered?: Rendered;
  out: (line: string) => void;
}

export function summary(overlay: string, r: ReconcileResult, dryRun: boolean): string {
  const verb = dryRun ? 'would be ' : '';
  const changed = r.created.length + r.configured.length + r.pruned.length;
  const parts = [`${r.created.length} ${verb}created`, `${r.configured.length} ${verb}configured`, `${r.unchanged.length} unchanged`, `${r.pruned.length} ${verb}pruned`];
  const skipped = r.skipped.length ? `; handled by the provider: ${r.skipped.join(', ')}` : '';
  return `reconcile ${overlay}${dryRun ? ' (dry run)' : ''}: ${parts.join(', ')}${skipped}${changed === 0 ? ' — nothing changed' : ''}`;
}

export function gateLines(gates: GateResult[]): string[] {
  return gates.map((g) => `${g.ok ? '✓' : '✗'} ${g.gate}: ${g.detail}`);
}

/** Render (unless given) and validate (nothing applied on error), apply, prune, then the health gates. */
export async function runReconcile(cmd: ReconcileCommand): Promise<{ result: ReconcileResult; gates: GateResult[] }> {
  const overlay = relative(REPO_ROOT, resolve(cmd.overlay));
  const lines: string[] = [];
  const { errors, rendered } = await validate({
    root: REPO_ROOT,
    overlays: [overlay],
    scanDirs: [],
    rulesFile: repoPath(ADAPTER_RULES_FILE),
    ...(cmd.rendered ? { rendered: new Map([[overlay, cmd.rendered]]) } : {}),
    $: cmd.$,
    write: (l) => lines.push(l),
  });
  if (errors.length > 0) {
    for (const l of lines.filter((l) => l.startsWith('ERROR'))) cmd.out(l);
    throw new UserError(`${overlay} does not validate (${errors.length} error(s) above); nothing was applied.`);
  }
  const objects = rendered.get(overlay) ?? [];
  if (!cmd.dryRun) await cmd.provider?.ensureMetricPlane?.(objects);
  const result = await reconcile({
    kc: cmd.kc,
    objects,
    dryRun: cmd.dryRun,
    handledByProvider: cmd.provider?.handles?.bind(cmd.provider),
  });
  if (cmd.dryRun) {
    for (const diff of result.diffs) cmd.out(diff);
    cmd.out(summary(overlay, result, true));
    return { result, gates: [] };
  }
  await cmd.provider?.syncMonitoring?.(objects);
  cmd.out(summary(overlay, result, false));
  await wakeFromZero(cmd.kc, objects, cmd.out);
  const gates = await requireHealthy(cmd.kc, objects, cmd.timeoutMs, overlay, cmd.out);
  return { result, gates };
}

/** The health gates of an applied overlay, whoever applied it (reconcile.ts or Flux). */
export async function requireHealthy(kc: KubeConfig, objects: KObject[], timeoutMs: number, overlay: string, out: (line: string) => void): Promise<GateResult[]> {
  const gates = await healthGates(kc, objects, timeoutMs);
  for (const line of gateLines(gates)) out(line);
  const failed = gates.filter((g) => !g.ok);
  if (failed.length > 0) {
    throw new UserError(`${overlay} is applied but not healthy: ${failed.map((g) => `${g.gate}: ${g.detail}`).join('; ')}`);
  }
  return gates;
}
