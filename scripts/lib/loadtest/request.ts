import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError } from '../cli.ts';
import { inlineBodies, parseLoadRequest, type LoadRequest } from '../manifests/load-request.ts';

// The load's request as the overlay declares it (manifests/load-request.ts), or a user's file
// instead; and what the driver is given of it.
export { LOAD_REQUEST_ANNOTATION, loadRequestOf, parseLoadRequest, type LoadRequest } from '../manifests/load-request.ts';

/** A user's request file; "bodyFiles" in it are read relative to it. */
export async function readLoadRequestFile(path: string): Promise<LoadRequest> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read the request file ${path} (${error.code ?? error.message}).`);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`the request file ${path} is not valid JSON.`);
  }
  const files = (value as { bodyFiles?: unknown })?.bodyFiles;
  if (files !== undefined) {
    if (!Array.isArray(files) || !files.every((f) => typeof f === 'string')) throw new UserError(`${path}: bodyFiles must be a list of file names.`);
    const read = await Promise.all(
      files.map((f) =>
        readFile(resolve(dirname(path), f), 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new UserError(`${path}: cannot read the body file ${f} (${error.code ?? error.message}).`);
        }),
      ),
    );
    const v = value as Record<string, unknown>;
    const inline = inlineBodies(v);
    value = { ...v, bodies: [...(Array.isArray(inline) ? inline : [inline]), ...read] };
  }
  return parseLoadRequest(value, `the request file ${path}`);
}

/** The request's URL on a target (scheme://host:port, a trailing slash or not). */
export const requestUrl = (r: Pick<LoadRequest, 'path'>, baseUrl: string): string => `${baseUrl.replace(/\/+$/, '')}${r.path}`;

/** What the driver is given: the request with its full URL. */
export function driverRequest(r: LoadRequest, baseUrl: string): Record<string, unknown> {
  return { method: r.method, url: requestUrl(r, baseUrl), headers: r.headers, bodies: r.bodies, timeoutSeconds: r.timeoutSeconds, shedStatuses: r.shedStatuses };
}
