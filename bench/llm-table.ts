import { readFile, writeFile } from 'node:fs/promises';
import { repoPath } from '../scripts/lib/paths.ts';
import { marked } from '../scripts/lib/docs/markers.ts';

// bench:llm's record and the table in docs/benchmarks.md written from it.

export const LLM_RECORD = repoPath('bench/records/llm.json');
export const LLM_PAGE = repoPath('docs/benchmarks.md');

export interface ParallelFigures {
  sequences: number;
  /** Tokens generated per second by the pod, all sequences together. */
  tokensPerSecond: number;
  /** Per sequence. */
  tokensPerSecondEach: number;
  ttftP50Ms: number;
  ttftP95Ms: number;
  /** One completion of maxTokens, end to end, p50. */
  completionP50Ms: number;
}

export interface LlmRecord {
  command: string;
  machine: string;
  model: string;
  cpuLimit: string;
  /** The CPU limit enforced by a cgroup's CFS quota, or unlimited where none could be made. */
  cpuLimited: boolean;
  promptTokens: number;
  maxTokens: number;
  rounds: number;
  loadMs: number;
  figures: ParallelFigures[];
  /** The pod's memory at its peak (the cgroup's memory.peak, else the process's high-water RSS). */
  peakMemoryMiB: number;
  image: { name: string; mib: number; nodeMib: number; runtimeMib: number; modelMib: number };
}

export function renderLlmTable(r: LlmRecord): string {
  return [
    `\`${r.command}\` on ${r.machine}: ${r.model} on the llama engine, one pod's CPU limit (${r.cpuLimit}${r.cpuLimited ? ', a cgroup\'s CFS quota' : ', not enforced: no cgroup here'}), one thread; each of ${r.rounds} rounds sends that many completions at once, a prompt of ${r.promptTokens} tokens and ${r.maxTokens} tokens generated (ignore_eos), streamed. The model loads in ${(r.loadMs / 1000).toFixed(2)} s; the pod's memory peaks at ${r.peakMemoryMiB.toFixed(0)} MiB.`,
    '',
    '| sequences at once | tokens/s (pod) | tokens/s (each) | TTFT p50 / p95 | completion p50 |',
    '| --- | --- | --- | --- | --- |',
    ...r.figures.map((f) => `| ${f.sequences} | ${f.tokensPerSecond.toFixed(1)} | ${f.tokensPerSecondEach.toFixed(1)} | ${f.ttftP50Ms.toFixed(0)} / ${f.ttftP95Ms.toFixed(0)} ms | ${f.completionP50Ms.toFixed(0)} ms |`),
    '',
    `The image ${r.image.name} is ${r.image.mib.toFixed(0)} MiB uncompressed: node ${r.image.nodeMib.toFixed(0)} MiB, the llama runtime (node-llama-cpp and its linux-x64 CPU binary) ${r.image.runtimeMib.toFixed(0)} MiB, the model ${r.image.modelMib.toFixed(0)} MiB.`,
  ].join('\n');
}

const TABLE = marked('bench:llm');
export const pageLlmTable = TABLE.read;

export async function writeLlmTable(r: LlmRecord): Promise<void> {
  await writeFile(LLM_PAGE, TABLE.write(await readFile(LLM_PAGE, 'utf8'), renderLlmTable(r)));
}
