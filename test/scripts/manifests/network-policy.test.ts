import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

// The NetworkPolicy restricts: on a cluster reached through a gateway, the API only from the
// namespaces labelled for it and the metrics only from monitoring; where the load comes in
// through a NodePort (the e2e overlays, the comparison), the API port from anywhere.

interface Rule {
  from?: { namespaceSelector?: { matchLabels?: Record<string, string> } }[];
  ports: { port: string }[];
}
const rulesOf = async (overlay: string): Promise<Rule[]> => {
  const { objects } = await renderOverlay(sh, repoPath(overlay));
  const policy = objects.find((o) => o.kind === 'NetworkPolicy') as unknown as { spec: { ingress: Rule[] } } | undefined;
  assert.ok(policy, `${overlay} has a NetworkPolicy`);
  return policy!.spec.ingress;
};
const open = (rules: Rule[], port: string) => rules.some((r) => r.from === undefined && r.ports.some((p) => p.port === port));
const admits = (rules: Rule[], port: string, label: [string, string]) =>
  rules.some((r) => r.ports.some((p) => p.port === port) && (r.from === undefined || r.from.some((f) => f.namespaceSelector?.matchLabels?.[label[0]] === label[1])));

const policy = suite('the NetworkPolicy');

policy('on a cloud cluster admits the API from the namespaces labelled for it and the metrics from monitoring, and nothing from anywhere', async () => {
  for (const overlay of ['overlays/cloud', 'overlays/servers/vllm']) {
    const rules = await rulesOf(overlay);
    assert.ok(rules.every((r) => (r.from ?? []).length > 0), `${overlay}: every rule names who it admits`);
    assert.ok(admits(rules, 'http', ['inferscale.dev/access', 'api']), `${overlay}: the API from inferscale.dev/access=api`);
    assert.ok(admits(rules, 'metrics', ['kubernetes.io/metadata.name', 'monitoring']) && admits(rules, 'http', ['kubernetes.io/metadata.name', 'monitoring']), `${overlay}: metrics (and a server's on its API port) from monitoring`);
    assert.not.ok(admits(rules, 'metrics', ['kubernetes.io/metadata.name', 'default']), `${overlay}: metrics from no other namespace`);
  }
});

policy('where a NodePort brings the load, opens the API port, and only it', async () => {
  for (const overlay of ['overlays/local', 'overlays/minikube', 'overlays/compare', 'overlays/local-llm']) {
    const rules = await rulesOf(overlay);
    assert.ok(open(rules, 'http'), `${overlay}: the API port from anywhere`);
    assert.not.ok(open(rules, 'metrics'), `${overlay}: the metrics port still only from monitoring`);
  }
});

policy.run();
