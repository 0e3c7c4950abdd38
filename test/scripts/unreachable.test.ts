import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REACH_TIMEOUT_MS } from '../../scripts/lib/kube/reach.ts';
import { kubeconfigFor, listenerFor, selfSignedPki, type Case } from '../helpers/api-servers.ts';
import { runScript } from '../helpers/cli.ts';

// Every script that talks to a cluster, against real listeners that are not a usable
// Kubernetes API: one sentence naming the server and the cause, exit 1, no stack trace,
// nothing asked of the server but /version, and no waiting past the reach timeout (a
// silent server would otherwise hold a script for the kernel's TCP timeouts, minutes).

/**
 * What a script may take beyond the reach timeout: starting the runtime and loading its
 * modules, all eight at once on the machine's cores (17.7 s in all was seen on 2 cores with
 * cold caches). Far below the minutes a script without the timeout would hang.
 */
const STARTUP_ALLOWANCE_SECONDS = 30;
const BOUND_SECONDS = REACH_TIMEOUT_MS / 1000 + STARTUP_ALLOWANCE_SECONDS;

const SCRIPTS: string[][] = [
  ['scripts/bootstrap.ts', '--provider', 'existing'],
  ['scripts/bootstrap.ts'],
  ['scripts/reconcile.ts', '--overlay', 'overlays/local'],
  ['scripts/reconcile.ts', '--overlay', 'overlays/local', '--dry-run'],
  ['scripts/status.ts', '--overlay', 'overlays/local'],
  ['scripts/loadtest.ts', '--overlay', 'overlays/local'],
  ['scripts/compare.ts', '--provider', 'existing'],
  ['scripts/e2e.ts', '--provider', 'existing'],
];

const CAUSES: Record<Case, RegExp> = {
  refused: /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+: the connection was refused; check /,
  timeout: new RegExp(`^error: cannot reach the Kubernetes API server at https://127\\.0\\.0\\.1:\\d+: it did not answer within ${REACH_TIMEOUT_MS / 1000} s; check `),
  untrusted: /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+: its TLS certificate is not trusted \([A-Z_]+\); check certificate-authority-data/,
  unauthorized: /^error: the server at https:\/\/127\.0\.0\.1:\d+ is not usable: it refused our credentials \(401 Unauthorized\); check /,
  forbidden: /^error: the server at https:\/\/127\.0\.0\.1:\d+ is not usable: it denied the user of the current context \(403 Forbidden\); check /,
  'not-found': /^error: the server at https:\/\/127\.0\.0\.1:\d+ is not usable: it answered \/version with HTTP 404, so it is not a Kubernetes API; check /,
  'not-json': /^error: the server at https:\/\/127\.0\.0\.1:\d+ is not usable: it answered \/version with something other than JSON, so it is not a Kubernetes API; check /,
  'missing-kubeconfig': /^error: KUBECONFIG names \/\S+\/config, which does not exist; set it to a kubeconfig file or unset it\.$/,
};

const pki = await selfSignedPki();
const test = suite('every script against a cluster that is not there');

for (const [c, cause] of Object.entries(CAUSES) as [Case, RegExp][]) {
  test(`says "${c}" in one sentence with the server's address, exits 1 and asks for nothing but /version`, async () => {
    const listener = await listenerFor(c, pki);
    const kubeconfig = await kubeconfigFor(c, listener, pki);
    // No ~/.kube/config and no embedded cluster state: KUBECONFIG is the only cluster.
    const home = await mkdtemp(join(tmpdir(), 'home-'));
    const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: home, INFERSCALE_STATE: join(home, 'state'), INFERSCALE_RUN: join(home, 'run') };
    try {
      const runs = await Promise.all(
        SCRIPTS.map(async (argv) => {
          const started = Date.now();
          const result = await runScript(argv[0] ?? '', argv.slice(1), env);
          return { argv, result, seconds: (Date.now() - started) / 1000 };
        }),
      );
      for (const { argv, result, seconds } of runs) {
        const what = `${argv.join(' ')}: ${result.stderr}`;
        assert.is(result.code, 1, what);
        const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'));
        assert.is(errors.length, 1, what);
        assert.match(errors[0] ?? '', cause, what);
        if (c !== 'missing-kubeconfig') assert.ok(errors[0]?.includes(listener.server), what);
        assert.not.match(result.stderr, /^\s+at /m, `no stack trace: ${what}`);
        assert.ok(seconds < BOUND_SECONDS, `${argv.join(' ')} took ${seconds.toFixed(1)} s, more than the reach timeout and ${STARTUP_ALLOWANCE_SECONDS} s to start`);
      }
      assert.ok(listener.requests.every((r) => r === 'GET /version'), listener.requests.join(', '));
    } finally {
      await listener.close();
    }
  });
}

test.run();
