import type { RunRecord } from '../plan/timeline.ts';

// The run as an SVG chart: replicas, desired replicas and load on top, p95 latency below,
// with the step and the drop marked. People look at this first.

const W = 960;
const PAD = { left: 56, right: 64, top: 56, bottom: 34 };
const TOP_H = 260;
const BOTTOM_H = 130;
const GAP = 40;
const TOKENS_H = 90;

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function path(points: [number, number][]): string {
  return points.filter(([, y]) => Number.isFinite(y)).map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

export function stepPath(points: [number, number][]): string {
  let d = '';
  let last: number | undefined;
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) continue;
    d += last === undefined ? `M${x.toFixed(1)},${y.toFixed(1)}` : `H${x.toFixed(1)}V${y.toFixed(1)}`;
    last = y;
  }
  return d;
}

function ticks(max: number, count: number): number[] {
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

export function renderChart(record: RunRecord, opts: { maxReplicas: number; sloSeconds: number; title: string; predicted?: RunRecord['samples'] }): string {
  const samples = record.samples;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const x = (t: number) => PAD.left + (t / tMax) * (W - PAD.left - PAD.right);
  const repMax = opts.maxReplicas + 1;
  const yRep = (r: number) => PAD.top + TOP_H - (r / repMax) * TOP_H;
  const loadMax = Math.max(1, ...samples.map((s) => Math.max(s.offered, s.achieved))) * 1.1;
  const yLoad = (v: number) => PAD.top + TOP_H - (v / loadMax) * TOP_H;
  const latMax = Math.max(opts.sloSeconds * 1.2, ...samples.map((s) => (Number.isFinite(s.p95) ? s.p95 : 0))) * 1.1;
  const bottomTop = PAD.top + TOP_H + GAP;
  const yLat = (v: number) => bottomTop + BOTTOM_H - (v / latMax) * BOTTOM_H;
  // A model server's tokens/s, when the run has them: a third panel.
  const tokens = record.server?.tokensPerSecond.filter((v) => Number.isFinite(v.value)) ?? [];
  const tokensTop = bottomTop + BOTTOM_H + GAP;
  const H = tokens.length > 0 ? tokensTop + TOKENS_H + PAD.bottom : bottomTop + BOTTOM_H + PAD.bottom;
  const tokMax = Math.max(1, ...tokens.map((v) => v.value)) * 1.1;
  const yTok = (v: number) => tokensTop + TOKENS_H - (v / tokMax) * TOKENS_H;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${PAD.left}" y="20" font-size="14" font-weight="600">${esc(opts.title)}</text>`);
  for (const r of ticks(repMax, 8)) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${yRep(r)}" y2="${yRep(r)}" stroke="#eee"/>`);
    parts.push(`<text x="${PAD.left - 8}" y="${yRep(r) + 4}" text-anchor="end" fill="#1f5fbf">${r}</text>`);
  }
  for (const v of ticks(loadMax, 5)) parts.push(`<text x="${W - PAD.right + 8}" y="${yLoad(v) + 4}" fill="#888">${v}</text>`);
  for (const v of ticks(latMax * 1000, 4)) parts.push(`<text x="${PAD.left - 8}" y="${yLat(v / 1000) + 4}" text-anchor="end" fill="#b5462e">${v}</text>`);
  for (const t of ticks(tMax, 10)) {
    parts.push(`<text x="${x(t)}" y="${H - 12}" text-anchor="middle" fill="#444">${t}s</text>`);
  }
  for (const [t, label] of [[record.stepAt, 'step'], [record.dropAt, 'drop']] as const) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${PAD.top}" y2="${bottomTop + BOTTOM_H}" stroke="#999" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x(t) + 4}" y="${PAD.top + 12}" fill="#666">${label}</text>`);
  }
  const area = `${path(samples.map((s) => [x(s.t), yLoad(s.offered)]))}L${x(tMax)},${yLoad(0)}L${x(0)},${yLoad(0)}Z`;
  parts.push(`<path d="${area}" fill="#e8e8e8"/>`);
  parts.push(`<path d="${path(samples.map((s) => [x(s.t), yLoad(s.achieved)]))}" fill="none" stroke="#999" stroke-width="1"/>`);
  parts.push(`<path d="${stepPath(samples.map((s) => [x(s.t), yRep(s.desired)]))}" fill="none" stroke="#7aa7e8" stroke-width="2" stroke-dasharray="6 4"/>`);
  parts.push(`<path d="${stepPath(samples.map((s) => [x(s.t), yRep(s.replicas)]))}" fill="none" stroke="#1f5fbf" stroke-width="2.5"/>`);
  parts.push(`<path d="${stepPath(samples.map((s) => [x(s.t), yRep(s.ready)]))}" fill="none" stroke="#2e9e5b" stroke-width="1.5"/>`);
  if (opts.predicted) parts.push(`<path d="${stepPath(opts.predicted.filter((s) => s.t <= tMax).map((s) => [x(s.t), yRep(s.replicas)]))}" fill="none" stroke="#e07b00" stroke-width="2" stroke-dasharray="2 3"/>`);
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${yLat(opts.sloSeconds)}" y2="${yLat(opts.sloSeconds)}" stroke="#b5462e" stroke-dasharray="3 3"/>`);
  parts.push(`<text x="${W - PAD.right - 4}" y="${yLat(opts.sloSeconds) - 4}" text-anchor="end" fill="#b5462e">SLO ${(opts.sloSeconds * 1000).toFixed(0)} ms</text>`);
  parts.push(`<path d="${path(samples.map((s) => [x(s.t), yLat(s.p95)]))}" fill="none" stroke="#b5462e" stroke-width="1.5"/>`);
  parts.push(`<text x="${PAD.left}" y="${bottomTop - 8}" fill="#b5462e">p95 latency (ms)</text>`);
  if (tokens.length > 0) {
    for (const v of ticks(tokMax, 3)) parts.push(`<text x="${PAD.left - 8}" y="${yTok(v) + 4}" text-anchor="end" fill="#6a3fb5">${v}</text>`);
    parts.push(`<path d="${path(tokens.map((v) => [x(v.t), yTok(v.value)]))}" fill="none" stroke="#6a3fb5" stroke-width="1.5"/>`);
    const ttft = record.server?.ttftP95Seconds;
    parts.push(`<text x="${PAD.left}" y="${tokensTop - 8}" fill="#6a3fb5">tokens/s generated (the server's vllm:generation_tokens_total)${ttft !== undefined && Number.isFinite(ttft) ? `; TTFT p95 over the run ${(ttft * 1000).toFixed(0)} ms` : ''}</text>`);
  }
  const legend: [string, string, string][] = [
    ['#1f5fbf', '', 'replicas'],
    ['#7aa7e8', '6 4', 'desired (HPA)'],
    ['#2e9e5b', '', 'ready pods'],
    ['#999', '', 'achieved req/s (right axis; offered shaded)'],
    ...(opts.predicted ? ([['#e07b00', '2 3', 'predicted replicas']] as [string, string, string][]) : []),
  ];
  legend.forEach(([color, dash, label], i) => {
    const lx = PAD.left + [0, 110, 250, 370, 660][i]!;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="36" y2="36" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    parts.push(`<text x="${lx + 27}" y="40" fill="#333">${esc(label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
