import * as assert from 'uvu/assert';

/** uvu's assert has no async throws: this awaits the promise and checks the rejection. */
export async function rejects(promise: Promise<unknown>, check: (error: unknown) => boolean, message?: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.ok(check(error), message ?? `rejected with an unexpected error: ${String(error)}`);
    return;
  }
  assert.unreachable(message ?? 'expected a rejection');
}
