import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { INFLIGHT_SECONDS_METRIC } from '../../../inference/src/metrics.ts';
import { AdapterRulesError, loadAdapterRules, loadExternalRules, servedFrom, servedNames } from '../monitoring/adapter-rules.ts';
import type { KObject } from '../manifests/objects.ts';
import { renderOverlay, RenderError, type Rendered } from '../manifests/render.ts';
import type { Sh } from '../shell.ts';
import { crossCheck } from './crosscheck.ts';
import { formatFinding, type Finding, type Phase } from './findings.ts';
import { parseFiles, yamlFiles } from './parse.ts';
import { overlaySources } from './sources.ts';
import { schemaFindings } from './schema.ts';

export interface ValidateOptions {
  root: string;
  /** Overlay directories, relative to root. */
  overlays: string[];
  /**
   * Directories whose YAML files are all parsed, besides the files the overlays build from;
   * files under gitops/ are schema-checked too.
   */
  scanDirs: string[];
  rulesFile: string;
  /** Overlays the caller has rendered already (by path as in `overlays`): not rendered again. */
  rendered?: Map<string, Rendered>;
  $: Sh;
  write?: (line: string) => void;
}

export interface ValidateResult {
  errors: Finding[];
  /** Rendered objects per overlay, for callers that go on to apply them. */
  rendered: Map<string, KObject[]>;
}

export async function validate(opts: ValidateOptions): Promise<ValidateResult> {
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const errors: Finding[] = [];
  const rendered = new Map<string, KObject[]>();
  const report = (phase: Phase, all: Finding[], summary: string): void => {
    for (const f of all.filter((f) => f.warning)) write(formatFinding('WARN', f));
    const found = all.filter((f) => !f.warning);
    for (const f of found) write(formatFinding('ERROR', f));
    errors.push(...found);
    write(formatFinding('INFO', { phase, file: summary, message: found.length === 0 ? 'ok' : `${found.length} error(s)` }));
  };

  const sources = new Map<string, string[]>();
  for (const overlay of opts.overlays) sources.set(overlay, await overlaySources(opts.root, overlay));
  const files = [...new Set([...(await yamlFiles(opts.root, opts.scanDirs)), ...[...sources.values()].flat().map((f) => join(opts.root, f))])].sort();
  const { parsed, errors: parseErrors } = await parseFiles(opts.root, files);
  report('parse', parseErrors, `${files.length} YAML files`);
  const unparsable = new Set(parseErrors.map((e) => e.file));

  const buildErrors: Finding[] = [];
  for (const overlay of opts.overlays) {
    // Its YAML error is reported once, above; kustomize would only repeat it.
    const broken = (sources.get(overlay) ?? []).filter((f) => unparsable.has(f));
    if (broken.length > 0) {
      write(formatFinding('INFO', { phase: 'build', file: overlay, message: `not built: ${broken.join(', ')} does not parse (above)` }));
      continue;
    }
    try {
      const { objects, warnings } = opts.rendered?.get(overlay) ?? (await renderOverlay(opts.$, join(opts.root, overlay)));
      for (const warning of warnings) buildErrors.push({ phase: 'build', file: overlay, message: `kustomize warned: ${warning}` });
      rendered.set(overlay, objects);
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      buildErrors.push({ phase: 'build', file: overlay, message: `does not build: ${error.message}` });
    }
  }
  report('build', buildErrors, `${opts.overlays.length} overlays`);

  const schemaErrors: Finding[] = [];
  for (const [overlay, objects] of rendered) schemaErrors.push(...(await schemaFindings(overlay, objects)));
  const gitopsFiles = parsed.filter((p) => p.file.startsWith('gitops/'));
  for (const { file, objects } of gitopsFiles) schemaErrors.push(...(await schemaFindings(file, objects)));
  const checked = [...rendered.values()].reduce((n, o) => n + o.length, 0) + gitopsFiles.reduce((n, p) => n + p.objects.length, 0);
  report('schema', schemaErrors, `${checked} objects`);

  const crossErrors: Finding[] = [];
  const rulesFile = relative(opts.root, opts.rulesFile);
  let served = new Set<string>();
  let concurrency = new Set<string>();
  let external = new Set<string>();
  try {
    const rules = await loadAdapterRules(opts.rulesFile);
    served = servedNames(rules);
    external = servedNames(await loadExternalRules(opts.rulesFile));
    // Requests in flight per pod: ours from the in-flight-seconds counter, the presets' from their servers' gauges.
    concurrency = new Set([...servedFrom(rules, INFLIGHT_SECONDS_METRIC), ...[...served].filter((n) => n.endsWith('_requests_in_flight'))]);
  } catch (error) {
    const message = error instanceof AdapterRulesError ? error.message : `cannot read: ${(error as Error).message}`;
    crossErrors.push({ phase: 'crosscheck', file: rulesFile, message });
  }
  for (const [overlay, objects] of rendered) {
    crossErrors.push(...crossCheck({ file: overlay, objects, servedMetrics: served, externalMetrics: external, concurrencyMetrics: concurrency, rulesFile }));
  }
  crossErrors.push(...copiedPatches(opts.root, files));
  report('crosscheck', crossErrors, `${rendered.size} overlays`);

  write(`validate: ${errors.length} error(s) in ${files.length} files and ${opts.overlays.length} overlays`);
  return { errors, rendered };
}

/**
 * Two overlays holding the same file is a fact written twice: it belongs in a Component
 * (components/e2e holds what the e2e overlays share).
 */
function copiedPatches(root: string, files: string[]): Finding[] {
  const byContent = new Map<string, string[]>();
  for (const path of files) {
    const file = relative(root, path);
    if (!file.startsWith('overlays/')) continue;
    const text = readFileSync(path, 'utf8');
    byContent.set(text, [...(byContent.get(text) ?? []), file]);
  }
  return [...byContent.values()]
    .filter((same) => new Set(same.map((f) => f.split('/')[1])).size > 1)
    .map((same) => ({ phase: 'crosscheck' as const, file: same.join(', '), message: 'the same file in several overlays; put it in a Component under components/ and use it from each' }));
}
