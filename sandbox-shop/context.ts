import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../src/log.ts";
import { type Catalog, type Product, round2, unitPrice } from "./catalog/types.ts";
import type { EventLog, NewEvent } from "./events.ts";
import type { SafeHtml } from "./html.ts";
import type { SearchIndex } from "./search.ts";
import type { ShopSession, ShopState } from "./state.ts";
import type { Variant, VariantSet } from "./variants.ts";
import type { PricedLine } from "./views/checkout.ts";
import type { PageContext } from "./views/layout.ts";
import { messagePage } from "./views/pages.ts";

/** What the shop knows about the request being served: who, which variant, and what to log. */
export interface RequestShop {
  session: ShopSession;
  variant: Variant;
  event: Omit<NewEvent, "session_id" | "variant" | "method" | "path" | "status"> | null;
}

declare module "fastify" {
  interface FastifyRequest {
    shop: RequestShop | null;
  }
}

export const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Everything route handlers share: the shop's parts and the helpers every page uses. */
export interface ShopContext {
  catalog: Catalog;
  search: SearchIndex;
  state: ShopState;
  events: EventLog;
  variants: VariantSet;
  byId: ReadonlyMap<string, Product>;
  related: (p: Product) => Product[];
  featured: readonly Product[];
  deals: readonly Product[];
  seed: number;
  log: Logger;
  pageContext(req: FastifyRequest, query: string): PageContext;
  /** Sets the event this request appends to the log when its response is sent. */
  record(req: FastifyRequest, event: NonNullable<RequestShop["event"]>): void;
  notFound(req: FastifyRequest, reply: FastifyReply, what: string): FastifyReply;
  badRequest(req: FastifyRequest, reply: FastifyReply, problems: string[]): FastifyReply;
  isAvailable(p: Product, option: string, value: string, shop: RequestShop): boolean;
  pricedLines(session: ShopSession): { lines: PricedLine[]; subtotal: number };
}

export type ShopParts = Omit<
  ShopContext,
  "pageContext" | "record" | "notFound" | "badRequest" | "isAvailable" | "pricedLines"
>;

export function createContext(parts: ShopParts): ShopContext {
  const { catalog, byId } = parts;
  function pageContext(req: FastifyRequest, query: string): PageContext {
    const shop = req.shop!;
    const flags = shop.variant.flags;
    return {
      flags,
      variant: shop.variant.name,
      categories: catalog.categories,
      cartCount: shop.session.cart.reduce((n, l) => n + l.quantity, 0),
      query,
      showConsent: flags.cookie_consent && !shop.session.consented,
      showBanner: flags.promo_banner && !shop.session.bannerDismissed,
      // One dialog at a time: the sign-up pop-up waits for the cookie choice.
      showPopup:
        flags.newsletter_popup &&
        !shop.session.popupClosed &&
        !(flags.cookie_consent && !shop.session.consented),
      returnTo: req.url,
    };
  }

  function record(req: FastifyRequest, event: NonNullable<RequestShop["event"]>): void {
    req.shop!.event = event;
  }

  function notFound(req: FastifyRequest, reply: FastifyReply, what: string): FastifyReply {
    record(req, { page: "not_found", product_ids: [], errors: [what] });
    return sendPage(reply, 404, messagePage(pageContext(req, ""), "Page not found", what));
  }

  function badRequest(req: FastifyRequest, reply: FastifyReply, problems: string[]): FastifyReply {
    record(req, { page: "bad_request", product_ids: [], errors: problems });
    return sendPage(
      reply,
      400,
      messagePage(pageContext(req, ""), "Something is wrong with that request", problems.join(" ")),
    );
  }

  function isAvailable(p: Product, option: string, value: string, shop: RequestShop): boolean {
    return optionAvailable(p, option, value, shop.variant.flags.out_of_stock);
  }

  function pricedLines(session: ShopSession): { lines: PricedLine[]; subtotal: number } {
    const lines: PricedLine[] = [];
    let subtotal = 0;
    for (const line of session.cart) {
      const product = byId.get(line.product_id);
      if (!product) continue;
      const price = unitPrice(product, line.options);
      const lineTotal = round2(price * line.quantity);
      subtotal += lineTotal;
      lines.push({ line, product, unitPrice: price, lineTotal });
    }
    return { lines, subtotal: round2(subtotal) };
  }

  return { ...parts, pageContext, record, notFound, badRequest, isAvailable, pricedLines };
}

export function sendPage(reply: FastifyReply, status: number, page: SafeHtml): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").send(page.value);
}

export function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return typeof value[0] === "string" ? value[0] : undefined;
  return typeof value === "string" ? value : undefined;
}

export function stringValues(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const s = first(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

export function safeReturn(path: string | undefined): string {
  return path?.startsWith("/") && !path.startsWith("//") ? path : "/";
}

export /** FNV-1a, for deterministic per-value decisions. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Whether an option value can be bought. The catalog's own availability always holds; with the
 * `out_of_stock` flag about a quarter of the other values are out of stock too, deterministically,
 * but the first available value of every option stays in stock so the product stays buyable.
 */
export function optionAvailable(p: Product, optionName: string, value: string, outOfStock: boolean): boolean {
  const option = p.options.find((o) => o.name === optionName);
  const v = option?.values.find((x) => x.value === value);
  if (!option || !v?.available) return false;
  if (!outOfStock) return true;
  const firstAvailable = option.values.find((x) => x.available);
  if (firstAvailable === v) return true;
  return hash(`${p.id}|${optionName}|${value}`) % 4 !== 0;
}
