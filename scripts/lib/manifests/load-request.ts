import type { V1Deployment } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import type { KObject } from './objects.ts';

// What every arrival of a load sends is data: the overlay declares it on the Deployment it
// targets (the annotation below), a user may give a file instead, and the load driver sends
// whatever it is given. The statuses that mean "shedding as designed" come with it.

export const LOAD_REQUEST_ANNOTATION = 'inferscale.dev/load-request';

export interface LoadRequest {
  method: string;
  /** Appended to the target's base URL (scheme://host:port). */
  path: string;
  headers: Record<string, string>;
  /** Sent round robin, one per arrival. */
  bodies: string[];
  timeoutSeconds: number;
  /** A server shedding as designed (429 with Retry-After): counted apart from failures. */
  shedStatuses: number[];
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/** The bodies a request value gives inline: "bodies", or "body" alone, or none. */
export const inlineBodies = (v: Record<string, unknown>): unknown => (v.bodies !== undefined ? v.bodies : v.body !== undefined ? [v.body] : []);

const isStatus = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599;

/**
 * A request value checked field by field; `where` names its source in the one sentence an
 * error is. Bodies may be JSON values (sent as their JSON text) or strings (sent as they are).
 */
export function parseLoadRequest(value: unknown, where: string): LoadRequest {
  const bad = (what: string) => new UserError(`${where}: ${what}.`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be a JSON object {"method", "path", "headers", "body" or "bodies", "timeoutSeconds", "shedStatuses"}');
  const v = value as Record<string, unknown>;
  const method = String(v.method ?? 'POST').toUpperCase();
  if (!METHODS.has(method)) throw bad(`method "${method}" is not one of ${[...METHODS].join(', ')}`);
  if (typeof v.path !== 'string' || !v.path.startsWith('/')) throw bad('path must be a URL path starting with "/"');
  const headers = v.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((h) => typeof h !== 'string')) throw bad('headers must be an object of strings');
  const rawBodies = inlineBodies(v);
  if (!Array.isArray(rawBodies)) throw bad('bodies must be a list');
  const bodies = rawBodies.map((b) => (typeof b === 'string' ? b : JSON.stringify(b)));
  const timeoutSeconds = v.timeoutSeconds ?? 10;
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0 && timeoutSeconds <= 3600)) throw bad('timeoutSeconds must be a number above 0 and at most 3600');
  const shedStatuses = v.shedStatuses ?? [429];
  if (!Array.isArray(shedStatuses) || !shedStatuses.every(isStatus)) throw bad('shedStatuses must be a list of HTTP statuses');
  return { method, path: v.path, headers: headers as Record<string, string>, bodies, timeoutSeconds, shedStatuses };
}

/** The request the overlay's Deployment declares. */
export const loadRequestOf = (objects: KObject[]): LoadRequest => declaredRequest(objects.find((o) => o.kind === 'Deployment') as (KObject & V1Deployment) | undefined);

/** The request a Deployment declares (its annotation); one sentence when it has none or a malformed one. */
export function declaredRequest(deployment: Pick<V1Deployment, 'metadata'> | undefined): LoadRequest {
  const name = `Deployment ${deployment?.metadata?.name ?? '(none)'}`;
  const raw = deployment?.metadata?.annotations?.[LOAD_REQUEST_ANNOTATION];
  if (raw === undefined) throw new UserError(`${name} has no ${LOAD_REQUEST_ANNOTATION} annotation saying what a load request sends; add one (see base/app/deployment.yaml) or pass --request <file.json>.`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UserError(`${name}'s ${LOAD_REQUEST_ANNOTATION} annotation is not valid JSON.`);
  }
  return parseLoadRequest(value, `${name}'s ${LOAD_REQUEST_ANNOTATION}`);
}

/**
 * The objects with the Deployment declaring `request` as its load (a user's request file in
 * place of the overlay's), so that what plans the run costs the request the driver sends.
 */
export function withLoadRequest(objects: KObject[], request: LoadRequest): KObject[] {
  const deployment = objects.find((o) => o.kind === 'Deployment');
  if (!deployment) return objects;
  const { method, path, headers, bodies, timeoutSeconds, shedStatuses } = request;
  const annotations = { ...deployment.metadata.annotations, [LOAD_REQUEST_ANNOTATION]: JSON.stringify({ method, path, headers, bodies, timeoutSeconds, shedStatuses }) };
  return objects.map((o) => (o === deployment ? { ...o, metadata: { ...o.metadata, annotations } } : o));
}
