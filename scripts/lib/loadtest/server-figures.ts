import type { ServerFigures } from '../plan/timeline.ts';

// What the model server itself says of a run, from the Prometheus that scrapes it: time to
// first token (vLLM's histogram, over every pod the run saw, removed ones included) and the
// tokens generated per second. Absent when the server exports no such series (the predict
// API) or no Prometheus is reachable from here.

interface PromVector {
  status: string;
  data: { result: { value?: [number, string]; values?: [number, string][] }[] };
}

async function query(url: string, path: string, params: Record<string, string>): Promise<PromVector['data']['result']> {
  const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) return [];
  const body = (await res.json()) as PromVector;
  return body.status === 'success' ? body.data.result : [];
}

export async function serverFigures(prometheusUrl: string, namespace: string, beganMs: number, endMs: number): Promise<ServerFigures | undefined> {
  const seconds = Math.max(1, Math.ceil((endMs - beganMs) / 1000));
  const at = String(endMs / 1000);
  const scope = `namespace="${namespace}"`;
  const quantile = async (q: number) => {
    const r = await query(prometheusUrl, '/api/v1/query', { query: `histogram_quantile(${q}, sum by (le) (increase(vllm:time_to_first_token_seconds_bucket{${scope}}[${seconds}s])))`, time: at });
    return Number(r[0]?.value?.[1] ?? Number.NaN);
  };
  try {
    const [p50, p95] = [await quantile(0.5), await quantile(0.95)];
    const range = await query(prometheusUrl, '/api/v1/query_range', { query: `sum(rate(vllm:generation_tokens_total{${scope}}[15s]))`, start: String(beganMs / 1000), end: at, step: '5' });
    const values = range[0]?.values ?? [];
    // No first token and no token generated: a server that does not generate (the predict API).
    if (!Number.isFinite(p95) && values.every(([, v]) => !(Number(v) > 0))) return undefined;
    return { ttftP50Seconds: p50, ttftP95Seconds: p95, tokensPerSecond: values.map(([t, v]) => ({ t: Math.round(t - beganMs / 1000), value: Number(v) })) };
  } catch {
    return undefined;
  }
}

/** The figures as lines of the summary and the log; none for a server that generated nothing. */
export function serverLines(f: ServerFigures): string[] {
  // A record read back holds null where a figure was not measured.
  const finite = (s: number | null): s is number => s !== null && Number.isFinite(s);
  const ms = (s: number | null) => (finite(s) ? `${(s * 1000).toFixed(0)} ms` : 'none');
  const values = f.tokensPerSecond.map((v) => v.value).filter(Number.isFinite);
  const peak = values.length > 0 ? Math.max(...values) : Number.NaN;
  if (!finite(f.ttftP50Seconds) && !finite(f.ttftP95Seconds) && !(peak > 0)) return [];
  return [
    `time to first token (the server's vllm:time_to_first_token_seconds over the run): p50 ${ms(f.ttftP50Seconds)}, p95 ${ms(f.ttftP95Seconds)}`,
    `tokens generated per second by the fleet (vllm:generation_tokens_total): peak ${Number.isFinite(peak) ? peak.toFixed(1) : 'none'}`,
  ];
}
