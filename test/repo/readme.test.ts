import { access, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoPath } from '../../scripts/lib/paths.ts';

// The front door: a README a newcomer reads in a few screens, depth in docs/.

const test = suite('the README and docs/');

const readme = await readFile(repoPath('README.md'), 'utf8');
const lines = readme.split('\n');

test('the README fits in 200 lines and reaches "Flux reconciles my fork" within 80', () => {
  assert.ok(lines.length <= 200, `${lines.length} lines`);
  const at = lines.findIndex((l) => l.includes('Flux reconciles my fork'));
  assert.ok(at >= 0 && at < 80, `at line ${at + 1}`);
});

test('every link of the README and of docs/ to a file of the repository finds it', async () => {
  const pages = ['README.md', ...(await readdir(repoPath('docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const missing: string[] = [];
  for (const page of pages) {
    const text = await readFile(repoPath(page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      await access(join(dirname(repoPath(page)), target)).catch(() => missing.push(`${page} → ${target}`));
    }
  }
  assert.equal(missing, []);
});

test('every page of docs/ the README lists opens with what it answers and the command that reproduces it', async () => {
  for (const [, page] of readme.matchAll(/^\| \[docs\/([a-z-]+\.md)\]/gm)) {
    const head = (await readFile(repoPath('docs', page as string), 'utf8')).split('\n').slice(0, 8);
    assert.match(head[0] ?? '', /^# /, page);
    assert.ok(head[2] && !head[2].startsWith('#'), `${page}: says what it answers`);
    assert.ok(head.includes('```sh'), `${page}: a command`);
  }
});

test.run();
