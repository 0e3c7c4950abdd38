import type { KubeConfig } from '@kubernetes/client-node';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverSideApply } from '../../kube/apply.ts';
import { installCrds } from '../../kube/crds.ts';
import type { KObject } from '../../manifests/objects.ts';
import { parseObjects } from '../../manifests/render.ts';
import type { Sh } from '../../shell.ts';
import type { HostApi } from './host-api.ts';
import type { ClusterPaths } from './paths.ts';
import { pkiFile } from './pki.ts';
import { httpStatus, type Daemon } from './processes.ts';

// KEDA on the embedded cluster: its operator (which reconciles ScaledObjects into HPAs and
// asks the scalers, here Prometheus, for their metrics) and its metrics API server (which
// serves external.metrics.k8s.io to the HPA, asking the operator over mutual-TLS gRPC), as
// host processes like the other components, with its CRDs from the version they were built
// from. KEDA and prometheus-adapter cannot both serve external.metrics.k8s.io: the overlay's
// metric plane (manifests/plane.ts) says which one runs.

export const KEDA_NAMESPACE = 'keda';
export const KEDA_PORTS = {
  'keda-operator gRPC': 9666,
  'keda-operator metrics': 9667,
  'keda-operator health': 9668,
  'keda-adapter': 6447,
  'keda-adapter metrics': 9669,
};

export const KEDA_API: HostApi = { service: 'keda-metrics-apiserver', port: KEDA_PORTS['keda-adapter'], groups: { 'external.metrics.k8s.io': ['v1beta1'] } };

/** Where both find ca.crt, tls.crt and tls.key: the gRPC channel's mutual TLS, and the API server's serving certificate. */
const certDir = (p: ClusterPaths): string => join(p.state, 'keda', 'certs');

const kedaEnv = (p: ClusterPaths): NodeJS.ProcessEnv => ({
  ...process.env,
  KUBECONFIG: p.kubeconfig,
  // Off a cluster there is no service account file to read these from.
  POD_NAMESPACE: KEDA_NAMESPACE,
  KEDA_CLUSTER_OBJECT_NAMESPACE: KEDA_NAMESPACE,
  WATCH_NAMESPACE: '',
});

/**
 * One certificate for both ends of the gRPC channel (KEDA checks the peer against ca.crt
 * both ways), issued by the cluster's server CA for localhost, where both listen.
 */
export async function writeKedaCerts($: Sh, p: ClusterPaths): Promise<void> {
  const dir = certDir(p);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth,clientAuth', 'subjectAltName=DNS:localhost,IP:127.0.0.1', ''].join('\n');
  await writeFile(join(dir, 'tls.ext'), ext);
  const $$ = $({ cwd: dir });
  await $$`openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout tls.key -out tls.csr -subj /CN=keda`;
  await $$`openssl x509 -req -in tls.csr -CA ${pkiFile(p.pki, 'server-ca', 'crt')} -CAkey ${pkiFile(p.pki, 'server-ca', 'key')} -CAcreateserial -CAserial ${join(dir, 'ca.srl')} -days 3650 -out tls.crt -extfile tls.ext`;
  await copyFile(pkiFile(p.pki, 'server-ca', 'crt'), join(dir, 'ca.crt'));
}

export function kedaOperatorDaemon(p: ClusterPaths, kedaBin: string): Daemon {
  return {
    name: 'keda-operator',
    command: join(kedaBin, 'keda-operator'),
    args: [
      `--metrics-bind-address=127.0.0.1:${KEDA_PORTS['keda-operator metrics']}`,
      `--health-probe-bind-address=127.0.0.1:${KEDA_PORTS['keda-operator health']}`,
      `--metrics-service-bind-address=127.0.0.1:${KEDA_PORTS['keda-operator gRPC']}`,
      `--cert-dir=${certDir(p)}`,
      '--zap-log-level=info',
    ],
    env: kedaEnv(p),
    healthy: async () => (await httpStatus(`http://127.0.0.1:${KEDA_PORTS['keda-operator health']}/readyz`)) === 200,
  };
}

export function kedaMetricsApiServerDaemon(p: ClusterPaths, kedaBin: string): Daemon {
  const dir = certDir(p);
  return {
    name: 'keda-adapter',
    command: join(kedaBin, 'keda-adapter'),
    args: [
      `--secure-port=${KEDA_PORTS['keda-adapter']}`,
      '--bind-address=127.0.0.1',
      `--cert-dir=${dir}`,
      `--tls-cert-file=${join(dir, 'tls.crt')}`,
      `--tls-private-key-file=${join(dir, 'tls.key')}`,
      `--lister-kubeconfig=${p.kubeconfig}`,
      `--authentication-kubeconfig=${p.kubeconfig}`,
      `--authorization-kubeconfig=${p.kubeconfig}`,
      `--metrics-service-address=127.0.0.1:${KEDA_PORTS['keda-operator gRPC']}`,
      `--port=${KEDA_PORTS['keda-adapter metrics']}`,
      '--zap-log-level=info',
    ],
    env: kedaEnv(p),
    healthy: async () => (await httpStatus(`https://127.0.0.1:${KEDA_PORTS['keda-adapter']}/healthz`, { insecure: true })) === 200,
  };
}

/** KEDA's CRDs as its module ships them, copied into the build folder. */
export async function kedaCrds(kedaBin: string): Promise<KObject[]> {
  const dir = join(kedaBin, 'crds');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return (await Promise.all(files.map(async (f) => parseObjects(await readFile(join(dir, f), 'utf8'))))).flat();
}

/** Before the operator starts: its namespace, its CRDs (Established), its certificates. */
export async function beforeKedaOperator($: Sh, p: ClusterPaths, kc: KubeConfig, kedaBin: string): Promise<void> {
  await serverSideApply(kc, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KEDA_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'inferscale' } } });
  await installCrds(kc, await kedaCrds(kedaBin));
  await writeKedaCerts($, p);
}
