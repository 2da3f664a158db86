import { ShopsimError } from "../contracts/errors.ts";

/**
 * The caller's AbortSignal fired while the browser was working. Not retryable: somebody asked for the
 * work to stop. `name` is "AbortError", as for fetch and DOM aborts, so either check works:
 * `err instanceof BrowserAbortError` or `isAbortError(err)`. `cause` is the signal's reason.
 */
export class BrowserAbortError extends ShopsimError {
  constructor(what: string, reason: unknown) {
    super(`${what} was aborted${describeReason(reason)}; the session should be recorded as aborted`, {
      cause: reason,
    });
    this.name = "AbortError";
  }
}

/**
 * The browser itself failed: it could not be launched, it crashed, or the session's page or context
 * was closed underneath it. Retryable: running the job again on a fresh browser can help.
 */
export class BrowserError extends ShopsimError {
  override readonly retryable = true;

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "BrowserError";
  }
}

/** True for BrowserAbortError and for any other error named "AbortError" (fetch, DOMException). */
export function isAbortError(err: unknown): boolean {
  return err instanceof BrowserAbortError || (err instanceof Error && err.name === "AbortError");
}

function describeReason(reason: unknown): string {
  if (reason === undefined) return "";
  if (reason instanceof Error) return ` (${reason.name}: ${reason.message})`;
  return ` (${String(reason)})`;
}

/** Throws a BrowserAbortError if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new BrowserAbortError(what, signal.reason);
}

/**
 * Settles with `work`, or rejects with a BrowserAbortError as soon as `signal` fires. `work` keeps
 * running after an abort; its eventual rejection is swallowed so it never becomes unhandled.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(new BrowserAbortError(what, signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(new BrowserAbortError(what, signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with a BrowserAbortError when `signal` fires first. */
export function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return raceAbort(new Promise<void>((resolve) => setTimeout(resolve, ms)), signal, what);
}

/** The first line of an error's message (Playwright appends call logs after it). */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split("\n", 1)[0] ?? message).trim();
}
