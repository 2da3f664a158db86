/** The browser layer's public surface; the only folder that imports playwright. */
export { chromiumLaunchOptions, findChromium } from "./chromium.ts";
export { BrowserAbortError, BrowserError, isAbortError } from "./errors.ts";
export type { BlockedRequest } from "./origins.ts";
export { BrowserPool, type BrowserPoolOptions, type BrowserPoolStats, type SessionRequest } from "./pool.ts";
export {
  type ActOptions,
  type ActResult,
  BrowserSession,
  DEFAULT_ACT_TIMEOUT_MS,
  DEFAULT_SETTLE,
  type ObserveOptions,
  type PageSnapshot,
  type SettleTimings,
} from "./session.ts";
