import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import Fastify, { type FastifyInstance } from "fastify";
import { SESSION_COOKIE, SESSION_HEADER, VARIANT_COOKIE, VARIANT_HEADER } from "../src/contracts/shop.ts";
import { type Logger, silentLogger } from "../src/log.ts";
import type { Catalog, Product } from "./catalog/types.ts";
import { createContext, SESSION_ID, sendPage } from "./context.ts";
import { EventLog } from "./events.ts";
import { apiRoutes } from "./routes/api.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { checkoutRoutes } from "./routes/checkout.ts";
import { siteRoutes } from "./routes/site.ts";
import { SearchIndex } from "./search.ts";
import { ShopState } from "./state.ts";
import { type Variant, VariantSet } from "./variants.ts";
import { messagePage } from "./views/pages.ts";

export interface ShopOptions {
  catalog: Catalog;
  variants?: VariantSet;
  /** Append-only JSONL event log; null or omitted keeps events in memory only. */
  eventsPath?: string | null;
  /** Seed for anything the shop decides at random (featured products). */
  seed?: number;
  /** Where unexpected errors are reported; silent by default. */
  logger?: Logger;
}

export interface Shop {
  app: FastifyInstance;
  catalog: Catalog;
  search: SearchIndex;
  state: ShopState;
  events: EventLog;
  variants: VariantSet;
  /** Base URL once listening, e.g. http://127.0.0.1:43210 */
  url: string;
  listen(port?: number, host?: string): Promise<string>;
  /** Stops the server and flushes the event log. Safe to call twice. */
  close(): Promise<void>;
}

/** Builds the shop (not yet listening). Heavy work (search index) happens here, once. */
export async function createShop(opts: ShopOptions): Promise<Shop> {
  const { catalog } = opts;
  const log = (opts.logger ?? silentLogger).child({ component: "shop" });
  const variants = opts.variants ?? VariantSet.single();
  const search = new SearchIndex(catalog);
  const state = new ShopState();
  const events = new EventLog(opts.eventsPath ?? null);
  const byId = new Map(catalog.products.map((p) => [p.id, p]));
  const featured = pickFeatured(search, catalog);
  const deals = search.search({
    q: "",
    filters: { max_price: 30, min_rating: 4 },
    sort: "relevance",
    page: 1,
    perPage: 8,
  }).items;
  const related = relatedFinder(catalog);

  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: 200 },
    bodyLimit: 64 * 1024,
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  app.decorateRequest("shop", null);

  // --- session, variant, event plumbing -------------------------------------------------------
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?", 1)[0] ?? "/";
    if (
      path.startsWith("/static/") ||
      path.startsWith("/img/") ||
      path.startsWith("/api/") ||
      path === "/healthz" ||
      path === "/favicon.ico"
    ) {
      return;
    }
    const headerSid = req.headers[SESSION_HEADER];
    const cookieSid = req.cookies[SESSION_COOKIE];
    let sid = typeof headerSid === "string" && SESSION_ID.test(headerSid) ? headerSid : undefined;
    if (!sid && cookieSid && SESSION_ID.test(cookieSid)) sid = cookieSid;
    if (!sid) {
      sid = randomUUID();
      reply.setCookie(SESSION_COOKIE, sid, { path: "/", httpOnly: true, sameSite: "lax" });
    }
    const query = req.query as Record<string, unknown>;
    const explicit =
      (typeof query.variant === "string" ? query.variant : undefined) ??
      (typeof req.headers[VARIANT_HEADER] === "string"
        ? (req.headers[VARIANT_HEADER] as string)
        : undefined) ??
      req.cookies[VARIANT_COOKIE];
    const known = state.peek(sid);
    let variant: Variant | undefined;
    if (explicit !== undefined) {
      variant = variants.get(explicit);
      if (!variant) {
        const fallback = variants.get(known?.variant ?? "") ?? variants.assign(sid);
        const session = state.sessionForRead(sid, fallback.name);
        req.shop = {
          session,
          variant: fallback,
          event: { page: "bad_request", product_ids: [], errors: [`unknown variant "${explicit}"`] },
        };
        const ctx = pageContext(req, "");
        return sendPage(
          reply,
          400,
          messagePage(
            ctx,
            "Unknown variant",
            `There is no variant called “${explicit}”. Variants: ${variants.names().join(", ")}.`,
          ),
        );
      }
      if (typeof query.variant === "string")
        reply.setCookie(VARIANT_COOKIE, variant.name, { path: "/", sameSite: "lax" });
    } else {
      variant = variants.get(known?.variant ?? "") ?? variants.assign(sid);
    }
    // Only requests that change something (POSTs) make the shop remember a new visitor.
    const session =
      req.method === "POST" ? state.session(sid, variant.name) : state.sessionForRead(sid, variant.name);
    session.variant = variant.name;
    req.shop = { session, variant, event: null };
  });

  app.addHook("onResponse", async (req, reply) => {
    const shop = req.shop;
    if (!shop?.event) return;
    events.append({
      ...shop.event,
      session_id: shop.session.id,
      variant: shop.variant.name,
      method: req.method,
      path: req.url,
      status: reply.statusCode,
    });
  });
  const ctx = createContext({
    catalog,
    search,
    state,
    events,
    variants,
    byId,
    related,
    featured,
    deals,
    seed: opts.seed ?? 42,
    log,
  });
  const { pageContext, record, notFound } = ctx;
  catalogRoutes(app, ctx);
  checkoutRoutes(app, ctx);
  siteRoutes(app, ctx);
  apiRoutes(app, ctx);

  app.setNotFoundHandler(async (req, reply) => {
    if (!req.shop) return reply.code(404).send({ error: `no route ${req.method} ${req.url}` });
    return notFound(req, reply, `There is no page at ${req.url.split("?")[0]}.`);
  });

  app.setErrorHandler(async (error: { statusCode?: number; message: string }, req, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) log.error({ err: error, method: req.method, url: req.url }, "request failed");
    // An unexpected error's message is for the operator (logged above), not the visitor.
    const message = status === 500 ? "The shop hit an unexpected error. Please try again." : error.message;
    if (!req.shop) return reply.code(status).send({ error: message });
    record(req, { page: "bad_request", product_ids: [], errors: [message] });
    return sendPage(
      reply,
      status,
      messagePage(pageContext(req, ""), status === 500 ? "Something went wrong" : "Bad request", message),
    );
  });

  let url = "";
  let closed = false;
  const shop: Shop = {
    app,
    catalog,
    search,
    state,
    events,
    variants,
    get url() {
      return url;
    },
    async listen(port = 0, host = "127.0.0.1") {
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
      url = `http://${shown}:${address.port}`;
      return url;
    },
    async close() {
      if (closed) return;
      closed = true;
      const results = await Promise.allSettled([app.close()]);
      await events.close();
      const failed = results.find((r) => r.status === "rejected");
      if (failed && failed.status === "rejected") throw failed.reason;
    },
  };
  return shop;
}

function pickFeatured(search: SearchIndex, catalog: Catalog): Product[] {
  const out: Product[] = [];
  for (const c of catalog.categories) {
    const r = search.search({
      q: "",
      filters: { category: c.slug, min_rating: 4 },
      sort: "relevance",
      page: 1,
      perPage: 1,
    });
    if (r.items[0]) out.push(r.items[0]);
    if (out.length >= 8) break;
  }
  return out;
}

/** "Customers also viewed": same product type first, then same category, by popularity, cached. */
function relatedFinder(catalog: Catalog): (p: Product) => Product[] {
  const byType = new Map<string, Product[]>();
  const byCategory = new Map<string, Product[]>();
  const popularity = (p: Product) => Math.log1p(p.review_count) * (p.rating ?? 0);
  for (const p of catalog.products) {
    const t = byType.get(p.product_type) ?? [];
    t.push(p);
    byType.set(p.product_type, t);
    const c = byCategory.get(p.category) ?? [];
    c.push(p);
    byCategory.set(p.category, c);
  }
  const top = (list: Product[]) =>
    list
      .slice()
      .sort((a, b) => popularity(b) - popularity(a))
      .slice(0, 12);
  const topType = new Map([...byType].map(([k, v]) => [k, top(v)]));
  const topCategory = new Map([...byCategory].map(([k, v]) => [k, top(v)]));
  return (p) => {
    const out: Product[] = [];
    for (const q of [...(topType.get(p.product_type) ?? []), ...(topCategory.get(p.category) ?? [])]) {
      if (q.id !== p.id && !out.includes(q)) out.push(q);
      if (out.length >= 6) break;
    }
    return out;
  };
}
