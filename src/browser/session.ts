import type { BrowserContext, Page, Request, Route, WebSocketRoute } from "playwright";
import {
  type Action,
  type ElementKind,
  type ElementLocator,
  NOT_RENDERED_ATTR,
} from "../contracts/action.ts";
import { InputError } from "../contracts/errors.ts";
import type { Logger } from "../log.ts";
import { closestNames } from "../simplify/closest.ts";
import { BrowserError, firstLine, isAbortError, raceAbort, sleep, throwIfAborted } from "./errors.ts";
import type { BlockedRequest, OriginGuard } from "./origins.ts";

/** What `act` did. `ok: false` is the policy's mistake or the page's refusal, fed back to the policy. */
export type ActResult = { ok: true; navigated: boolean } | { ok: false; error: string };

export interface ActOptions {
  signal?: AbortSignal;
  /** Budget for the whole action, including waiting for the next page. Default 10 s. */
  timeoutMs?: number;
}

export interface PageSnapshot {
  url: string;
  title: string;
  /** The rendered DOM as HTML (page.content()), for the simplifier. */
  html: string;
  /** PNG of the viewport, when asked for. */
  screenshot?: Buffer;
  /** Playwright's aria snapshot of the page (YAML), when asked for: the accessibility-tree view other agents read. */
  aria?: string;
}

export interface ObserveOptions {
  screenshot?: boolean;
  /** Also take Playwright's aria snapshot, in its `default` or `ai` (with element refs) form. */
  aria?: "default" | "ai";
  signal?: AbortSignal;
}

export const DEFAULT_ACT_TIMEOUT_MS = 10_000;

/**
 * Runs in the page (main world, through a plain evaluate: a locator's evaluateAll would first install
 * Playwright's selector engine in every new document, ~20 ms a page): how many elements the CSS
 * selector matches, and whether the one element is visible (Playwright's rule: a non-empty box and not
 * visibility:hidden) and enabled (not disabled itself or by a disabled fieldset, not aria-disabled);
 * for a drop-down list, its options; and what covers it, if a modal layer does (see `coveredBy`). A
 * selector the page's engine rejects gives `count: -1`.
 */
interface InPageElement {
  tagName: string;
  disabled?: boolean;
  options?: ArrayLike<{ value: string; label: string; text: string }>;
  textContent: string | null;
  parentElement: InPageElement | null;
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  closest(selector: string): InPageElement | null;
  getAttribute(name: string): string | null;
  contains(other: InPageElement): boolean;
  matches(selector: string): boolean;
  querySelector(selector: string): InPageElement | null;
  scrollIntoView(options: { block: string; inline: string }): void;
}
interface ElementState {
  count: number;
  visible: boolean;
  enabled: boolean;
  /** The options of a <select>, null for any other element. */
  options: Array<{ value: string; label: string }> | null;
  /**
   * What sits over the element's centre, when that is a modal layer (a modal dialog, or a fixed layer
   * over most of the window such as a pop-up's backdrop), described for the policy ("a pop-up
   * (“Get 10% off”)"); null when the element can be reached.
   */
  coveredBy: string | null;
}
function elementState(css: string): ElementState {
  const doc = globalThis as unknown as {
    document: {
      querySelectorAll(selector: string): ArrayLike<InPageElement>;
      elementFromPoint(x: number, y: number): InPageElement | null;
    };
    innerWidth: number;
    innerHeight: number;
    getComputedStyle(el: InPageElement): { visibility: string; position: string };
  };
  // The action comes next: from here on, navigations and requests the page starts are the action's doing.
  const probe = globalThis as unknown as { __shopsimNavigations?: number; __shopsimRequests?: number };
  if (typeof probe.__shopsimNavigations === "number") probe.__shopsimNavigations = 0;
  if (typeof probe.__shopsimRequests === "number") probe.__shopsimRequests = 0;
  let els: ArrayLike<InPageElement>;
  try {
    els = doc.document.querySelectorAll(css);
  } catch {
    return { count: -1, visible: false, enabled: false, options: null, coveredBy: null };
  }
  const el = els[0];
  if (els.length !== 1 || !el)
    return { count: els.length, visible: false, enabled: false, options: null, coveredBy: null };
  const box = el.getBoundingClientRect();
  const visible = box.width > 0 && box.height > 0 && doc.getComputedStyle(el).visibility !== "hidden";
  const disabled =
    el.disabled === true ||
    (el.closest("fieldset[disabled]") !== null && el.closest("legend") === null) ||
    el.getAttribute("aria-disabled") === "true";
  const options =
    el.tagName === "SELECT" && el.options
      ? Array.from(el.options, (o) => ({ value: o.value, label: (o.label || o.text).trim() }))
      : null;
  return { count: 1, visible, enabled: !disabled, options, coveredBy: visible ? coveredBy(el) : null };

  // A shopper cannot use what a pop-up covers. The element is brought into view as a click would
  // bring it (centred when it is not wholly in view), then the point a click would hit is tested.
  // Only modal layers count: a sticky header or a cookie bar may cover an element at one scroll
  // position and not another, and Playwright scrolls on until it can click.
  function coveredBy(target: InPageElement): string | null {
    let r = target.getBoundingClientRect();
    if (r.left < 0 || r.top < 0 || r.left + r.width > doc.innerWidth || r.top + r.height > doc.innerHeight) {
      target.scrollIntoView({ block: "center", inline: "center" });
      r = target.getBoundingClientRect();
    }
    const hit = doc.document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || target.contains(hit) || hit.closest("label")?.contains(target) === true) return null;
    const forId = hit.closest("label")?.getAttribute("for");
    if (forId && forId === target.getAttribute("id")) return null;
    let layer = hit.closest("dialog, [aria-modal=true]");
    // A <dialog> covers the page only when shown as modal (`:modal`, which older engines reject).
    if (layer?.tagName === "DIALOG") {
      try {
        if (!layer.matches(":modal")) layer = null;
      } catch {
        layer = null;
      }
    }
    for (let up: InPageElement | null = hit; !layer && up; up = up.parentElement) {
      const box = up.getBoundingClientRect();
      if (
        doc.getComputedStyle(up).position === "fixed" &&
        box.width >= doc.innerWidth * 0.9 &&
        box.height >= doc.innerHeight * 0.9
      )
        layer = up;
    }
    if (!layer || layer.contains(target)) return null;
    // Name the layer as the page names its dialog: a label, a heading, or the first words.
    const kinds = "[role=dialog], [role=alertdialog], dialog, [aria-modal=true]";
    const dialog = layer.closest(kinds) ?? layer.querySelector(kinds) ?? layer;
    const heading = dialog.querySelector("h1, h2, h3, h4, [role=heading]");
    const words = (
      dialog.getAttribute("aria-label") ??
      dialog.getAttribute("title") ??
      heading?.textContent ??
      dialog.textContent ??
      ""
    )
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 60);
    return words ? `a pop-up (“${words}”)` : "a pop-up";
  }
}

/**
 * Runs in the page: mirrors live form state into attributes (passwords and files excepted), marks the
 * outermost elements the browser does not render (NOT_RENDERED_ATTR; a stylesheet's display: none is
 * not in the HTML), then returns the serialized document and its title, in one round trip
 * (page.content() + page.title() would be three). Marks from an earlier observation are cleared first,
 * so a menu opened since is seen open.
 */
const REFLECT_FORM_STATE = `(() => {
  for (const el of document.querySelectorAll("input, textarea, select")) {
    if (el.tagName === "SELECT") {
      for (const o of el.options) o.toggleAttribute("selected", o.selected);
    } else if (el.tagName === "TEXTAREA") {
      el.textContent = el.value;
    } else if (el.type === "checkbox" || el.type === "radio") {
      el.toggleAttribute("checked", el.checked);
    } else if (el.type !== "password" && el.type !== "file") {
      el.setAttribute("value", el.value);
    }
  }
  const mark = ${JSON.stringify(NOT_RENDERED_ATTR)};
  for (const el of document.querySelectorAll("[" + mark + "]")) el.removeAttribute(mark);
  const body = document.body;
  if (body && typeof body.checkVisibility === "function") {
    // Options, and what scripts and templates hold, have no box of their own: never marked; nor is
    // display: contents, a box-less wrapper whose children are rendered.
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_ELEMENT, (el) => {
      if (/^(SELECT|DATALIST|SCRIPT|STYLE|TEMPLATE|NOSCRIPT|svg)$/.test(el.tagName)) return NodeFilter.FILTER_REJECT;
      if (el.checkVisibility() || getComputedStyle(el).display === "contents") return NodeFilter.FILTER_ACCEPT;
      el.setAttribute(mark, "");
      return NodeFilter.FILTER_REJECT;
    });
    while (walker.nextNode()) {}
  }
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "";
  return { html: doctype + (document.documentElement ? document.documentElement.outerHTML : ""), title: document.title };
})()`;
/**
 * Runs in every document before its own scripts: counts cross-document navigations the page starts
 * (link clicks, form submits, script redirects, history traversals) through the Navigation API's
 * `navigate` event, which fires synchronously inside the click or submit that causes it, and requests
 * the page's scripts start through fetch, XMLHttpRequest and EventSource (each wrapped in a Proxy that
 * counts the call and forwards it unchanged). After an action, reading the counts tells for certain
 * whether a new page or new data is on its way, however long the browser takes to send the request.
 */
const NAVIGATION_PROBE = `(() => {
  const g = globalThis;
  g.__shopsimRequests = 0;
  g.__shopsimPending = 0;
  const count = () => { g.__shopsimRequests += 1; };
  // Pending: a fetch until its response (redirects included) and then its body, as the page reads it,
  // have arrived; an XHR until loadend. The page's own continuation (rendering what came) runs before
  // a later task can read the count.
  const hold = (p) => {
    g.__shopsimPending += 1;
    let done = false;
    const release = () => { if (!done) { done = true; g.__shopsimPending -= 1; } };
    p.then(release, release);
    return p;
  };
  try {
    if (typeof g.fetch === "function") {
      g.fetch = new Proxy(g.fetch, { apply(t, self, args) { count(); return hold(Reflect.apply(t, self, args)); } });
    }
    const body = g.Response && g.Response.prototype;
    for (const read of ["text", "json", "arrayBuffer", "blob", "formData"]) {
      if (body && typeof body[read] === "function") {
        body[read] = new Proxy(body[read], { apply(t, self, args) { return hold(Reflect.apply(t, self, args)); } });
      }
    }
    const xhr = g.XMLHttpRequest && g.XMLHttpRequest.prototype;
    if (xhr && typeof xhr.send === "function") {
      xhr.send = new Proxy(xhr.send, {
        apply(t, self, args) {
          count();
          g.__shopsimPending += 1;
          self.addEventListener("loadend", () => { g.__shopsimPending -= 1; }, { once: true });
          try {
            return Reflect.apply(t, self, args);
          } catch (error) {
            g.__shopsimPending -= 1;
            throw error;
          }
        },
      });
    }
    if (typeof g.EventSource === "function") {
      g.EventSource = new Proxy(g.EventSource, { construct(t, args, nt) { count(); return Reflect.construct(t, args, nt); } });
    }
  } catch {}
  const nav = g.navigation;
  if (!nav || typeof nav.addEventListener !== "function") return;
  g.__shopsimNavigations = 0;
  nav.addEventListener("navigate", (event) => {
    if (event.destination && event.destination.sameDocument) return;
    if (event.downloadRequest) return;
    g.__shopsimNavigations += 1;
    // A listener of the page's own may cancel it; that is known once the event has been dispatched.
    queueMicrotask(() => {
      if (event.defaultPrevented) g.__shopsimNavigations -= 1;
    });
  });
})()`;

/**
 * Runs in the page after an action: gives the page `graceMs` (0: the tasks the action queued) to react,
 * then returns the navigations and requests it started since the action (null where it cannot tell:
 * no Navigation API, or a document without the probe) and resets both counts.
 */
function takeActivity(graceMs: number): string {
  return `new Promise((resolve) => setTimeout(resolve, ${graceMs})).then(() => {
  const g = globalThis;
  const navigations = g.__shopsimNavigations;
  const requests = g.__shopsimRequests;
  if (typeof navigations !== "number" || typeof requests !== "number") return null;
  g.__shopsimNavigations = 0;
  g.__shopsimRequests = 0;
  return { navigations, requests };
})`;
}

interface PageActivity {
  navigations: number;
  requests: number;
}

/**
 * How a session decides a page has settled after goto() or an action. Network quiet means no request
 * in flight that can change the document (documents, scripts, XHR/fetch, event streams; not images,
 * styles, fonts or beacons) for that long; each wait is capped so a chatty page cannot stall a step.
 */
export interface SettleTimings {
  /**
   * After an action, how long the page gets to start a navigation or a request before it is taken to
   * have settled; 0 waits for the tasks the action queued (handlers, zero-delay timers). Raise it for
   * pages that fetch from a debounced handler (e.g. 300 for a search box that suggests as you type).
   */
  actionGraceMs: number;
  /**
   * How long after an action a navigation may still start, on pages where the browser cannot say at
   * once whether the action started one (no Navigation API). Elsewhere a navigation the action
   * started is known at once, and one started later by a timer is caught while waiting for quiet.
   */
  navigationStartWindowMs: number;
  /**
   * Without a navigation, when the action started requests (or the page cannot say whether it did):
   * network quiet this long (waits for XHR-driven updates)...
   */
  quietMs: number;
  /** ...waiting at most this long. */
  quietCapMs: number;
  /** After a navigation's DOMContentLoaded: network quiet this long (subresources, data fetches)... */
  navigationQuietMs: number;
  /** ...waiting at most this long. */
  navigationQuietCapMs: number;
}

export const DEFAULT_SETTLE: Readonly<SettleTimings> = {
  actionGraceMs: 0,
  navigationStartWindowMs: 40,
  quietMs: 30,
  quietCapMs: 1_000,
  navigationQuietMs: 0,
  navigationQuietCapMs: 3_000,
};

/** Resource types whose requests can change the document: settling waits for these only. */
const SETTLE_TYPES = new Set(["document", "script", "xhr", "fetch", "eventsource"]);
const POLL_MS = 5;

/** Which element kinds each element action can be used on. */
const KINDS_FOR: Record<"click" | "type" | "type_and_submit" | "select", readonly ElementKind[]> = {
  click: ["link", "button", "checkbox", "radio", "option", "text_input", "textarea"],
  type: ["text_input", "textarea"],
  type_and_submit: ["text_input", "textarea"],
  select: ["select"],
};

/** What the current action caused, collected from page events. */
interface Watch {
  navigationStarted: boolean;
  committed: boolean;
  failed: { url: string; errorText: string } | null;
  /** Requests that can change the document seen by the browser since the action. */
  requests: number;
}

export interface SessionInit {
  context: BrowserContext;
  origin: string;
  guard: OriginGuard;
  logger: Logger;
  defaultTimeoutMs: number;
  settle: SettleTimings;
  /** Called once, after the context is closed, so the pool can count the session out. */
  onClosed: () => void;
}

/**
 * One shopper's browser: an isolated context (own cookies, cache, storage) with one page, limited to
 * the shop's origin and the allowed origins. Created by `BrowserPool.session()`; close it when the
 * shopping session ends (the pool also closes it on shutdown).
 *
 * The policy only names elements; `act` resolves the name through the observation's element map and
 * reports every problem (unknown name, element gone, hidden, disabled, wrong kind, timeout) as
 * `{ok: false, error}` for the policy to read. It throws only when the caller's signal aborts
 * (BrowserAbortError) or the browser itself is gone (BrowserError, retryable).
 */
export class BrowserSession {
  readonly origin: string;
  /** Requests refused because their origin is not allowed, oldest first. */
  readonly blockedRequests: BlockedRequest[] = [];

  readonly #context: BrowserContext;
  readonly #guard: OriginGuard;
  readonly #log: Logger;
  readonly #defaultTimeoutMs: number;
  readonly #timings: SettleTimings;
  readonly #onClosed: () => void;
  #page: Page | null = null;
  #pageCrashed = false;
  #inflight = new Set<Request>();
  #lastNetworkActivity = Date.now();
  #watch: Watch = { navigationStarted: false, committed: false, failed: null, requests: 0 };
  #closing: Promise<void> | null = null;

  private constructor(init: SessionInit) {
    this.#context = init.context;
    this.origin = init.origin;
    this.#guard = init.guard;
    this.#log = init.logger;
    this.#defaultTimeoutMs = init.defaultTimeoutMs;
    this.#timings = init.settle;
    this.#onClosed = init.onClosed;
  }

  /** Sets up origin blocking and the first page. Closes the context itself if that fails. */
  static async open(init: SessionInit): Promise<BrowserSession> {
    const session = new BrowserSession(init);
    try {
      await init.context.addInitScript({ content: NAVIGATION_PROBE });
      await init.context.route(init.guard.blockedPattern(), (route) =>
        init.guard.allows(route.request().url()) ? route.fallback() : session.#block(route),
      );
      await init.context.routeWebSocket(
        (url) => !init.guard.allows(url),
        (ws) => session.#blockWebSocket(ws),
      );
      await session.#livePage();
    } catch (err) {
      await session.close().catch(() => {});
      throw err;
    }
    return session;
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Loads `url` (absolute, or relative to the shop origin) and waits until it has settled. Throws an
   * InputError for a URL outside the allowed origins, a BrowserError (retryable) when the page cannot
   * be loaded, a BrowserAbortError when `signal` aborts.
   */
  async goto(url: string, opts: ActOptions = {}): Promise<void> {
    const { signal } = opts;
    const what = `goto(${url})`;
    throwIfAborted(signal, what);
    const target = new URL(url, `${this.origin}/`).href;
    if (!this.#guard.allows(target)) {
      throw new InputError(
        "goto",
        `${target} is outside this session's allowed origins (${this.#guard.describe()}); add its origin to allowedOrigins to visit it`,
      );
    }
    const timeoutMs = opts.timeoutMs ?? this.#defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const page = await this.#livePage();
    try {
      await raceAbort(page.goto(target, { waitUntil: "domcontentloaded", timeout: timeoutMs }), signal, what);
      await this.#quiet(
        this.#timings.navigationQuietMs,
        Math.min(this.#timings.navigationQuietCapMs, remaining(deadline)),
        signal,
      );
    } catch (err) {
      if (isAbortError(err)) {
        await this.#dropPage();
        throw err;
      }
      this.#throwIfBrowserGone(what, err);
      throw new BrowserError(
        `could not load ${target}: ${firstLine(err)}; check that the shop at ${this.origin} is up, then retry the job`,
        err,
      );
    }
  }

  /** The page as it is now: URL, title, rendered HTML and, if asked, a viewport screenshot and an aria snapshot. */
  async observe(opts: ObserveOptions = {}): Promise<PageSnapshot> {
    const { signal } = opts;
    const what = "observe()";
    throwIfAborted(signal, what);
    const page = await this.#livePage();
    try {
      const { html, title } = await raceAbort(this.#content(page), signal, what);
      const snapshot: PageSnapshot = { url: page.url(), title, html };
      if (opts.screenshot) {
        snapshot.screenshot = await raceAbort(
          page.screenshot({ type: "png", timeout: this.#defaultTimeoutMs }),
          signal,
          what,
        );
      }
      if (opts.aria) {
        snapshot.aria = await raceAbort(
          page.ariaSnapshot({ mode: opts.aria, timeout: this.#defaultTimeoutMs }),
          signal,
          what,
        );
      }
      return snapshot;
    } catch (err) {
      if (isAbortError(err)) {
        await this.#dropPage();
        throw err;
      }
      this.#throwIfBrowserGone(what, err);
      throw new BrowserError(`could not read the page at ${page.url()}: ${firstLine(err)}`, err);
    }
  }

  /**
   * Performs `action` on the element the policy named, resolved through `elements` (the element map
   * of the observation the policy read), then waits for the page to settle.
   */
  async act(
    action: Action,
    elements: Readonly<Record<string, ElementLocator>>,
    opts: ActOptions = {},
  ): Promise<ActResult> {
    const { signal } = opts;
    const what = `act(${describeAction(action)})`;
    throwIfAborted(signal, what);
    if (action.type === "terminate") return { ok: true, navigated: false };
    const timeoutMs = opts.timeoutMs ?? this.#defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const page = await this.#livePage();
    try {
      return await raceAbort(
        this.#perform(page, action, elements, deadline, timeoutMs, signal),
        signal,
        what,
      );
    } catch (err) {
      if (isAbortError(err)) {
        // Closing the page stops whatever Playwright was still waiting for; the next call gets a
        // fresh page in the same context (same cookies).
        await this.#dropPage();
        throw err;
      }
      this.#throwIfBrowserGone(what, err);
      const watch = this.#watch;
      if (isTimeout(err) && watch.navigationStarted && !watch.committed) {
        // Playwright's click waits for the navigation it started to commit.
        return {
          ok: false,
          error: `${describeAction(action)}: the next page did not arrive within ${timeoutMs} ms; the shop may be slow, observe the page and try again`,
        };
      }
      return { ok: false, error: explainFailure(action, err, timeoutMs) };
    }
  }

  /** Closes the context (and its page). Safe to call twice; the second call waits for the first. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const errors: unknown[] = [];
    try {
      const closing = this.#context.close();
      if (!(await settlesWithin(closing, 15_000))) {
        closing.catch(() => {});
        this.#log.warn({ origin: this.origin }, "a browser context did not close within 15 s; moving on");
      } else {
        await closing;
      }
    } catch (err) {
      errors.push(err);
    }
    try {
      this.#onClosed();
    } catch (err) {
      errors.push(err);
    }
    if (errors.length > 0) {
      throw new BrowserError(
        `closing the browser session for ${this.origin} failed: ${firstLine(errors[0])}`,
      );
    }
  }

  async #perform(
    page: Page,
    action: Exclude<Action, { type: "terminate" }>,
    elements: Readonly<Record<string, ElementLocator>>,
    deadline: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ActResult> {
    if (action.type === "back") {
      this.#resetWatch();
      const before = page.url();
      const response = await page.goBack({ waitUntil: "commit", timeout: remaining(deadline) });
      if (response === null && page.url() === before && !this.#watch.committed) {
        return { ok: false, error: "there is no earlier page in this session to go back to" };
      }
      return this.#settle(page, before, deadline, timeoutMs, `go back from ${before}`, signal);
    }

    const { name } = action;
    const element = Object.hasOwn(elements, name) ? elements[name] : undefined;
    if (!element) {
      const names = Object.keys(elements);
      const hint =
        names.length === 0
          ? "this page has no named elements"
          : `names that are close: ${closestNames(name, names).join(", ")}`;
      return { ok: false, error: `no element named "${name}" on this page; ${hint}` };
    }
    const label = element.label ? ` ("${element.label}")` : "";
    const kinds = KINDS_FOR[action.type];
    if (!kinds.includes(element.kind)) return { ok: false, error: wrongKind(action, element, label) };

    const locator = page.locator(element.css);
    // One round trip for what four Playwright calls (count, isVisible, isEnabled, the options) would ask.
    const state = await page.evaluate(elementState as unknown as (css: string) => ElementState, element.css);
    if (state.count === -1) {
      return {
        ok: false,
        error: `element "${name}"${label} has a locator the page cannot use (${element.css}); observe the page again and pick one of its current names`,
      };
    }
    if (state.count === 0) {
      return {
        ok: false,
        error: `element "${name}"${label} is no longer on the page; observe the page again and pick one of its current names`,
      };
    }
    if (state.count > 1) {
      return {
        ok: false,
        error: `element "${name}"${label} now matches ${state.count} elements, so the page changed since it was observed; observe it again`,
      };
    }
    if (!state.visible) {
      return {
        ok: false,
        error: `element "${name}"${label} is not visible, so a shopper could not use it; pick a visible element`,
      };
    }
    if (element.disabled || !state.enabled) {
      return {
        ok: false,
        error: `element "${name}"${label} is disabled; it cannot be used until something else on the page changes`,
      };
    }
    if (state.coveredBy !== null) {
      return {
        ok: false,
        error: `element "${name}"${label} is covered by ${state.coveredBy}, so a shopper could not reach it; close or answer the pop-up first`,
      };
    }

    const before = page.url();
    let value: string | undefined;
    if (action.type === "select") {
      const picked = pickOption(state.options, action.value);
      if (!picked.ok) return { ok: false, error: `"${name}"${label} ${picked.error}` };
      value = picked.value;
    }
    this.#resetWatch();
    switch (action.type) {
      case "click":
        await locator.click({ timeout: remaining(deadline) });
        break;
      case "type":
        await locator.fill(action.text, { timeout: remaining(deadline) });
        break;
      case "type_and_submit":
        await locator.fill(action.text, { timeout: remaining(deadline) });
        await locator.press("Enter", { timeout: remaining(deadline) });
        break;
      case "select":
        await locator.selectOption({ value: value ?? action.value }, { timeout: remaining(deadline) });
        break;
    }
    return this.#settle(page, before, deadline, timeoutMs, `${describeAction(action)}`, signal);
  }

  /**
   * Waits for what the action caused to finish: a navigation (commit, DOMContentLoaded, then a short
   * quiet network capped at 3 s); without one, the requests the action started (a quiet period), or
   * nothing when the page says the action started no request.
   */
  async #settle(
    page: Page,
    before: string,
    deadline: number,
    timeoutMs: number,
    did: string,
    signal: AbortSignal | undefined,
  ): Promise<ActResult> {
    const watch = this.#watch;
    let quiet = false;
    if (!watch.navigationStarted && !watch.committed) {
      const activity = await this.#activity(page);
      if (activity === null) {
        const windowEnd = Math.min(deadline, Date.now() + this.#timings.navigationStartWindowMs);
        while (!watch.navigationStarted && !watch.committed && Date.now() < windowEnd) {
          await sleep(POLL_MS, signal, "waiting for the page");
        }
      } else if (activity.navigations === 0) {
        // No new page. When neither the page's scripts nor the browser started a request either, the
        // page has done what the action asked of it; otherwise wait for the network to go quiet.
        quiet = activity.requests === 0 && watch.requests === 0 && this.#inflight.size === 0;
        if (!quiet) this.#lastNetworkActivity = Date.now();
      } else {
        // The page has begun leaving; the request may not have reached the browser yet, which can
        // take long on a loaded machine. Wait for it (bounded: the navigation may still be dropped,
        // e.g. by a 204 answer or a newer navigation).
        const startEnd = Math.min(deadline, Date.now() + this.#timings.navigationQuietCapMs);
        while (!watch.navigationStarted && !watch.committed && !watch.failed && Date.now() < startEnd) {
          await sleep(POLL_MS, signal, "waiting for the next page");
        }
      }
    }
    if (!quiet && !watch.navigationStarted && !watch.committed) {
      // What the page fetched is rendered once the page has read it: wait for that in the page
      // itself, then for the network (a redirect leaves a gap a network-only wait can fall into).
      await this.#pageRequests(
        page,
        Math.min(this.#timings.navigationQuietCapMs, remaining(deadline)),
        signal,
      );
    }
    if (!quiet && !watch.navigationStarted && !watch.committed) {
      await this.#quiet(
        this.#timings.quietMs,
        Math.min(this.#timings.quietCapMs, remaining(deadline)),
        signal,
      );
    }
    // A navigation may also start during the quiet period (e.g. a delayed script redirect).
    while (watch.navigationStarted && !watch.committed && !watch.failed) {
      if (Date.now() >= deadline) {
        return {
          ok: false,
          error: `${did}: the next page did not arrive within ${timeoutMs} ms; the shop may be slow, observe the page and try again`,
        };
      }
      await sleep(POLL_MS, signal, "waiting for the next page");
    }
    if (watch.failed && !watch.committed) {
      const { url, errorText } = watch.failed;
      if (!this.#guard.allows(url)) {
        return {
          ok: false,
          error: `${did}: it leads to ${url}, outside the shop (${this.#guard.describe()}); the browser blocked it and stayed on ${page.url()}`,
        };
      }
      return {
        ok: false,
        error: `${did}: the next page (${url}) failed to load (${errorText}); the browser stayed on ${page.url()}`,
      };
    }
    if (watch.committed) {
      try {
        await raceAbort(
          page.waitForLoadState("domcontentloaded", { timeout: remaining(deadline) }),
          signal,
          "waiting for the next page",
        );
      } catch (err) {
        if (isAbortError(err)) throw err;
        return {
          ok: false,
          error: `${did}: the next page (${page.url()}) did not finish loading within ${timeoutMs} ms; observe the page and try again`,
        };
      }
      // A navigation within the document (pushState, or back and forward in a single-page app)
      // loads no document and sends no navigation request: what the page shows next comes from
      // requests its scripts start (a popstate handler fetching the page), as after a click.
      let quietMs = this.#timings.navigationQuietMs;
      if (!watch.navigationStarted) {
        const activity = await this.#activity(page);
        if (activity !== null && activity.requests > 0) {
          this.#lastNetworkActivity = Date.now();
          quietMs = Math.max(quietMs, this.#timings.quietMs);
          await this.#pageRequests(
            page,
            Math.min(this.#timings.navigationQuietCapMs, remaining(deadline)),
            signal,
          );
        }
      }
      await this.#quiet(quietMs, Math.min(this.#timings.navigationQuietCapMs, remaining(deadline)), signal);
      return { ok: true, navigated: true };
    }
    return { ok: true, navigated: page.url() !== before };
  }

  /**
   * Navigations and requests the page started since the action, after giving it the grace period;
   * `null` when the page cannot tell (no Navigation API, or a document without the probe), or one
   * navigation when the document is already being replaced (the check itself fails as it goes away).
   */
  async #activity(page: Page): Promise<PageActivity | null> {
    try {
      return await page.evaluate<PageActivity | null>(takeActivity(this.#timings.actionGraceMs));
    } catch (err) {
      if (page.isClosed()) throw err;
      return { navigations: 1, requests: 0 };
    }
  }

  /**
   * Resolves once the requests the page's scripts started (fetch and XHR, as the probe counts them)
   * have come back and their bodies have been read, or after `capMs` regardless.
   */
  async #pageRequests(page: Page, capMs: number, signal: AbortSignal | undefined): Promise<void> {
    const end = Date.now() + capMs;
    while (Date.now() < end) {
      let pending: number;
      try {
        pending = await page.evaluate<number>("globalThis.__shopsimPending || 0");
      } catch (err) {
        if (page.isClosed()) throw err;
        return; // the document is being replaced: a navigation, which the caller waits for
      }
      if (pending <= 0) return;
      await sleep(POLL_MS, signal, "waiting for the page's requests");
    }
  }

  /** Resolves once no request has been in flight for `quietMs`, or after `capMs` regardless. */
  async #quiet(quietMs: number, capMs: number, signal: AbortSignal | undefined): Promise<void> {
    const end = Date.now() + capMs;
    while (Date.now() < end) {
      if (this.#inflight.size === 0 && Date.now() - this.#lastNetworkActivity >= quietMs) return;
      await sleep(POLL_MS, signal, "waiting for the page to settle");
    }
  }

  /** page.content() fails while a navigation swaps documents; wait for the new one and retry. */
  async #content(page: Page): Promise<{ html: string; title: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        // Typed text, ticks and choices live in DOM properties; copy them into attributes so the
        // serialized HTML (and so the observation) shows the form as the shopper left it.
        return await page.evaluate<{ html: string; title: string }>(REFLECT_FORM_STATE);
      } catch (err) {
        if (attempt >= 2 || page.isClosed()) throw err;
        await page.waitForLoadState("domcontentloaded", { timeout: this.#defaultTimeoutMs }).catch(() => {});
      }
    }
  }

  #resetWatch(): void {
    this.#watch = { navigationStarted: false, committed: false, failed: null, requests: 0 };
  }

  /** The session's page, opened (again) if an abort closed it. */
  async #livePage(): Promise<Page> {
    if (this.#closing) {
      throw new BrowserError(
        `the browser session for ${this.origin} is closed; open a new one from the pool`,
      );
    }
    if (this.#pageCrashed) {
      throw new BrowserError(`the page crashed in the browser session for ${this.origin}; retry the job`);
    }
    if (this.#page && !this.#page.isClosed()) return this.#page;
    try {
      const page = await this.#context.newPage();
      this.#attach(page);
      this.#page = page;
      return page;
    } catch (err) {
      throw new BrowserError(
        `could not open a page in the browser session for ${this.origin}: ${firstLine(err)}; the browser may have crashed, retry the job`,
        err,
      );
    }
  }

  #attach(page: Page): void {
    this.#inflight = new Set();
    // Only requests that can change the DOM count against settling: images, fonts, styles and beacons
    // do not change what the page says, and waiting for them would tax every step.
    page.on("request", (request) => {
      if (isMainFrameNavigation(page, request)) this.#watch.navigationStarted = true;
      if (!SETTLE_TYPES.has(request.resourceType())) return;
      this.#watch.requests += 1;
      this.#inflight.add(request);
      this.#lastNetworkActivity = Date.now();
    });
    const done = (request: Request) => {
      if (!this.#inflight.delete(request)) return;
      this.#lastNetworkActivity = Date.now();
    };
    page.on("requestfinished", done);
    page.on("requestfailed", (request) => {
      done(request);
      if (isMainFrameNavigation(page, request)) {
        this.#watch.failed = { url: request.url(), errorText: request.failure()?.errorText ?? "failed" };
      }
    });
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) this.#watch.committed = true;
    });
    page.on("crash", () => {
      this.#pageCrashed = true;
      this.#log.warn({ url: page.url() }, "page crashed; the session cannot continue");
    });
    // The policy acts on one page. A popup (target=_blank, window.open) is closed; off-origin ones
    // were blocked anyway by the context's routes.
    page.on("popup", (popup) => {
      this.#log.debug({ url: popup.url() }, "closed a popup window");
      popup.close().catch(() => {});
    });
  }

  /** Closes the current page after an abort so pending waits end now. */
  async #dropPage(): Promise<void> {
    const page = this.#page;
    this.#page = null;
    this.#inflight = new Set();
    if (page) await closeBounded(page, this.#log);
  }

  #block(route: Route): void {
    const request = route.request();
    this.#record(request.url(), request.resourceType(), request.isNavigationRequest());
    // A navigation aborted as "blockedbyclient" would commit Chromium's error page; "aborted" leaves
    // the current page in place, as if the shopper had pressed stop.
    route.abort(request.isNavigationRequest() ? "aborted" : "blockedbyclient").catch(() => {});
  }

  #blockWebSocket(ws: WebSocketRoute): void {
    this.#record(ws.url(), "websocket", false);
    ws.close({ code: 1008, reason: "origin not allowed" }).catch(() => {});
  }

  #record(url: string, resourceType: string, navigation: boolean): void {
    this.blockedRequests.push({ url, resourceType, navigation, time: new Date().toISOString() });
    this.#log.debug({ url, resourceType, navigation }, "blocked a request to an origin that is not allowed");
  }

  #throwIfBrowserGone(what: string, err: unknown): void {
    const page = this.#page;
    if (this.#pageCrashed || !page || page.isClosed() || !this.#context.browser()?.isConnected()) {
      throw new BrowserError(
        `${what}: the browser page is gone (${firstLine(err)}); the browser may have crashed, retry the job`,
        err,
      );
    }
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Closes a page without ever hanging. Chromium can acknowledge a close that races a navigation
 * commit and then never close the page (crbug.com/536385539; Playwright's page.close() waits
 * forever then), which is exactly what closing a page mid-action on abort can hit. Asking again
 * closes it; after three tries the page is left for its context's close to take down.
 */
async function closeBounded(page: Page, log: Logger): Promise<void> {
  const first = page.close();
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await settlesWithin(first, 1_000)) return;
    page.close().catch(() => {});
  }
  first.catch(() => {});
  log.warn({ url: page.url() }, "a page did not close after 3 attempts; its browser context will close it");
}

function isMainFrameNavigation(page: Page, request: Request): boolean {
  try {
    return request.isNavigationRequest() && request.frame() === page.mainFrame();
  } catch {
    // Service-worker requests have no frame.
    return false;
  }
}

function remaining(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

function describeAction(action: Action): string {
  switch (action.type) {
    case "click":
      return `click "${action.name}"`;
    case "type":
      return `type ${JSON.stringify(action.text)} into "${action.name}"`;
    case "type_and_submit":
      return `type ${JSON.stringify(action.text)} into "${action.name}" and submit`;
    case "select":
      return `select ${JSON.stringify(action.value)} in "${action.name}"`;
    case "back":
      return "back";
    case "terminate":
      return "terminate";
  }
}

const KIND_WORDS: Record<ElementKind, string> = {
  link: "a link",
  button: "a button",
  text_input: "a text box",
  textarea: "a text area",
  select: "a drop-down list",
  checkbox: "a checkbox",
  radio: "a radio button",
  option: "an option",
};

function wrongKind(action: Action & { name: string }, element: ElementLocator, label: string): string {
  const is = `"${action.name}"${label} is ${KIND_WORDS[element.kind]}`;
  switch (action.type) {
    case "type":
    case "type_and_submit":
      return `cannot type into ${is}, not a text box; use {"type":"click"} on it, or type into a text box`;
    case "select":
      return `cannot select an option in ${is}, not a drop-down list; use {"type":"click"} on it`;
    default:
      return `cannot click ${is}; use {"type":"select","name":"${action.name}","value":…} to choose one of its options`;
  }
}

/** Finds the option matching `wanted` by value, then by label (exact, then ignoring case and spaces). */
function pickOption(
  options: ElementState["options"],
  wanted: string,
): { ok: true; value: string } | { ok: false; error: string } {
  if (!options) return { ok: false, error: "is not a drop-down list on the page; use click instead" };
  const norm = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();
  const match =
    options.find((o) => o.value === wanted) ??
    options.find((o) => o.label === wanted) ??
    options.find((o) => norm(o.label) === norm(wanted) || norm(o.value) === norm(wanted));
  if (match) return { ok: true, value: match.value };
  const shown = options.slice(0, 20).map((o) => (o.label === o.value ? o.label : `${o.label} (${o.value})`));
  const more = options.length > 20 ? `, and ${options.length - 20} more` : "";
  return {
    ok: false,
    error: `has no option ${JSON.stringify(wanted)}; its options are: ${shown.join(", ")}${more}`,
  };
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === "TimeoutError";
}

function explainFailure(action: Action, err: unknown, timeoutMs: number): string {
  if (isTimeout(err)) {
    return `${describeAction(action)}: did not complete within ${timeoutMs} ms (${firstLine(err)}); something may cover the element, observe the page and try again`;
  }
  return `${describeAction(action)} failed: ${firstLine(err)}; observe the page and try again`;
}
