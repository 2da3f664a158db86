/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Milliseconds a server asked the client to wait: `retry-after-ms`, else `retry-after` as seconds or
 * an HTTP date. Null when neither is there or readable.
 */
export function retryAfterMs(
  headers: Headers | Record<string, string> | undefined,
  now = Date.now(),
): number | null {
  if (!headers) return null;
  const get = (name: string): string | null =>
    headers instanceof Headers ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()] ?? null);
  const ms = get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = get("retry-after");
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * Wait before retry number `attempt` (1 = first retry): what the server asked for when it said
 * (capped at 5 minutes), else exponential backoff with jitter: a random wait between half and all of
 * base·2^(attempt-1), capped at maxMs, so clients that failed together do not retry together.
 */
export function backoffMs(attempt: number, serverAskedMs: number | null, opts = DEFAULT_BACKOFF): number {
  if (serverAskedMs !== null) return Math.min(serverAskedMs, 300_000);
  const random = opts.random ?? Math.random;
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
