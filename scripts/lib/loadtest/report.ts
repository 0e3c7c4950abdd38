import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssertionResult } from './assertions.ts';
import type { Bounds, HpaSettings, PipelineSettings } from './bounds.ts';
import { renderChart } from './chart.ts';
import { figureLines, type Figures } from './figures.ts';
import type { RunRecord } from './timeline.ts';

// Every run leaves: timeline.json (the record), summary.md (assertions with their bounds and
// observations, the figures, the settings), chart.svg.

export interface RunReport {
  record: RunRecord;
  hpa: HpaSettings;
  pipeline: PipelineSettings;
  bounds: Bounds;
  results: AssertionResult[];
  figures: Figures;
  overlay: string;
  /** A simulated run (scripts/simulate.ts), not one observed on a cluster. */
  predicted?: boolean;
}

export function markdown(r: RunReport): string {
  const ok = r.results.every((a) => a.ok);
  const lines = [
    r.predicted ? `# inferscale prediction (simulated, not observed): ${r.record.profile} on ${r.overlay}` : `# inferscale load test: ${r.record.profile} on ${r.overlay}`,
    '',
    `**${ok ? `All ${r.results.length} assertions hold.` : `${r.results.filter((a) => !a.ok).length} assertion(s) failed.`}**`,
    '',
    '![replicas, load and latency over time](chart.svg)',
    '',
    '## Assertions',
    '',
    '| | assertion | bound | observed |',
    '| --- | --- | --- | --- |',
    ...r.results.map((a) => `| ${a.ok ? '✓' : '✗'} | ${a.name} | ${a.bound} | ${a.observed} |`),
    '',
    '## Figures',
    '',
    ...figureLines(r.figures, r.pipeline).map((l) => `- ${l}`),
    '',
    '## Settings the bounds were computed from',
    '',
    `- HPA: minReplicas ${r.hpa.minReplicas}, maxReplicas ${r.hpa.maxReplicas}, ${r.hpa.metric} target ${r.hpa.target} per pod, scale-up window ${r.hpa.scaleUp.stabilizationWindowSeconds} s, scale-down window ${r.hpa.scaleDown.stabilizationWindowSeconds} s`,
    `- pipeline: scrape ${r.pipeline.scrapeSeconds} s, rate window ${r.pipeline.rateWindowSeconds} s, adapter relist ${r.pipeline.relistSeconds} s, HPA sync ${r.pipeline.syncSeconds} s, pod start ${r.pipeline.podStartSeconds.toFixed(1)} s (measured), service time ${(r.pipeline.serviceSeconds * 1000).toFixed(0)} ms, latency SLO ${(r.pipeline.latencySloSeconds * 1000).toFixed(0)} ms`,
    `- load: ${r.record.profile}, step at ${r.record.stepAt} s, drop at ${r.record.dropAt} s, end at ${r.record.endAt} s; ${r.record.requests.total} requests`,
    `- the bounds are the earliest and latest over ${r.pipeline.syncSeconds * r.pipeline.scrapeSeconds} phases of sync and scrape of the controller's rules run on this schedule (scripts/lib/simulate/)`,
  ];
  for (const a of r.results.filter((x) => !x.ok && x.context)) {
    lines.push('', `## Around the failure of "${a.name}"`, '', '```', a.context ?? '', '```');
  }
  return `${lines.join('\n')}\n`;
}

export async function writeReport(dir: string, r: RunReport): Promise<{ json: string; md: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'timeline.json'), md: join(dir, 'summary.md'), svg: join(dir, 'chart.svg') };
  await writeFile(files.json, `${JSON.stringify({ ...r, record: { ...r.record } }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  await writeFile(files.md, markdown(r));
  await writeFile(
    files.svg,
    renderChart(r.record, {
      maxReplicas: r.hpa.maxReplicas,
      sloSeconds: r.pipeline.latencySloSeconds,
      title: `${r.predicted ? 'predicted: ' : ''}${r.record.profile} load on ${r.overlay}: replicas follow the offered load`,
    }),
  );
  return files;
}
