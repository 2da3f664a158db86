import { type Browser, chromium, type LaunchOptions } from "playwright";
import { InputError } from "../contracts/errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { chromiumLaunchOptions, findChromium } from "./chromium.ts";
import {
  BrowserAbortError,
  BrowserError,
  firstLine,
  isAbortError,
  raceAbort,
  throwIfAborted,
} from "./errors.ts";
import { OriginGuard, originOf } from "./origins.ts";
import { BrowserSession, DEFAULT_ACT_TIMEOUT_MS, DEFAULT_SETTLE, type SettleTimings } from "./session.ts";

export interface BrowserPoolOptions {
  /** Browser processes to spread sessions over. Default 2. */
  size?: number;
  /** A browser is closed and replaced after it has served this many sessions (once they are closed). Default 50. */
  sessionsPerBrowser?: number;
  /** Chromium/Chrome executable; default: findChromium's choice (Playwright's, then the system's). */
  executablePath?: string;
  /** Extra launch settings; the rest comes from chromiumLaunchOptions. */
  headless?: boolean;
  args?: string[];
  /** Origins every session may load besides its shop (a CDN, a payment page), e.g. "https://cdn.example". */
  allowedOrigins?: string[];
  /** Default budget for goto/act when the call gives none. Default 10 s. */
  defaultTimeoutMs?: number;
  /** How sessions decide a page has settled; DEFAULT_SETTLE for what is not given. */
  settle?: Partial<SettleTimings>;
  logger?: Logger;
}

export interface SessionRequest {
  /** The shop's origin (or any URL on it); relative goto() URLs resolve against it. */
  origin: string;
  /** Sent with every request, e.g. the shop's session and variant headers. */
  extraHeaders?: Record<string, string>;
  viewport?: { width: number; height: number };
  /** More origins this one session may load, on top of the pool's. */
  allowedOrigins?: string[];
  signal?: AbortSignal;
}

export interface BrowserPoolStats {
  /** Browser processes launched so far, including relaunches. */
  launches: number;
  /** Browsers closed because they had served sessionsPerBrowser sessions. */
  recycled: number;
  /** Browsers that disconnected without being asked to (crash, killed). */
  crashed: number;
  /** Browsers running or starting now. */
  browsers: number;
  openSessions: number;
  /** Sessions handed out so far. */
  sessionsServed: number;
}

/** One browser process and what it is doing. */
interface Slot {
  id: number;
  browser: Promise<Browser>;
  /** Sessions opened on it (ever) and open now. */
  served: number;
  open: number;
  /** Disconnected or failed to launch: never used for new sessions. */
  gone: boolean;
  /** Set once we started closing it; a disconnect after that is expected. */
  closing: Promise<void> | null;
}

const DEFAULT_VIEWPORT = { width: 1280, height: 800 };

/**
 * A few Chromium processes shared by many shopping sessions. Each session gets its own BrowserContext
 * (own cookies and storage) on the least-loaded browser. Browsers start on first use, are replaced
 * after `sessionsPerBrowser` sessions (closed once their last session closes; a new one starts for
 * the next session, so a browser that is draining and its replacement may briefly run side by side),
 * and a crashed browser is replaced for new sessions. The pool owns every browser and every session
 * it hands out: `close()` closes them all, newest first.
 */
export class BrowserPool {
  readonly #size: number;
  readonly #sessionsPerBrowser: number;
  readonly #launchOptions: LaunchOptions;
  readonly #browserName: string;
  readonly #allowedOrigins: string[];
  readonly #defaultTimeoutMs: number;
  readonly #settle: SettleTimings;
  readonly #log: Logger;
  readonly #slots: (Slot | undefined)[];
  /** Browsers taken out of service that still have open sessions or are being closed. */
  readonly #retiring = new Set<Slot>();
  readonly #sessions = new Set<BrowserSession>();
  #nextId = 1;
  #launches = 0;
  #recycled = 0;
  #crashed = 0;
  #served = 0;
  #closing: Promise<void> | null = null;

  constructor(opts: BrowserPoolOptions = {}) {
    this.#size = positiveInt(opts.size ?? 2, "BrowserPool size");
    this.#sessionsPerBrowser = positiveInt(opts.sessionsPerBrowser ?? 50, "BrowserPool sessionsPerBrowser");
    this.#defaultTimeoutMs = positiveInt(opts.defaultTimeoutMs ?? DEFAULT_ACT_TIMEOUT_MS, "defaultTimeoutMs");
    this.#settle = { ...DEFAULT_SETTLE };
    for (const [key, value] of Object.entries(opts.settle ?? {}) as [keyof SettleTimings, number][]) {
      if (!(key in DEFAULT_SETTLE))
        throw new InputError(
          `settle.${key}`,
          `unknown setting; expected one of ${Object.keys(DEFAULT_SETTLE).join(", ")}`,
        );
      if (!Number.isFinite(value) || value < 0)
        throw new InputError(`settle.${key}`, `expected a number of milliseconds ≥ 0, got ${value}`);
      this.#settle[key] = value;
    }
    const choice = findChromium(opts.executablePath);
    this.#browserName = choice.executablePath ?? "Playwright's Chromium";
    const extra: LaunchOptions = {};
    if (opts.headless !== undefined) extra.headless = opts.headless;
    if (opts.args) extra.args = opts.args;
    this.#launchOptions = chromiumLaunchOptions(choice, extra);
    this.#allowedOrigins = (opts.allowedOrigins ?? []).map((o) => originOf(o, "allowedOrigins"));
    this.#log = (opts.logger ?? silentLogger).child({ component: "browser-pool" });
    this.#slots = Array.from({ length: this.#size }, () => undefined);
  }

  /**
   * Opens an isolated session for a shop. Throws an InputError for a bad origin, a BrowserError
   * (retryable) when no browser can be started, a BrowserAbortError when `signal` aborts or the
   * pool is closing.
   */
  async session(req: SessionRequest): Promise<BrowserSession> {
    const what = "opening a browser session";
    this.#throwIfClosed(what);
    throwIfAborted(req.signal, what);
    const origin = originOf(req.origin, "session origin");
    const extra = (req.allowedOrigins ?? []).map((o) => originOf(o, "session allowedOrigins"));
    const guard = new OriginGuard([origin, ...this.#allowedOrigins, ...extra]);

    const slot = this.#pick();
    slot.served++;
    slot.open++;
    this.#served++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#release(slot);
    };
    let session: BrowserSession | undefined;
    try {
      const browser = await raceAbort(slot.browser, req.signal, what);
      const context = await browser.newContext({
        viewport: req.viewport ?? DEFAULT_VIEWPORT,
        extraHTTPHeaders: req.extraHeaders ?? {},
        serviceWorkers: "block",
        acceptDownloads: false,
      });
      session = await BrowserSession.open({
        context,
        origin,
        guard,
        logger: this.#log.child({ browser: slot.id }),
        defaultTimeoutMs: this.#defaultTimeoutMs,
        settle: this.#settle,
        onClosed: () => {
          if (session) this.#sessions.delete(session);
          release();
        },
      });
    } catch (err) {
      release();
      if (isAbortError(err)) throw err;
      this.#throwIfClosed(what);
      if (err instanceof BrowserError) throw err;
      throw new BrowserError(
        `could not open a browser context on browser ${slot.id}: ${firstLine(err)}; retry the job`,
        err,
      );
    }
    this.#sessions.add(session);
    if (req.signal?.aborted || this.#closing) {
      await session.close().catch(() => {});
      this.#throwIfClosed(what);
      throwIfAborted(req.signal, what);
    }
    return session;
  }

  stats(): BrowserPoolStats {
    const live = [...this.#slots, ...this.#retiring].filter((s) => s && !s.gone && !s.closing).length;
    return {
      launches: this.#launches,
      recycled: this.#recycled,
      crashed: this.#crashed,
      browsers: live,
      openSessions: this.#sessions.size,
      sessionsServed: this.#served,
    };
  }

  /**
   * Closes every open session, then every browser, newest first. Runs every cleanup even when one
   * fails and throws the failure(s) at the end. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const errors: unknown[] = [];
    for (const session of [...this.#sessions].reverse()) {
      try {
        await session.close();
      } catch (err) {
        errors.push(err);
      }
    }
    const slots = [...this.#slots, ...this.#retiring]
      .filter((s): s is Slot => s !== undefined)
      .sort((a, b) => b.id - a.id);
    this.#slots.fill(undefined);
    for (const slot of slots) {
      try {
        await this.#closeBrowser(slot);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `closing the browser pool: ${errors.length} cleanups failed`);
    }
  }

  /** Chooses the browser for a new session: the least-loaded one, starting one in an empty slot if that is lighter. */
  #pick(): Slot {
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i];
      if (slot && (slot.gone || slot.served >= this.#sessionsPerBrowser)) {
        this.#slots[i] = undefined;
        this.#retire(slot);
      }
    }
    let best = 0;
    for (let i = 1; i < this.#slots.length; i++) {
      const a = this.#slots[i];
      const b = this.#slots[best];
      const loadA = a?.open ?? 0;
      const loadB = b?.open ?? 0;
      // Equal load: a running browser beats starting a new one.
      if (loadA < loadB || (loadA === loadB && a && !b)) best = i;
    }
    const chosen = this.#slots[best];
    if (chosen) return chosen;
    const slot = this.#launch();
    this.#slots[best] = slot;
    return slot;
  }

  #launch(): Slot {
    const id = this.#nextId++;
    this.#launches++;
    this.#log.debug({ browser: id }, "launching Chromium");
    const browser = chromium.launch(this.#launchOptions).then(
      (launched) => {
        launched.on("disconnected", () => this.#onDisconnected(slot));
        return launched;
      },
      (err: unknown) => {
        slot.gone = true;
        throw new BrowserError(
          `could not launch Chromium (${this.#browserName}): ${firstLine(err)}; check SHOPSIM_CHROMIUM or run \`npx playwright install chromium\`, then retry`,
          err,
        );
      },
    );
    // Whoever awaits it sees the error; this only keeps an unawaited failure from being unhandled.
    browser.catch(() => {});
    const slot: Slot = { id, browser, served: 0, open: 0, gone: false, closing: null };
    return slot;
  }

  #release(slot: Slot): void {
    slot.open--;
    if (slot.open > 0) return;
    const index = this.#slots.indexOf(slot);
    if (slot.gone || slot.served >= this.#sessionsPerBrowser) {
      if (index >= 0) this.#slots[index] = undefined;
      this.#retire(slot);
    }
  }

  /** Takes a browser out of service; closes it now if no session is open on it, else when the last one closes. */
  #retire(slot: Slot): void {
    this.#retiring.add(slot);
    if (slot.open > 0 || slot.closing) return;
    if (!slot.gone) {
      this.#recycled++;
      this.#log.debug({ browser: slot.id, served: slot.served }, "recycling Chromium");
    }
    this.#closeBrowser(slot).catch((err: unknown) => {
      this.#log.warn({ browser: slot.id, err }, "closing a recycled browser failed; it may linger");
    });
  }

  #closeBrowser(slot: Slot): Promise<void> {
    slot.closing ??= (async () => {
      try {
        const browser = await slot.browser.catch(() => null);
        if (browser?.isConnected()) await browser.close();
      } finally {
        this.#retiring.delete(slot);
      }
    })();
    return slot.closing;
  }

  #onDisconnected(slot: Slot): void {
    if (slot.closing || slot.gone) return;
    slot.gone = true;
    this.#crashed++;
    this.#log.warn(
      { browser: slot.id, openSessions: slot.open },
      "Chromium disconnected unexpectedly; its open sessions will fail and new sessions get a fresh browser",
    );
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots[index] = undefined;
    this.#retire(slot);
  }

  #throwIfClosed(what: string): void {
    if (this.#closing) throw new BrowserAbortError(what, "the browser pool is closed");
  }
}

function positiveInt(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InputError(where, `${value} is not a positive whole number`);
  }
  return value;
}
