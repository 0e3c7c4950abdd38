import type { IncomingMessage } from 'node:http';

// Reading and validating a predict request. Every failure is an HttpError carrying the
// status and a one-line reason; nothing here throws anything else for bad input.

export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export interface PredictRequest {
  id?: string;
  inputs: number[];
}

/**
 * After a 413, how long and how much of the rest of the body is read and dropped before the
 * socket is closed. A client that writes its whole body before reading the answer (Python's
 * requests does) would otherwise meet a reset instead of the 413; nginx's lingering close
 * exists for the same reason.
 */
export const LINGER_MS = 5_000;
export const LINGER_BYTES = 16 * 1024 * 1024;

/** Reads and drops what is left of the body, within LINGER_MS and LINGER_BYTES; then closes. */
function discardRest(req: IncomingMessage): void {
  let dropped = 0;
  const close = (): void => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) close();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/** Reads the body, refusing with 413 as soon as it passes the limit (never buffering more). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    discardRest(req);
    return Promise.reject(new HttpError(413, `request body is ${declared} bytes, the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        discardRest(req);
        reject(new HttpError(413, `request body passed the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('aborted', () => reject(new HttpError(400, 'the client aborted the request body')));
  });
}

export function requireJson(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, `content type must be application/json, got "${type || 'none'}"`);
  }
}

const ALLOWED_KEYS = new Set(['id', 'inputs']);

export function parsePredict(body: Buffer, maxInputs: number): PredictRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `malformed JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(422, 'the body must be a JSON object with an "inputs" array');
  }
  // JSON.parse makes "__proto__" an own key, so listing keys catches it without touching
  // any prototype; only known keys are copied out.
  for (const key of Object.keys(parsed)) {
    if (!ALLOWED_KEYS.has(key)) throw new HttpError(422, `unknown field "${key}"`);
  }
  const record = parsed as Record<string, unknown>;
  const inputs = record.inputs;
  if (!Array.isArray(inputs)) throw new HttpError(422, '"inputs" must be an array of numbers');
  if (inputs.length === 0) throw new HttpError(422, '"inputs" must not be empty');
  if (inputs.length > maxInputs) {
    throw new HttpError(422, `"inputs" has ${inputs.length} values, the limit is ${maxInputs}`);
  }
  for (let i = 0; i < inputs.length; i++) {
    const value = inputs[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new HttpError(422, `"inputs[${i}]" must be a finite number`);
    }
  }
  const result: PredictRequest = { inputs: inputs as number[] };
  if (record.id !== undefined) {
    if (typeof record.id !== 'string' || record.id.length > 128) {
      throw new HttpError(422, '"id" must be a string of at most 128 characters');
    }
    result.id = record.id;
  }
  return result;
}
