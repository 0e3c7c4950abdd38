import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { CAPACITY_ANNOTATION } from '../manifests/capacity.ts';
import type { Calibration } from './analyse.ts';

// The calibration as an overlay patch (calibration.yaml): the Deployment's capacity
// annotation and the HPA's target, with the measured levels above them as the record.

export const CALIBRATION_FILE = 'calibration.yaml';

export interface CalibrationContext {
  overlay: string;
  deployment: string;
  hpa: string;
  metric: string;
  cpuLimit: string;
  secondsPerLevel: number;
  date: string;
}

const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

export function calibrationYaml(c: Calibration, ctx: CalibrationContext): string {
  const capacity = JSON.stringify({ requestsPerSecond: c.requestsPerSecond, requestSeconds: c.requestSeconds, targetConcurrency: c.targetConcurrency });
  const rows = c.levels.map((l) => `#   ${String(l.concurrency).padEnd(10)}${fmt(l.throughput, 2).padEnd(8)}${fmt(l.p50Ms, 0).padEnd(8)}${fmt(l.p95Ms, 0).padEnd(8)}${l.refused}`);
  return [
    `# Written by scripts/calibrate.ts on ${ctx.date}: one pod of ${ctx.overlay} (CPU limit ${ctx.cpuLimit}), ${ctx.secondsPerLevel} s a level.`,
    '#   in flight req/s   p50 ms  p95 ms  refused',
    ...rows,
    `# requestSeconds: p50 alone. requestsPerSecond: the highest throughput (the knee at ${c.knee} in flight).`,
    `# targetConcurrency: the most in flight with p95 under the SLO (${c.sloMs} ms) and nothing refused: the HPA's target.`,
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${ctx.deployment}`,
    '  annotations:',
    `    ${CAPACITY_ANNOTATION}: '${capacity}'`,
    '---',
    'apiVersion: autoscaling/v2',
    'kind: HorizontalPodAutoscaler',
    'metadata:',
    `  name: ${ctx.hpa}`,
    'spec:',
    '  metrics:',
    '    - type: Pods',
    '      pods:',
    '        metric:',
    `          name: ${ctx.metric}`,
    '        target:',
    '          type: AverageValue',
    `          averageValue: "${c.targetConcurrency}"`,
    '',
  ].join('\n');
}

/** The unified diff from the overlay's calibration.yaml to `next` (all of it when the file is new). */
export async function calibrationDiff(overlay: string, next: string): Promise<string> {
  const path = join(overlay, CALIBRATION_FILE);
  const current = await readFile(path, 'utf8').catch(() => '');
  return createTwoFilesPatch(path, path, current, next);
}

export async function writeCalibration(overlay: string, text: string): Promise<string> {
  const path = join(overlay, CALIBRATION_FILE);
  await writeFile(path, text);
  return path;
}
