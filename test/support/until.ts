// Waiting for a condition that has no event to wait on (another process's state, what a page
// shows): ask again every `intervalMs` until it holds, and fail naming it when it never does.

export interface UntilOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Resolves with the first value of `check` that is neither undefined nor false. `what` names the
 * condition in the error; a function gives it the last value seen, for a readable failure.
 */
export async function until<T>(
  what: string | ((last: T | undefined | false) => string),
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 20_000, intervalMs = 100 }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what(value) : what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
