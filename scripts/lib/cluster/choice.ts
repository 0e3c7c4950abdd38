import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { loadKubeConfig } from '../kube/client.ts';
import { reachApiServer } from '../kube/reach.ts';

/** A kubeconfig a script may talk to, in the order they are tried. */
export interface Candidate {
  /** Where the choice came from, for the sentences. */
  source: 'KUBECONFIG' | '~/.kube/config' | 'the embedded cluster';
  files: string[];
  /** A later candidate is tried when this one is absent or does not answer. */
  fallThrough: boolean;
}

/**
 * Which kubeconfig a script asks for: `named` when the user named a provider, and `own` the
 * file that provider writes itself (the embedded cluster's), which then is the only one.
 * Without a name, `own` is the embedded cluster's, the last resort.
 */
export interface KubeconfigRequest {
  named: boolean;
  own?: string;
}

/**
 * The order docs/scripts.md gives: a named provider decides; else $KUBECONFIG when it is set
 * (the user chose it: no fallback); else ~/.kube/config's current context if it answers;
 * else the embedded cluster if it runs.
 */
export function candidates(request: KubeconfigRequest, env: NodeJS.ProcessEnv = process.env, home = homedir()): Candidate[] {
  const own: Candidate | undefined = request.own === undefined ? undefined : { source: 'the embedded cluster', files: [request.own], fallThrough: false };
  const fromEnv = env.KUBECONFIG?.split(delimiter).filter((f) => f !== '');
  const context: Candidate = fromEnv?.length
    ? { source: 'KUBECONFIG', files: fromEnv, fallThrough: false }
    : { source: '~/.kube/config', files: [join(home, '.kube', 'config')], fallThrough: !request.named && own !== undefined };
  if (request.named) return own ? [own] : [context];
  return context.fallThrough && own ? [context, own] : [context];
}

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

/** No kubeconfig file where a candidate looks. */
class NoKubeconfig extends UserError {}

const NOTHING = 'no cluster to talk to: KUBECONFIG is not set, ~/.kube/config does not exist and the embedded cluster is not running; run `npx zx scripts/bootstrap.ts` first or set KUBECONFIG.';

function missing(c: Candidate, absent: string[]): NoKubeconfig {
  if (c.source === 'the embedded cluster') return new NoKubeconfig('the embedded cluster is not running; start it with `npx zx scripts/bootstrap.ts --provider local`.');
  if (c.source === 'KUBECONFIG') return new NoKubeconfig(`KUBECONFIG names ${absent.join(', ')}, which does not exist; set it to a kubeconfig file or unset it.`);
  return new NoKubeconfig(`${c.files[0]} does not exist; set KUBECONFIG or run \`npx zx scripts/bootstrap.ts\` first.`);
}

/** Loads the candidate's kubeconfig and asks its API server for /version (UserError if it cannot). */
async function open(c: Candidate): Promise<KubeConfig> {
  const absent: string[] = [];
  for (const f of c.files) if (!(await exists(f))) absent.push(f);
  if (absent.length === c.files.length) throw missing(c, absent);
  let kc: KubeConfig;
  try {
    // KUBECONFIG's files merge as kubectl merges them: the first file's current context wins.
    const present = c.files.filter((f) => !absent.includes(f));
    kc = loadKubeConfig(present[0]);
    for (const f of present.slice(1)) kc.mergeConfig(loadKubeConfig(f), true);
  } catch (error) {
    throw new UserError(`${c.files.join(', ')} is not a readable kubeconfig (${(error as Error).message.split('\n')[0]}); check the file.`);
  }
  if (!kc.getCurrentCluster()) throw new UserError(`${c.files.join(', ')} has no current context with a cluster; set one with \`kubectl config use-context\`.`);
  await reachApiServer(kc);
  return kc;
}

/**
 * The kubeconfig a script talks to, checked to answer as a Kubernetes API before anything
 * is applied, deleted or loaded; a UserError naming the server and the cause otherwise.
 */
export async function chooseKubeConfig(request: KubeconfigRequest, env: NodeJS.ProcessEnv = process.env): Promise<{ kc: KubeConfig; source: Candidate['source']; files: string[] }> {
  const list = candidates(request, env);
  let contextFailure: unknown;
  for (const c of list) {
    try {
      return { kc: await open(c), source: c.source, files: c.files };
    } catch (error) {
      if (c.fallThrough) {
        if (!(error instanceof NoKubeconfig)) contextFailure = error;
        continue;
      }
      // The embedded cluster was the last resort: say why the context did not do either.
      if (list.length > 1 && error instanceof NoKubeconfig) throw contextFailure ?? new UserError(NOTHING);
      throw error;
    }
  }
  throw new UserError(NOTHING);
}
