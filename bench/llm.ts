// npm run bench:llm: the llama engine serving SmolLM2-135M in one pod's CPU limit (a cgroup's
// CFS quota, as the kubelet sets overlays/local-llm's): the model's load time, tokens/s and time to first
// token at 1, 2 and 4 sequences at once, the pod's peak memory and the image's size. Prints
// figures, writes the record (bench/records/llm.json) and the table in docs/benchmarks.md;
// asserts nothing. `npm run bench:llm -- --render` writes that table from the committed record.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { V1Deployment } from '@kubernetes/client-node';
import { buildLlamaImage } from '../scripts/lib/cluster/embedded/images.ts';
import { clusterPaths } from '../scripts/lib/cluster/embedded/paths.ts';
import { LLAMA_IMAGE } from '../scripts/lib/manifests/image.ts';
import { renderOverlay } from '../scripts/lib/manifests/render.ts';
import { containerCpuOf } from '../scripts/lib/manifests/service-config.ts';
import { fetchModel, SMOLLM2_135M } from '../scripts/lib/models/artifact.ts';
import { repoPath } from '../scripts/lib/paths.ts';
import { sh } from '../scripts/lib/shell.ts';
import { percentile } from '../scripts/lib/stats.ts';
import { cpuLimitedCgroup } from './cgroup.ts';
import { LLM_RECORD, renderLlmTable, writeLlmTable, type LlmRecord, type ParallelFigures } from './llm-table.ts';

const OVERLAY = 'overlays/local-llm';
const SEQUENCES = [1, 2, 4];
const ROUNDS = Number(process.env.BENCH_LLM_ROUNDS ?? 3);
const MAX_TOKENS = 64;
const PROMPT = 'Autoscaling inference on Kubernetes means adding model server replicas when demand rises, and';
const MiB = 1024 ** 2;

if (process.argv.includes('--render')) {
  await writeLlmTable(JSON.parse(await readFile(LLM_RECORD, 'utf8')) as LlmRecord);
  process.exit(0);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const paths = clusterPaths();
const model = await fetchModel(sh, paths.cache, SMOLLM2_135M, log);
const { objects } = await renderOverlay(sh, OVERLAY);
const deployment = objects.find((o) => o.kind === 'Deployment') as (V1Deployment & { kind: string }) | undefined;
const limitCores = containerCpuOf(deployment).limitCores ?? 1;
const cpuLimit = String(deployment?.spec?.template.spec?.containers[0]?.resources?.limits?.cpu ?? 'none');
const cgroup = await cpuLimitedCgroup('inferscale-bench-llm', limitCores);
if (!cgroup) log('no cgroup could be made (root and cgroup v2 are needed): the server runs without the CPU limit');

const env = {
  ...process.env,
  INFERENCE_HOST: '127.0.0.1',
  INFERENCE_PORT: '0',
  INFERENCE_METRICS_PORT: '0',
  INFERENCE_ENGINE: 'llama',
  INFERENCE_MODEL_PATH: model.path,
  INFERENCE_MODEL_NAME: SMOLLM2_135M.name,
  INFERENCE_SLOTS: String(Math.max(...SEQUENCES)),
  INFERENCE_QUEUE_LIMIT: '0',
  INFERENCE_MAX_MODEL_LEN: '256',
  INFERENCE_LLAMA_THREADS: '1',
  INFERENCE_REQUEST_TIMEOUT_MS: '300000',
  INFERENCE_DRAIN_DELAY_MS: '0',
};
const command = [process.execPath, repoPath('inference/src/main.ts')];
const [file, ...args] = cgroup ? cgroup.wrap(command) : command;
const child = spawn(file as string, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
const started = await new Promise<{ port: number; loadMs: number }>((resolve, reject) => {
  let loadMs = Number.NaN;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const entry = JSON.parse(line) as { msg: string; loadMs?: number; port?: number };
    if (entry.msg === 'model loaded') loadMs = entry.loadMs ?? Number.NaN;
    if (entry.msg === 'listening') resolve({ port: entry.port as number, loadMs });
  });
  child.once('exit', (code) => reject(new Error(`the llama engine exited with ${code}`)));
});

/** One streamed completion: when its first token came, and when it ended, ms from its start. */
async function completion(): Promise<{ ttftMs: number; totalMs: number }> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${started.port}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: SMOLLM2_135M.name, prompt: PROMPT, max_tokens: MAX_TOKENS, ignore_eos: true, stream: true }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`the engine answered ${res.status}: ${await res.text()}`);
  let ttftMs = Number.NaN;
  for await (const _chunk of res.body) if (Number.isNaN(ttftMs)) ttftMs = performance.now() - t0;
  return { ttftMs, totalMs: performance.now() - t0 };
}

const figures: ParallelFigures[] = [];
let promptTokens = Number.NaN;
let hwmKiB = Number.NaN;
try {
  const warm = await fetch(`http://127.0.0.1:${started.port}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: SMOLLM2_135M.name, prompt: PROMPT, max_tokens: 4 }) });
  promptTokens = ((await warm.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
  for (const sequences of SEQUENCES) {
    log(`… ${sequences} at once, ${ROUNDS} rounds of ${MAX_TOKENS} tokens`);
    const ttft: number[] = [];
    const totals: number[] = [];
    let wallMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      const done = await Promise.all(Array.from({ length: sequences }, () => completion()));
      wallMs += performance.now() - t0;
      for (const d of done) {
        ttft.push(d.ttftMs);
        totals.push(d.totalMs);
      }
    }
    const tokensPerSecond = (sequences * ROUNDS * MAX_TOKENS) / (wallMs / 1000);
    figures.push({ sequences, tokensPerSecond, tokensPerSecondEach: tokensPerSecond / sequences, ttftP50Ms: percentile(ttft, 50), ttftP95Ms: percentile(ttft, 95), completionP50Ms: percentile(totals, 50) });
  }
  hwmKiB = Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
const peak = (await cgroup?.peakMemoryBytes()) ?? hwmKiB * 1024;
await cgroup?.remove();

/** Bytes of every file under a folder. */
async function treeBytes(dir: string): Promise<number> {
  let sum = 0;
  for (const d of await readdir(dir, { recursive: true, withFileTypes: true })) if (d.isFile()) sum += (await stat(join(d.parentPath, d.name))).size;
  return sum;
}
const images = await mkdtemp(join(tmpdir(), 'bench-llm-image-'));
const { image } = await buildLlamaImage(sh, { ...paths, images }, model.path);
await rm(images, { recursive: true, force: true });

const record: LlmRecord = {
  command: 'npm run bench:llm',
  machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
  model: `${SMOLLM2_135M.name} (Q4_1 GGUF, ${SMOLLM2_135M.pypi.name} ${SMOLLM2_135M.pypi.version})`,
  cpuLimit,
  cpuLimited: cgroup !== undefined,
  promptTokens,
  maxTokens: MAX_TOKENS,
  rounds: ROUNDS,
  loadMs: started.loadMs,
  figures,
  peakMemoryMiB: peak / MiB,
  image: {
    name: LLAMA_IMAGE,
    mib: image.archive.length / MiB,
    nodeMib: (await stat(await realpath(process.execPath))).size / MiB,
    runtimeMib: (await treeBytes(repoPath('inference/node_modules'))) / MiB,
    modelMib: SMOLLM2_135M.bytes / MiB,
  },
};
console.log(renderLlmTable(record));
await mkdir(repoPath('bench/records'), { recursive: true });
await writeFile(LLM_RECORD, `${JSON.stringify(record, null, 2)}\n`);
await writeLlmTable(record);
