import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../scripts/lib/paths.ts';

// The load generator used before is under the AGPL, which this project does not take on:
// the load driver is vegeta's. Only the README names it, saying why; content hashes in lock
// files (integrity, h1:) are not names. Its name is spelled apart here so that this file is
// not a place that names it.
const FORMER = ['k', '6'].join('');

const test = suite('the dependencies');

test("the AGPL load generator used before is named nowhere but in the README's sentence on why not", async () => {
  const { stdout } = await promisify(execFile)('git', ['grep', '-n', '-i', FORMER], { cwd: REPO_ROOT }).catch((e: { stdout: string }) => ({ stdout: e.stdout ?? '' }));
  const named = stdout.split('\n').filter((l) => l && !/"integrity": "sha512-|h1:[A-Za-z0-9+/=]+$/.test(l));
  assert.equal(named.map((l) => l.split(':')[0]), ['README.md'], named.join('\n'));
  assert.match(named[0] as string, /AGPL/);
});

test('the load driver pins vegeta in its own module', async () => {
  const mod = await readFile(`${REPO_ROOT}/loadtests/go.mod`, 'utf8');
  assert.match(mod, /^require github\.com\/tsenart\/vegeta\/v12 v12\.13\.0$/m);
});

test.run();
