import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sh } from '../../shell.ts';

// The cluster's PKI, made with openssl and kept in the cache folder (never in the repo).
// Regenerated only when the node's name or addresses change.

export interface PkiSubject {
  nodeName: string;
  nodeIP: string;
  /** The first address of the service range: the in-cluster `kubernetes` Service. */
  serviceIP: string;
}

type Usage = 'server' | 'client' | 'both';

interface Leaf {
  name: string;
  ca: 'server-ca' | 'client-ca' | 'front-proxy-ca';
  subject: string;
  usage: Usage;
  sans?: string[];
}

export const CAS = ['server-ca', 'client-ca', 'front-proxy-ca'] as const;

export function leaves(s: PkiSubject): Leaf[] {
  return [
    {
      name: 'apiserver',
      ca: 'server-ca',
      subject: '/CN=kube-apiserver',
      usage: 'server',
      sans: [
        'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
        'DNS:localhost', `DNS:${s.nodeName}`, 'IP:127.0.0.1', `IP:${s.nodeIP}`, `IP:${s.serviceIP}`,
      ],
    },
    { name: 'admin', ca: 'client-ca', subject: '/O=system:masters/CN=inferscale-admin', usage: 'client' },
    { name: 'controller-manager', ca: 'client-ca', subject: '/CN=system:kube-controller-manager', usage: 'client' },
    { name: 'scheduler', ca: 'client-ca', subject: '/CN=system:kube-scheduler', usage: 'client' },
    { name: 'kube-proxy', ca: 'client-ca', subject: '/CN=system:kube-proxy', usage: 'client' },
    { name: 'kubelet', ca: 'client-ca', subject: `/O=system:nodes/CN=system:node:${s.nodeName}`, usage: 'client' },
    { name: 'apiserver-kubelet-client', ca: 'client-ca', subject: '/O=system:masters/CN=kube-apiserver-kubelet-client', usage: 'client' },
    { name: 'front-proxy-client', ca: 'front-proxy-ca', subject: '/CN=front-proxy-client', usage: 'client' },
    {
      name: 'kubelet-serving',
      ca: 'server-ca',
      subject: `/O=system:nodes/CN=system:node:${s.nodeName}`,
      usage: 'server',
      sans: [`DNS:${s.nodeName}`, 'DNS:localhost', 'IP:127.0.0.1', `IP:${s.nodeIP}`],
    },
  ];
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function extensions(leaf: Leaf): string {
  const eku = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[leaf.usage];
  const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${eku}`];
  if (leaf.sans) lines.push(`subjectAltName=${leaf.sans.join(',')}`);
  return `${lines.join('\n')}\n`;
}

export async function ensurePki($: Sh, dir: string, subject: PkiSubject): Promise<{ created: boolean }> {
  const stamp = JSON.stringify(subject);
  const stampFile = join(dir, '.stamp');
  if ((await readFile(stampFile, 'utf8').catch(() => '')) === stamp) return { created: false };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const $$ = $({ cwd: dir });
  for (const ca of CAS) {
    await $$`openssl req -x509 ${KEY} -keyout ${`${ca}.key`} -out ${`${ca}.crt`} -days 3650 -subj ${`/CN=inferscale-${ca}`}`;
  }
  for (const leaf of leaves(subject)) {
    await writeFile(join(dir, `${leaf.name}.ext`), extensions(leaf));
    await $$`openssl req -new ${KEY} -keyout ${`${leaf.name}.key`} -out ${`${leaf.name}.csr`} -subj ${leaf.subject}`;
    await $$`openssl x509 -req -in ${`${leaf.name}.csr`} -CA ${`${leaf.ca}.crt`} -CAkey ${`${leaf.ca}.key`} -CAcreateserial -days 3650 -out ${`${leaf.name}.crt`} -extfile ${`${leaf.name}.ext`}`;
  }
  await $$`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out service-account.key`;
  await $$`openssl pkey -in service-account.key -pubout -out service-account.pub`;
  await writeFile(stampFile, stamp);
  return { created: true };
}

export const pkiFile = (dir: string, name: string, ext: 'crt' | 'key' | 'pub') => join(dir, `${name}.${ext}`);
