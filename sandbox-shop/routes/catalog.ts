import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { describeZodError } from "../../src/contracts/errors.ts";
import type { CartChange, SearchFilters } from "../../src/contracts/shop.ts";
import type { Product } from "../catalog/types.ts";
import { first, type RequestShop, type ShopContext, sendPage } from "../context.ts";
import { MAX_MATCHES, PER_PAGE, type SearchResult, SORT_KEYS, type SortKey } from "../search.ts";
import { MAX_QUANTITY } from "../state.ts";
import { capitalize, homePage, productPage, type SearchState, searchPage } from "../views/pages.ts";

/** Home, search results, product pages, and adding to the cart. */
export function catalogRoutes(app: FastifyInstance, ctx: ShopContext): void {
  const { catalog, search, state, byId, related, featured, deals } = ctx;
  const { pageContext, record, notFound, badRequest, isAvailable } = ctx;
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
    if (q.per_page !== undefined && q.per_page !== PER_PAGE) st.perPage = q.per_page;
    const perPage = q.per_page ?? PER_PAGE;
    // With "Load more", page N shows one list of the first N pages (so a reload or a step back shows
    // what the shopper had loaded); the event names only the products page N added.
    const loadMore = req.shop!.variant.flags.results_paging === "load_more";
    const result = loadMore
      ? cumulative(
          search.search({
            q: q.q,
            filters,
            sort: q.sort,
            page: 1,
            perPage: Math.min(q.page * perPage, MAX_MATCHES),
          }),
          q.page,
          perPage,
        )
      : search.search({ q: q.q, filters, sort: q.sort, page: q.page, perPage });
    const added = loadMore ? result.items.slice((result.page - 1) * perPage) : result.items;
    record(req, {
      page: "search",
      product_ids: added.map((p) => p.id),
      query: q.q,
      filters,
      sort: q.sort,
      page_number: result.page,
      total_results: result.total,
    });
    const categoryName = q.category ? search.categoryName(q.category) : undefined;
    return sendPage(reply, 200, searchPage(pageContext(req, q.q), st, result, categoryName));
  });

  /** The first `page` pages of results as one list (the "Load more" layout). */
  function cumulative(all: SearchResult, page: number, perPage: number): SearchResult {
    const pages = Math.max(1, Math.ceil(all.total / perPage));
    return { ...all, perPage, pages, page: Math.min(page, pages) };
  }

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
  per_page: z.coerce
    .number({ error: `per_page: expected a number of results from 1 to ${MAX_MATCHES}` })
    .int(`per_page: expected a whole number from 1 to ${MAX_MATCHES}`)
    .min(1, `per_page: expected 1 or more`)
    .max(MAX_MATCHES, `per_page: expected at most ${MAX_MATCHES}`)
    .optional(),
  variant: z.string().optional(),
});
