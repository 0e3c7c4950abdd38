import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { GATEWAY_API_VERSION, KEDA_VERSION } from '../cluster/versions.ts';
import type { KObject } from '../manifests/objects.ts';
import { parseObjects } from '../manifests/render.ts';

// Schemas of the custom resources no kubernetes-models package ships at the version we run,
// read from the CRD files of the pinned module itself (fetched through the Go module proxy
// once, then from the module cache): KEDA's ScaledObject against v2.21.0's own, an HTTPRoute against
// the Gateway API's (components/gateway-httproute).

interface CrdSource {
  group: string;
  module: string;
  version: string;
  dir: string;
}

const SOURCES: CrdSource[] = [
  { group: 'keda.sh', module: 'github.com/kedacore/keda/v2', version: KEDA_VERSION, dir: 'config/crd/bases' },
  { group: 'gateway.networking.k8s.io', module: 'sigs.k8s.io/gateway-api', version: GATEWAY_API_VERSION, dir: 'config/crd/standard' },
];

export type Check = (obj: KObject) => string | undefined;

interface Crd {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema?: object } }[] };
}

const loaded = new Map<string, Promise<Crd[]>>();
const compiled = new Map<string, Check | null>();
// Kubernetes' schema extensions (x-kubernetes-*) are not JSON Schema keywords: not strict.
const ajv = new Ajv({ strict: false, allErrors: false });
// OpenAPI's number and string formats, which the apiserver does not check either.
for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'date-time']) ajv.addFormat(format, true);

async function crdsOf(source: CrdSource): Promise<Crd[]> {
  const key = `${source.module}@${source.version}`;
  if (!loaded.has(key)) {
    loaded.set(
      key,
      (async () => {
        const { stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', key], { env: { ...process.env, GOFLAGS: '-mod=mod' } });
        const dir = join((JSON.parse(stdout) as { Dir: string }).Dir, source.dir);
        const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
        const objects = (await Promise.all(files.map(async (f) => parseObjects(await readFile(join(dir, f), 'utf8'))))).flat();
        return objects.filter((o) => o.kind === 'CustomResourceDefinition') as unknown as Crd[];
      })(),
    );
  }
  return loaded.get(key) as Promise<Crd[]>;
}

/** A check of the kind's schema from its pinned CRD, or null when no source ships the kind; a message per failure. */
export async function crdCheck(apiVersion: string, kind: string): Promise<Check | null> {
  const key = `${apiVersion}/${kind}`;
  if (compiled.has(key)) return compiled.get(key) ?? null;
  const [group, version] = apiVersion.split('/');
  const source = SOURCES.find((s) => s.group === group);
  let check: Check | null = null;
  if (source) {
    const crd = (await crdsOf(source)).find((c) => c.spec.group === group && c.spec.names.kind === kind);
    const schema = crd?.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema;
    if (schema) {
      const validate = ajv.compile(schema);
      check = (obj) => (validate(obj) ? undefined : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`).join('; '));
    }
  }
  compiled.set(key, check);
  return check;
}
