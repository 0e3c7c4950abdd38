import { readdir } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scriptArgv } from '../../scripts/lib/cli.ts';
import { LOAD_FLAGS } from '../../scripts/lib/loadtest/options.ts';
import { repoPath } from '../../scripts/lib/paths.ts';
import { runScript } from '../helpers/cli.ts';

// Every script, started as users start it: `npx zx scripts/<name>.ts`.

const scripts = (await readdir(repoPath('scripts'))).filter((f) => f.endsWith('.ts')).sort();
const entry = suite('every script started with npx zx');

entry('finds the scripts', () => {
  assert.ok(scripts.includes('e2e.ts') && scripts.includes('bootstrap.ts'), scripts.join(' '));
});

entry('takes the arguments after the script, however it was started', () => {
  const url = new URL('../../scripts/status.ts', import.meta.url).href;
  const file = repoPath('scripts/status.ts');
  assert.equal(scriptArgv(url, ['/bin/node', '/x/node_modules/.bin/zx', 'scripts/status.ts', '--overlay', 'a']), ['--overlay', 'a']);
  assert.equal(scriptArgv(url, ['/bin/node', file, '--help']), ['--help']);
});

const loadFlags = new Set(Object.keys(LOAD_FLAGS).map((f) => `--${f}`));

for (const script of scripts) {
  entry(`${script} answers --help with a usage line that names every flag its help lists`, async () => {
    const { code, stdout, stderr } = await runScript(`scripts/${script}`, ['--help']);
    assert.is(code, 0, stderr);
    const [usage = '', ...rest] = stdout.split('\n');
    assert.ok(usage.startsWith(`Usage: npx zx scripts/${script}`), usage);
    const listed = new Set(rest.flatMap((l) => /^ {2}(--[a-z-]+)/.exec(l)?.[1] ?? []));
    for (const flag of listed) {
      if (flag === '--help') continue;
      const named = usage.includes(flag) || (loadFlags.has(flag) && usage.includes('[load flags]'));
      assert.ok(named, `${flag} is in the help of ${script} but not in its usage line: ${usage}`);
    }
  });

  entry(`${script} refuses an unknown flag with one sentence and exit code 2`, async () => {
    const { code, stderr } = await runScript(`scripts/${script}`, ['--no-such-flag']);
    assert.is(code, 2, stderr);
    assert.is(stderr.trim(), "error: Unknown option '--no-such-flag'. Run with --help for usage.");
  });
}

for (const script of ['bootstrap.ts', 'reconcile.ts', 'status.ts', 'loadtest.ts', 'e2e.ts', 'teardown.ts']) {
  entry(`${script} refuses an unknown provider with exit code 2`, async () => {
    const overlay = script === 'teardown.ts' ? [] : ['--overlay', 'overlays/local'];
    const { code, stderr } = await runScript(`scripts/${script}`, ['--provider', 'kind', ...overlay]);
    assert.is(code, 2, stderr);
    assert.is(stderr.trim(), 'error: unknown provider "kind"; use one of local, minikube, existing. Run with --help for usage.');
  });
}

entry.run();
