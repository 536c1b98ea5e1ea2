// The keystroke-echo measurement, shared by the engine worker and the kubectl-under-a-PTY side
// so both are timed by exactly the same loop.
import { performance } from 'node:perf_hooks';

/**
 * The echo test shared with the kubectl side: a letter goes out, and the clock stops at the
 * first output chunk holding it. The prompt is already drained; nothing else prints meanwhile.
 */
export async function typeKeys(
  count: number,
  write: (key: string) => void,
  subscribe: (listener: (chunk: Buffer | string) => void) => () => void,
): Promise<number[]> {
  const latencies: number[] = [];
  // Settle any trailing prompt bytes before the first key.
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < count; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const ms = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no echo of key ${i + 1} within 5 s`));
      }, 5000);
      let sent = 0;
      const unsubscribe = subscribe((chunk) => {
        if (String(chunk).includes(key)) {
          const done = performance.now();
          clearTimeout(timer);
          unsubscribe();
          resolve(done - sent);
        }
      });
      sent = performance.now();
      write(key);
    });
    latencies.push(ms);
  }
  return latencies;
}

