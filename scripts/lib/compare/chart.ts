import { esc, path as linePath, stepPath } from '../loadtest/chart.ts';
import type { Sample } from '../plan/timeline.ts';

// One scenario of the comparison as an SVG: every policy's replicas on the same axes (the
// offered load shaded behind them), and below, every policy's p95 latency with the SLO.

const W = 960;
const PAD = { left: 56, right: 64, top: 56, bottom: 34 };
const TOP_H = 240;
const BOTTOM_H = 160;
const GAP = 40;
const H = PAD.top + TOP_H + GAP + BOTTOM_H + PAD.bottom;
const COLORS = ['#1f5fbf', '#e07b00', '#2e9e5b', '#7a7a7a', '#9b3fb5'];

export interface ChartSeries {
  name: string;
  samples: Sample[];
}

export function renderComparisonChart(series: ChartSeries[], opts: { title: string; maxReplicas: number; sloSeconds: number }): string {
  const all = series.flatMap((s) => s.samples);
  const tMax = Math.max(1, ...all.map((s) => s.t));
  const x = (t: number) => PAD.left + (t / tMax) * (W - PAD.left - PAD.right);
  const repMax = opts.maxReplicas + 1;
  const yRep = (r: number) => PAD.top + TOP_H - (r / repMax) * TOP_H;
  const loadMax = Math.max(1, ...all.map((s) => s.offered)) * 1.1;
  const yLoad = (v: number) => PAD.top + TOP_H - (v / loadMax) * TOP_H;
  // Latency on a scale that keeps the SLO in view: up to 4 x the SLO, values above it clipped.
  const latMax = opts.sloSeconds * 4;
  const bottomTop = PAD.top + TOP_H + GAP;
  const yLat = (v: number) => bottomTop + BOTTOM_H - (Math.min(v, latMax) / latMax) * BOTTOM_H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${PAD.left}" y="20" font-size="14" font-weight="600">${esc(opts.title)}</text>`,
  ];
  for (let r = 0; r <= repMax; r += 2) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${yRep(r)}" y2="${yRep(r)}" stroke="#eee"/>`, `<text x="${PAD.left - 8}" y="${yRep(r) + 4}" text-anchor="end">${r}</text>`);
  }
  for (let t = 0; t <= tMax; t += 60) parts.push(`<text x="${x(t)}" y="${H - 12}" text-anchor="middle" fill="#444">${t}s</text>`);
  const offered = series[0]?.samples ?? [];
  parts.push(`<path d="${linePath(offered.map((s) => [x(s.t), yLoad(s.offered)]))}L${x(tMax)},${yLoad(0)}L${x(0)},${yLoad(0)}Z" fill="#ececec"/>`);
  parts.push(`<text x="${W - PAD.right + 8}" y="${yLoad(Math.max(...offered.map((s) => s.offered), 0)) + 4}" fill="#888">${Math.max(...offered.map((s) => s.offered), 0).toFixed(0)} req/s</text>`);
  parts.push(`<text x="${PAD.left}" y="${PAD.top - 6}" fill="#333">replicas (offered load shaded)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    parts.push(`<path d="${stepPath(s.samples.map((p) => [x(p.t), yRep(p.replicas)]))}" fill="none" stroke="${color}" stroke-width="2.2"/>`);
    parts.push(`<path d="${linePath(s.samples.map((p) => [x(p.t), yLat(p.p95)]))}" fill="none" stroke="${color}" stroke-width="1.4"/>`);
    const lx = PAD.left + i * 190;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="36" y2="36" stroke="${color}" stroke-width="2.5"/>`, `<text x="${lx + 27}" y="40">${esc(s.name)}</text>`);
  });
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${yLat(opts.sloSeconds)}" y2="${yLat(opts.sloSeconds)}" stroke="#b5462e" stroke-dasharray="3 3"/>`);
  parts.push(`<text x="${W - PAD.right - 4}" y="${yLat(opts.sloSeconds) - 4}" text-anchor="end" fill="#b5462e">SLO ${(opts.sloSeconds * 1000).toFixed(0)} ms</text>`);
  parts.push(`<text x="${PAD.left}" y="${bottomTop - 8}" fill="#333">p95 latency (clipped at ${(latMax * 1000).toFixed(0)} ms)</text>`);
  for (const v of [0, opts.sloSeconds * 2, latMax]) parts.push(`<text x="${PAD.left - 8}" y="${yLat(v) + 4}" text-anchor="end" fill="#b5462e">${(v * 1000).toFixed(0)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
