import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { z } from "zod";
import { describeZodError } from "../src/contracts/errors.ts";
import { GoalSchema } from "../src/contracts/goal.ts";
import {
  type CartChange,
  type GoalScore,
  type Order,
  SESSION_COOKIE,
  SESSION_HEADER,
  type SearchFilters,
  VARIANT_COOKIE,
  VARIANT_HEADER,
} from "../src/contracts/shop.ts";
import { type Logger, silentLogger } from "../src/log.ts";
import { type Catalog, type Product, round2, unitPrice } from "./catalog/types.ts";
import { type Address, SHIPPING_METHODS, shippingMethod, totals, validateAddress } from "./checkout.ts";
import { EventLog, type NewEvent } from "./events.ts";
import { generateGoals, scorePurchase } from "./goals.ts";
import { escapeHtml, type SafeHtml } from "./html.ts";
import { PER_PAGE, SearchIndex, SORT_KEYS, type SortKey } from "./search.ts";
import { MAX_QUANTITY, type ShopSession, ShopState } from "./state.ts";
import { type Variant, VariantSet } from "./variants.ts";
import {
  addressStep,
  cartPage,
  onePageCheckout,
  orderPage,
  type PricedLine,
  reviewStep,
  shippingStep,
} from "./views/checkout.ts";
import type { PageContext } from "./views/layout.ts";
import {
  capitalize,
  homePage,
  messagePage,
  productPage,
  type SearchState,
  searchPage,
} from "./views/pages.ts";

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

interface RequestShop {
  session: ShopSession;
  variant: Variant;
  event: Omit<NewEvent, "session_id" | "variant" | "method" | "path" | "status"> | null;
}

declare module "fastify" {
  interface FastifyRequest {
    shop: RequestShop | null;
  }
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const STATIC_DIR = new URL("./public/", import.meta.url);

/** Builds the shop (not yet listening). Heavy work (search index) happens here, once. */
export async function createShop(opts: ShopOptions): Promise<Shop> {
  const { catalog } = opts;
  const log = (opts.logger ?? silentLogger).child({ component: "shop" });
  const variants = opts.variants ?? VariantSet.single();
  const search = new SearchIndex(catalog);
  const state = new ShopState();
  const events = new EventLog(opts.eventsPath ?? null);
  const byId = new Map(catalog.products.map((p) => [p.id, p]));
  const css = readFileSync(new URL("shop.css", STATIC_DIR), "utf8");
  const js = readFileSync(new URL("shop.js", STATIC_DIR), "utf8");
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

  const isAvailable = (p: Product, option: string, value: string, session: RequestShop) =>
    optionAvailable(p, option, value, session.variant.flags.out_of_stock);

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

  // --- pages -----------------------------------------------------------------------------------
  app.get("/", async (req, reply) => {
    record(req, { page: "home", product_ids: [...featured, ...deals].map((p) => p.id) });
    return sendPage(reply, 200, homePage(pageContext(req, ""), featured, deals));
  });

  app.get("/search", async (req, reply) => {
    const parsed = SearchQuerySchema.safeParse(cleanQuery(req.query as Record<string, unknown>));
    if (!parsed.success) return badRequest(req, reply, [describeZodError(parsed.error)]);
    const q = parsed.data;
    if (q.category !== undefined && !catalog.categories.some((c) => c.slug === q.category)) {
      return badRequest(req, reply, [
        `category: unknown department “${q.category}”; expected one of ${catalog.categories.map((c) => c.slug).join(", ")}.`,
      ]);
    }
    if (q.min_price !== undefined && q.max_price !== undefined && q.min_price > q.max_price) {
      return badRequest(req, reply, [`min_price (${q.min_price}) is above max_price (${q.max_price}).`]);
    }
    const filters: SearchFilters = {};
    if (q.category !== undefined) filters.category = q.category;
    if (q.min_price !== undefined) filters.min_price = q.min_price;
    if (q.max_price !== undefined) filters.max_price = q.max_price;
    if (q.rating !== undefined) filters.min_rating = q.rating;
    if (q.brand.length > 0) filters.brands = q.brand;
    if (q.feature.length > 0) filters.features = q.feature;
    const st: SearchState = { q: q.q, filters, sort: q.sort, page: q.page };
    const result = search.search({ q: q.q, filters, sort: q.sort, page: q.page, perPage: PER_PAGE });
    record(req, {
      page: "search",
      product_ids: result.items.map((p) => p.id),
      query: q.q,
      filters,
      sort: q.sort,
      page_number: result.page,
      total_results: result.total,
    });
    const categoryName = q.category ? search.categoryName(q.category) : undefined;
    return sendPage(reply, 200, searchPage(pageContext(req, q.q), st, result, categoryName));
  });

  function renderProduct(
    req: FastifyRequest,
    reply: FastifyReply,
    product: Product,
    selection: Record<string, string>,
    errors: string[],
    status: number,
    quantity = 1,
  ): FastifyReply {
    const shop = req.shop!;
    const rel = related(product);
    const view = {
      product,
      categoryName: search.categoryName(product.category),
      selection,
      available: (o: string, v: string) => isAvailable(product, o, v, shop),
      reviews: catalog.reviewsFor(product),
      related: shop.variant.flags.recommendations ? rel : [],
      errors,
      quantity,
    };
    return sendPage(reply, status, productPage(pageContext(req, ""), view));
  }

  /** Keeps the valid, available option values of `raw`; explains every value it drops. */
  function readSelection(product: Product, raw: Record<string, unknown>, prefix: string, shop: RequestShop) {
    const selection: Record<string, string> = {};
    const errors: string[] = [];
    const rejected = new Set<string>();
    for (const option of product.options) {
      const value = first(raw[prefix + option.name]);
      if (value === undefined || value === "") continue;
      rejected.add(option.name);
      if (!option.values.some((v) => v.value === value)) {
        errors.push(
          `“${value}” is not a ${option.name} of this product. Choose one of: ${option.values.map((v) => v.value).join(", ")}.`,
        );
      } else if (!isAvailable(product, option.name, value, shop)) {
        errors.push(
          `${capitalize(option.name)} “${value}” is out of stock. Please choose another ${option.name}.`,
        );
      } else {
        selection[option.name] = value;
        rejected.delete(option.name);
      }
    }
    return { selection, errors, rejected };
  }

  app.get<{ Params: { id: string } }>("/product/:id", async (req, reply) => {
    const product = byId.get(req.params.id);
    if (!product) return notFound(req, reply, `There is no product with id “${req.params.id}”.`);
    const { selection, errors } = readSelection(product, req.query as Record<string, unknown>, "", req.shop!);
    record(req, {
      page: "product",
      product_ids: [product.id],
      selection,
      ...(errors.length > 0 ? { errors } : {}),
    });
    return renderProduct(req, reply, product, selection, errors, 200);
  });

  app.post("/cart/add", async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const productId = first(body.product_id);
    const product = productId ? byId.get(productId) : undefined;
    if (!product) return notFound(req, reply, `There is no product with id “${productId ?? ""}”.`);
    const shop = req.shop!;
    const { selection, errors, rejected } = readSelection(product, body, "option_", shop);
    for (const option of product.options) {
      if (selection[option.name] === undefined && !rejected.has(option.name)) {
        errors.push(`Please select a ${option.name}.`);
      }
    }
    const quantity = Number(first(body.quantity) ?? "1");
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      errors.push(`Quantity must be a whole number from 1 to ${MAX_QUANTITY}.`);
    }
    if (errors.length > 0) {
      record(req, { page: "product", product_ids: [product.id], selection, errors });
      return renderProduct(
        req,
        reply,
        product,
        selection,
        errors,
        422,
        Number.isInteger(quantity) ? quantity : 1,
      );
    }
    const line = state.addToCart(shop.session, product.id, selection, quantity);
    const buyNow = first(body.intent) === "buy_now" && shop.variant.flags.buy_now;
    const change: CartChange = {
      action: "add",
      line_id: line.line_id,
      product_id: product.id,
      options: selection,
      quantity,
    };
    record(req, { page: buyNow ? "checkout" : "cart", product_ids: [product.id], cart: change });
    return reply.redirect(buyNow ? "/checkout" : "/cart", 303);
  });

  function renderCart(
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    errors: string[] = [],
  ): FastifyReply {
    const session = req.shop!.session;
    const { lines, subtotal } = pricedLines(session);
    const recommended = lines.length > 0 ? related(lines[0]!.product).slice(0, 4) : [];
    return sendPage(reply, status, cartPage(pageContext(req, ""), lines, subtotal, recommended, errors));
  }

  app.get("/cart", async (req, reply) => {
    record(req, { page: "cart", product_ids: req.shop!.session.cart.map((l) => l.product_id) });
    return renderCart(req, reply, 200);
  });

  function changeLine(req: FastifyRequest, reply: FastifyReply, remove: boolean): FastifyReply {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const session = req.shop!.session;
    const lineId = first(body.line_id) ?? "";
    const line = session.cart.find((l) => l.line_id === lineId);
    const quantity = remove ? 0 : Number(first(body.quantity));
    const problem = !line
      ? `Your cart has no line “${lineId}”. It may already have been removed.`
      : !Number.isInteger(quantity) || quantity < 0 || quantity > MAX_QUANTITY
        ? `Quantity must be a whole number from 0 to ${MAX_QUANTITY}.`
        : null;
    if (problem || !line) {
      record(req, {
        page: "cart",
        product_ids: session.cart.map((l) => l.product_id),
        errors: [problem ?? ""],
      });
      return renderCart(req, reply, 422, [problem ?? ""]);
    }
    if (quantity === 0) session.cart.splice(session.cart.indexOf(line), 1);
    else line.quantity = quantity;
    const change: CartChange = {
      action: quantity === 0 ? "remove" : "update",
      line_id: line.line_id,
      product_id: line.product_id,
      options: line.options,
      quantity,
    };
    record(req, { page: "cart", product_ids: [line.product_id], cart: change });
    return reply.redirect("/cart", 303);
  }

  app.post("/cart/update", async (req, reply) => changeLine(req, reply, false));
  app.post("/cart/remove", async (req, reply) => changeLine(req, reply, true));

  // --- checkout --------------------------------------------------------------------------------
  function checkoutView(
    session: ShopSession,
    values: Record<string, string>,
    errors: Record<string, string>,
    method: string | null,
  ) {
    const { lines, subtotal } = pricedLines(session);
    const chosen = method ?? session.shippingMethod ?? "standard";
    const t = totals(subtotal, chosen);
    return {
      lines,
      subtotal,
      values,
      errors,
      shippingMethod: chosen,
      shipping: method === null && session.shippingMethod === null ? null : t.shipping,
      tax: t.tax,
      total: method === null && session.shippingMethod === null ? round2(subtotal + t.tax) : t.total,
    };
  }

  const addressValues = (a: Address | null): Record<string, string> => (a ? { ...a } : {});

  function emptyCart(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const problem = "Your cart is empty. Add a product before checking out.";
    record(req, { page: "cart", product_ids: [], errors: [problem] });
    return renderCart(req, reply, 409, [problem]);
  }

  app.get("/checkout", async (req, reply) => {
    const shop = req.shop!;
    const session = shop.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    record(req, { page: "checkout", product_ids: session.cart.map((l) => l.product_id) });
    const view = checkoutView(session, addressValues(session.address), {}, null);
    const ctx = pageContext(req, "");
    return sendPage(
      reply,
      200,
      shop.variant.flags.checkout === "one_page" ? onePageCheckout(ctx, view) : addressStep(ctx, view),
    );
  });

  app.post("/checkout/address", async (req, reply) => {
    const session = req.shop!.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const result = validateAddress(body);
    if ("errors" in result) {
      record(req, {
        page: "checkout",
        product_ids: session.cart.map((l) => l.product_id),
        errors: Object.values(result.errors),
      });
      const view = checkoutView(session, stringValues(body), result.errors, null);
      return sendPage(reply, 422, addressStep(pageContext(req, ""), view));
    }
    session.address = result.address;
    record(req, { page: "checkout", product_ids: session.cart.map((l) => l.product_id) });
    return reply.redirect("/checkout/shipping", 303);
  });

  app.get("/checkout/shipping", async (req, reply) => {
    const session = req.shop!.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    if (!session.address) return reply.redirect("/checkout", 303);
    record(req, { page: "checkout_shipping", product_ids: session.cart.map((l) => l.product_id) });
    const view = checkoutView(session, {}, {}, session.shippingMethod ?? "standard");
    return sendPage(reply, 200, shippingStep(pageContext(req, ""), view, session.address));
  });

  app.post("/checkout/shipping", async (req, reply) => {
    const session = req.shop!.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    if (!session.address) return reply.redirect("/checkout", 303);
    const method = first(((req.body ?? {}) as Record<string, unknown>).shipping_method);
    if (!method || !shippingMethod(method)) {
      const error = `Choose a shipping method: ${SHIPPING_METHODS.map((m) => m.label).join(", ")}.`;
      record(req, {
        page: "checkout_shipping",
        product_ids: session.cart.map((l) => l.product_id),
        errors: [error],
      });
      const view = checkoutView(session, {}, { shipping_method: error }, "standard");
      return sendPage(reply, 422, shippingStep(pageContext(req, ""), view, session.address));
    }
    session.shippingMethod = method;
    record(req, { page: "checkout_shipping", product_ids: session.cart.map((l) => l.product_id) });
    return reply.redirect("/checkout/review", 303);
  });

  app.get("/checkout/review", async (req, reply) => {
    const session = req.shop!.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    if (!session.address) return reply.redirect("/checkout", 303);
    if (!session.shippingMethod) return reply.redirect("/checkout/shipping", 303);
    record(req, { page: "checkout_review", product_ids: session.cart.map((l) => l.product_id) });
    const view = checkoutView(session, {}, {}, session.shippingMethod);
    const label = shippingMethod(session.shippingMethod)?.label ?? session.shippingMethod;
    return sendPage(reply, 200, reviewStep(pageContext(req, ""), view, session.address, label.toLowerCase()));
  });

  app.post("/checkout/place", async (req, reply) => {
    const shop = req.shop!;
    const session = shop.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const onePage = first(body.checkout) === "one_page";
    let address: Address;
    let method: string;
    if (onePage) {
      const result = validateAddress(body);
      const m = first(body.shipping_method);
      const errors: Record<string, string> = "errors" in result ? { ...result.errors } : {};
      if (!m || !shippingMethod(m))
        errors.shipping_method = `Choose a shipping method: ${SHIPPING_METHODS.map((x) => x.label).join(", ")}.`;
      if (Object.keys(errors).length > 0 || "errors" in result) {
        record(req, {
          page: "checkout",
          product_ids: session.cart.map((l) => l.product_id),
          errors: Object.values(errors),
        });
        const view = checkoutView(
          session,
          stringValues(body),
          errors,
          m && shippingMethod(m) ? m : "standard",
        );
        return sendPage(reply, 422, onePageCheckout(pageContext(req, ""), view));
      }
      address = result.address;
      method = m as string;
      session.address = address;
      session.shippingMethod = method;
    } else {
      if (!session.address) return reply.redirect("/checkout", 303);
      if (!session.shippingMethod) return reply.redirect("/checkout/shipping", 303);
      address = session.address;
      method = session.shippingMethod;
    }
    const { lines, subtotal } = pricedLines(session);
    const t = totals(subtotal, method);
    let goalScore: GoalScore | null = null;
    if (session.goal) {
      for (const l of lines) {
        const s = scorePurchase(session.goal, {
          product: l.product,
          selection: l.line.options,
          unit_price: l.unitPrice,
        });
        if (!goalScore || s.score > goalScore.score) goalScore = s;
      }
    }
    const order: Order = {
      order_id: state.nextOrderId(),
      session_id: session.id,
      variant: shop.variant.name,
      created_at: new Date().toISOString(),
      items: lines.map((l) => ({
        line_id: l.line.line_id,
        product_id: l.product.id,
        title: l.product.title,
        options: l.line.options,
        quantity: l.line.quantity,
        unit_price: l.unitPrice,
        line_total: l.lineTotal,
      })),
      subtotal,
      shipping_method: method,
      shipping_cost: t.shipping,
      tax: t.tax,
      total: t.total,
      ship_to: { city: address.city, state: address.state, zip: address.zip },
      goal_score: goalScore,
    };
    state.saveOrder(order);
    session.cart = [];
    record(req, { page: "order", product_ids: order.items.map((i) => i.product_id), order });
    return reply.redirect(`/order/${order.order_id}`, 303);
  });

  app.get<{ Params: { id: string } }>("/order/:id", async (req, reply) => {
    const order = state.order(req.params.id);
    if (!order || order.session_id !== req.shop!.session.id) {
      return notFound(req, reply, `There is no order “${req.params.id}” in this session.`);
    }
    record(req, { page: "order", product_ids: order.items.map((i) => i.product_id) });
    return sendPage(reply, 200, orderPage(pageContext(req, ""), order));
  });

  // --- friction --------------------------------------------------------------------------------
  app.post("/consent", async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    req.shop!.session.consented = true;
    record(req, {
      page: "consent",
      product_ids: [],
      selection: { choice: first(body.choice) === "reject" ? "reject" : "accept" },
    });
    return reply.redirect(safeReturn(first(body.return_to)), 303);
  });

  app.post("/banner/dismiss", async (req, reply) => {
    req.shop!.session.bannerDismissed = true;
    record(req, { page: "consent", product_ids: [], selection: { banner: "dismissed" } });
    return reply.redirect(safeReturn(first(((req.body ?? {}) as Record<string, unknown>).return_to)), 303);
  });

  // --- assets ----------------------------------------------------------------------------------
  app.get("/static/shop.css", async (_req, reply) =>
    reply.header("cache-control", "public, max-age=3600").type("text/css; charset=utf-8").send(css),
  );
  app.get("/static/shop.js", async (_req, reply) =>
    reply.header("cache-control", "public, max-age=3600").type("text/javascript; charset=utf-8").send(js),
  );
  app.get<{ Params: { file: string } }>("/img/:file", async (req, reply) => {
    const id = req.params.file.replace(/\.svg$/, "");
    const product = byId.get(id);
    if (!product) return reply.code(404).type("text/plain").send("no such image");
    return reply
      .header("cache-control", "public, max-age=86400")
      .type("image/svg+xml")
      .send(placeholderSvg(product));
  });

  // --- JSON API for runners and tests ------------------------------------------------------------
  app.get("/healthz", async () => ({
    status: "ok",
    catalog: catalog.source,
    products: catalog.products.length,
    categories: catalog.categories.length,
    variants: variants.names(),
    sessions: state.sessionCount,
    orders: state.orderCount,
    events: events.size,
  }));

  app.get("/api/events", async (req, reply) => {
    const session = first((req.query as Record<string, unknown>).session);
    if (!session)
      return reply.code(400).send({ error: "query parameter session is required: /api/events?session=ID" });
    return { session_id: session, events: events.forSession(session) };
  });

  app.get("/api/orders", async (req, reply) => {
    const session = first((req.query as Record<string, unknown>).session);
    if (!session)
      return reply.code(400).send({ error: "query parameter session is required: /api/orders?session=ID" });
    return { session_id: session, orders: state.ordersFor(session) };
  });

  app.get<{ Params: { id: string } }>("/api/sessions/:id", async (req, reply) => {
    const s = state.peek(req.params.id);
    if (!s) return reply.code(404).send({ error: `no session ${req.params.id}` });
    return {
      session_id: s.id,
      variant: s.variant,
      cart: s.cart,
      goal: s.goal,
      instruction: s.instruction,
      orders: state.ordersFor(s.id),
    };
  });

  app.put<{ Params: { id: string } }>("/api/sessions/:id/goal", async (req, reply) => {
    if (!SESSION_ID.test(req.params.id)) {
      return reply.code(400).send({ error: `session id must match ${SESSION_ID.source}` });
    }
    const parsed = SetGoalSchema.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: `goal: ${describeZodError(parsed.error)}` });
    const { goal, variant: variantName } = parsed.data;
    if (variantName !== undefined && !variants.get(variantName)) {
      return reply
        .code(400)
        .send({ error: `variant: unknown "${variantName}"; expected one of ${variants.names().join(", ")}` });
    }
    const s = state.session(req.params.id, variantName ?? variants.assign(req.params.id).name);
    if (variantName !== undefined) s.variant = variantName;
    s.goal = goal.target ?? null;
    s.instruction = goal.instruction;
    return { session_id: s.id, variant: s.variant, goal };
  });

  app.post("/api/reset", async () => {
    state.reset();
    events.clearMemory();
    events.append({
      session_id: "*",
      variant: "*",
      page: "reset",
      method: "POST",
      path: "/api/reset",
      status: 200,
      product_ids: [],
    });
    return { status: "reset" };
  });

  app.get<{ Params: { id: string } }>("/api/products/:id", async (req, reply) => {
    const product = byId.get(req.params.id);
    if (!product) return reply.code(404).send({ error: `no product ${req.params.id}` });
    return { ...product, reviews: catalog.reviewsFor(product) };
  });

  app.get("/api/goals", async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const countN = Number(first(q.count) ?? "10");
    const seedN = Number(first(q.seed) ?? String(opts.seed ?? 1));
    if (!Number.isInteger(countN) || countN < 1 || countN > 1000) {
      return reply.code(400).send({ error: "count: expected a whole number from 1 to 1000" });
    }
    if (!Number.isInteger(seedN)) return reply.code(400).send({ error: "seed: expected a whole number" });
    return { goals: generateGoals(catalog, { count: countN, seed: seedN }) };
  });

  app.setNotFoundHandler(async (req, reply) => {
    if (!req.shop) return reply.code(404).send({ error: `no route ${req.method} ${req.url}` });
    return notFound(req, reply, `There is no page at ${req.url.split("?")[0]}.`);
  });

  app.setErrorHandler(async (error: { statusCode?: number; message: string }, req, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) log.error({ err: error, method: req.method, url: req.url }, "request failed");
    if (!req.shop) return reply.code(status).send({ error: error.message });
    record(req, { page: "bad_request", product_ids: [], errors: [error.message] });
    return sendPage(
      reply,
      status,
      messagePage(
        pageContext(req, ""),
        status === 500 ? "Something went wrong" : "Bad request",
        error.message,
      ),
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

// --- helpers -------------------------------------------------------------------------------------

function sendPage(reply: FastifyReply, status: number, page: SafeHtml): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").send(page.value);
}

function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return typeof value[0] === "string" ? value[0] : undefined;
  return typeof value === "string" ? value : undefined;
}

function stringValues(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const s = first(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

function safeReturn(path: string | undefined): string {
  return path?.startsWith("/") && !path.startsWith("//") ? path : "/";
}

/** Empty strings from forms (an empty price box) mean "not set". */
function cleanQuery(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) if (v !== "") out[k] = v;
  return out;
}

const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x) => x !== "")));
const price = (name: string) =>
  z.coerce
    .number({ error: `${name}: expected a number of dollars` })
    .min(0, `${name}: expected 0 or more`)
    .max(1_000_000, `${name}: expected at most 1000000`)
    .optional();

const SearchQuerySchema = z.object({
  q: z
    .string({ error: "q: expected one search text" })
    .max(200, "q: search text is at most 200 characters")
    .default("")
    .transform((s) => s.trim()),
  category: z.string({ error: "category: expected one department" }).optional(),
  min_price: price("min_price"),
  max_price: price("max_price"),
  rating: z.coerce
    .number({ error: "rating: expected 1, 2, 3 or 4" })
    .int("rating: expected 1, 2, 3 or 4")
    .min(1, "rating: expected 1, 2, 3 or 4")
    .max(4, "rating: expected 1, 2, 3 or 4")
    .optional(),
  brand: list,
  feature: list,
  sort: z
    .enum(SORT_KEYS as [SortKey, ...SortKey[]], { error: `sort: expected one of ${SORT_KEYS.join(", ")}` })
    .default("relevance"),
  page: z.coerce
    .number({ error: "page: expected a page number" })
    .int("page: expected a whole page number")
    .min(1, "page: expected 1 or more")
    .max(10_000, "page: expected at most 10000")
    .default(1),
  variant: z.string().optional(),
});

/** Body of PUT /api/sessions/:id/goal: a Goal, or { goal, variant } to also pin the session's variant. */
const SetGoalSchema = z.preprocess(
  (body) => (body && typeof body === "object" && "goal" in body ? body : { goal: body }),
  z.object({ goal: GoalSchema, variant: z.string().optional() }).strict(),
);

/** FNV-1a, for deterministic per-value decisions. */
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

const PALETTE = ["#2f6f9f", "#9f4f2f", "#3f8f5f", "#7f3f8f", "#8f7f2f", "#2f8f8f", "#8f2f4f", "#4f5f9f"];

function placeholderSvg(p: Product): string {
  const color = PALETTE[hash(p.category) % PALETTE.length];
  const label = escapeHtml(p.product_type.slice(0, 28));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320"><rect width="320" height="320" fill="${color}"/><text x="160" y="170" font-family="sans-serif" font-size="20" fill="#fff" text-anchor="middle">${label}</text></svg>`;
}
