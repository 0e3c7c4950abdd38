import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { pkiFile } from './pki.ts';

/** A self-contained kubeconfig (certificates embedded) for one of the PKI's client certs. */
export async function writeKubeconfig(path: string, pki: string, client: string, server: string): Promise<void> {
  const b64 = async (file: string) => (await readFile(file)).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'inferscale', cluster: { server, 'certificate-authority-data': await b64(pkiFile(pki, 'server-ca', 'crt')) } }],
    users: [
      {
        name: client,
        user: {
          'client-certificate-data': await b64(pkiFile(pki, client, 'crt')),
          'client-key-data': await b64(pkiFile(pki, client, 'key')),
        },
      },
    ],
    contexts: [{ name: 'inferscale', context: { cluster: 'inferscale', user: client } }],
    'current-context': 'inferscale',
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}
