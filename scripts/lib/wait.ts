import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from './cli.ts';

// The one way to wait for something eventually consistent: poll with a backoff that starts
// short (a daemon that is up in 100 ms is seen in 100 ms) and grows to a ceiling (a gate
// that takes minutes is not polled hundreds of times), always under an overall timeout.

export class WaitTimeout extends UserError {}

export interface Backoff {
  /** The first pause, ms (default 50). */
  firstMs?: number;
  /** The longest pause, ms (default 1000). */
  maxMs?: number;
}

/** The pauses between polls: firstMs, doubling, capped at maxMs. */
export function* pauses({ firstMs = 50, maxMs = 1000 }: Backoff = {}): Generator<number> {
  for (let ms = firstMs; ; ms = Math.min(maxMs, ms * 2)) yield ms;
}

/**
 * Polls `check` until it returns a value other than undefined. A UserError from check ends
 * the wait at once (it says what went wrong); any other error is retried and quoted in the
 * WaitTimeout that ends the wait after timeoutMs.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, backoff: Backoff = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (const pause of pauses(backoff)) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof UserError) throw error;
      lastError = error;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(pause, left));
  }
  const why = lastError ? ` (last error: ${errorSentence(lastError)})` : '';
  throw new WaitTimeout(`timed out after ${timeoutMs / 1000} s waiting for ${what}${why}.`);
}

/** As waitFor, but undefined when it times out. */
export function waitOrUndefined<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, backoff: Backoff = {}): Promise<T | undefined> {
  return waitFor(what, timeoutMs, check, backoff).catch((error: unknown) => {
    if (error instanceof WaitTimeout) return undefined;
    throw error;
  });
}

/** The apiserver's own sentence for a failed call (its Status message), else the error's. */
export function errorSentence(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      return body;
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return (error as Error).message ?? String(error);
}
