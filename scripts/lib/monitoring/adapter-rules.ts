import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { durationSeconds } from '../manifests/objects.ts';

// The adapter rules file is a values fragment of the prometheus-adapter chart
// (rules.default / rules.custom / rules.external). Everything that configures an adapter derives from it.

export interface AdapterRule {
  seriesQuery: string;
  resources?: { overrides?: Record<string, { resource: string }>; template?: string };
  name?: { matches?: string; as?: string };
  metricsQuery: string;
}

export class AdapterRulesError extends Error {}

export function parseAdapterRules(text: string, file: string): AdapterRule[] {
  const doc = parse(text) as { rules?: { default?: boolean; custom?: unknown } } | null;
  const custom = doc?.rules?.custom;
  if (!Array.isArray(custom) || custom.length === 0) {
    throw new AdapterRulesError(`${file} has no rules.custom list`);
  }
  return checkedRules(custom, `${file}: rules.custom`);
}

/** Every entry has the two queries the adapter needs. */
function checkedRules(list: unknown[], where: string): AdapterRule[] {
  list.forEach((rule, i) => {
    const r = rule as Partial<AdapterRule> | null;
    if (typeof r?.seriesQuery !== 'string' || typeof r.metricsQuery !== 'string') throw new AdapterRulesError(`${where}[${i}] needs a seriesQuery and a metricsQuery`);
  });
  return list as AdapterRule[];
}

export async function loadAdapterRules(file: string): Promise<AdapterRule[]> {
  return parseAdapterRules(await readFile(file, 'utf8'), file);
}

/** The rules.external list: the External metrics the adapter serves (none when absent). */
export function parseExternalRules(text: string, file: string): AdapterRule[] {
  const doc = parse(text) as { rules?: { external?: unknown } } | null;
  const external = doc?.rules?.external ?? [];
  if (!Array.isArray(external)) throw new AdapterRulesError(`${file}: rules.external must be a list`);
  return checkedRules(external, `${file}: rules.external`);
}

export async function loadExternalRules(file: string): Promise<AdapterRule[]> {
  return parseExternalRules(await readFile(file, 'utf8'), file);
}

/** The series name a rule discovers: the metric name its seriesQuery is anchored on. */
export function seriesName(rule: AdapterRule): string | undefined {
  return /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/.exec(rule.seriesQuery)?.[1];
}

/** The custom-metric name a rule serves (the adapter's naming step applied to its series). */
export function servedName(rule: AdapterRule): string | undefined {
  const series = seriesName(rule);
  if (!series) return undefined;
  const matches = new RegExp(rule.name?.matches ?? '(.*)');
  const m = matches.exec(series);
  if (!m) return undefined;
  const as = rule.name?.as ?? '$0';
  return as.replace(/\$\{?(\d+)\}?/g, (_, n: string) => m[Number(n)] ?? '');
}

/** The custom metrics served from one exported series (the concurrency metrics, for the in-flight-seconds counter). */
export function servedFrom(rules: AdapterRule[], series: string): Set<string> {
  return servedNames(rules.filter((r) => seriesName(r) === series));
}

export function servedNames(rules: AdapterRule[]): Set<string> {
  return new Set(rules.map(servedName).filter((n): n is string => n !== undefined));
}

/** The range of the rate()/increase() window a rule's query uses, in seconds. */
export function rateWindowSeconds(rule: AdapterRule): number {
  const m = /\[(\d+(?:ms|s|m|h)+)\]/.exec(rule.metricsQuery);
  if (!m?.[1]) throw new AdapterRulesError(`the metricsQuery "${rule.metricsQuery}" has no range window`);
  return durationSeconds(m[1]);
}

/** Whether a rule averages sampled gauges (avg_over_time), as the server presets' do, rather than taking a counter's rate(). */
export const averagesGauges = (rule: AdapterRule): boolean => /\bavg_over_time\(/.test(rule.metricsQuery);

export function ruleFor(rules: AdapterRule[], metric: string): AdapterRule | undefined {
  return rules.find((r) => servedName(r) === metric);
}

/** The adapter's own --config file: the same rules, as the adapter reads them. */
export function adapterConfigYaml(rules: AdapterRule[], externalRules: AdapterRule[] = []): string {
  return JSON.stringify(externalRules.length > 0 ? { rules, externalRules } : { rules }, null, 2);
}
