import { mkdir, mkdtemp, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { candidates } from '../../../scripts/lib/cluster/choice.ts';
import { kubeconfigRequest } from '../../../scripts/lib/cluster/select.ts';
import { kubeconfigFor, listenerFor, selfSignedPki, type Listener } from '../../helpers/api-servers.ts';
import { runScript } from '../../helpers/cli.ts';

const choice = suite('the choice of cluster');

const home = '/home/someone';
const local = '/state/kubeconfig';
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ INFERSCALE_STATE: '/state', ...extra });
const order = (name: Parameters<typeof kubeconfigRequest>[0], e: NodeJS.ProcessEnv) =>
  candidates(kubeconfigRequest(name, e), e, home).map((c) => `${c.source}: ${c.files.join(':')}${c.fallThrough ? ' (else next)' : ''}`);

choice('takes KUBECONFIG alone when it is set, even while the embedded cluster runs', () => {
  assert.equal(order(undefined, env({ KUBECONFIG: '/a:/b' })), ['KUBECONFIG: /a:/b']);
});

choice('without KUBECONFIG tries ~/.kube/config first and then the embedded cluster', () => {
  assert.equal(order(undefined, env()), [`~/.kube/config: ${home}/.kube/config (else next)`, `the embedded cluster: ${local}`]);
});

choice('takes only the embedded cluster for --provider local, whatever KUBECONFIG says', () => {
  assert.equal(order('local', env({ KUBECONFIG: '/a' })), [`the embedded cluster: ${local}`]);
});

choice('takes only the current context for --provider existing and minikube', () => {
  assert.equal(order('existing', env()), [`~/.kube/config: ${home}/.kube/config`]);
  assert.equal(order('minikube', env({ KUBECONFIG: '/a' })), ['KUBECONFIG: /a']);
});

const pki = await selfSignedPki();

/** The embedded cluster's kubeconfig left behind, and the server it names. */
async function leftoverLocal(listener: Listener): Promise<NodeJS.ProcessEnv> {
  const root = await mkdtemp(join(tmpdir(), 'choice-'));
  await mkdir(join(root, 'state'));
  await copyFile(await kubeconfigFor('not-found', listener, pki), join(root, 'state', 'kubeconfig'));
  return { ...process.env, HOME: root, INFERSCALE_STATE: join(root, 'state'), INFERSCALE_RUN: join(root, 'run') };
}

choice('a leftover embedded-cluster kubeconfig does not win over KUBECONFIG', async () => {
  const leftover = await listenerFor('not-found', pki);
  const chosen = await listenerFor('forbidden', pki);
  try {
    const e = await leftoverLocal(leftover);
    const { code, stderr } = await runScript('scripts/reconcile.ts', ['--overlay', 'overlays/local', '--dry-run'], { ...e, KUBECONFIG: await kubeconfigFor('forbidden', chosen, pki) });
    assert.is(code, 1, stderr);
    assert.ok(stderr.includes(chosen.server), stderr);
    assert.equal(leftover.requests, [], 'the leftover cluster was never asked');
  } finally {
    await Promise.all([leftover.close(), chosen.close()]);
  }
});

choice('without KUBECONFIG or ~/.kube/config the embedded cluster is the one asked', async () => {
  const leftover = await listenerFor('not-found', pki);
  try {
    const e = await leftoverLocal(leftover);
    delete e.KUBECONFIG;
    const { code, stderr } = await runScript('scripts/status.ts', ['--overlay', 'overlays/local'], e);
    assert.is(code, 1, stderr);
    assert.ok(stderr.includes(leftover.server), stderr);
    assert.equal(leftover.requests, ['GET /version']);
  } finally {
    await leftover.close();
  }
});

choice.run();
