import { z } from "zod";

/**
 * What the sandbox shop records, and what the runner reads back over HTTP to learn a session's
 * outcome from the shop's own server-side events. Any shop that emits these can be scored the same way.
 */

export const PAGE_KINDS = [
  "home",
  "search",
  "product",
  "cart",
  "checkout",
  "checkout_shipping",
  "checkout_review",
  "order",
  "consent",
  "not_found",
  "bad_request",
  "reset",
] as const;
export const PageKindSchema = z.enum(PAGE_KINDS);

export const SearchFiltersSchema = z
  .object({
    category: z.string().optional(),
    min_price: z.number().optional(),
    max_price: z.number().optional(),
    min_rating: z.number().optional(),
    brands: z.array(z.string()).optional(),
    features: z.array(z.string()).optional(),
  })
  .strict();

export const CartChangeSchema = z
  .object({
    action: z.enum(["add", "update", "remove"]),
    line_id: z.string(),
    product_id: z.string(),
    options: z.record(z.string(), z.string()),
    quantity: z.number().int().min(0),
  })
  .strict();

export const GoalScoreSchema = z
  .object({
    score: z.number().min(0).max(1),
    type_factor: z.number(),
    attributes: z.object({ wanted: z.array(z.string()), matched: z.array(z.string()) }),
    options: z.object({ wanted: z.record(z.string(), z.string()), matched: z.array(z.string()) }),
    price_ok: z.boolean().nullable(),
  })
  .strict();

export const OrderItemSchema = z
  .object({
    line_id: z.string(),
    product_id: z.string(),
    title: z.string(),
    options: z.record(z.string(), z.string()),
    quantity: z.number().int().positive(),
    unit_price: z.number(),
    line_total: z.number(),
  })
  .strict();

export const OrderSchema = z
  .object({
    order_id: z.string(),
    session_id: z.string(),
    variant: z.string(),
    created_at: z.string(),
    items: z.array(OrderItemSchema).min(1),
    subtotal: z.number(),
    shipping_method: z.string(),
    shipping_cost: z.number(),
    tax: z.number(),
    total: z.number(),
    ship_to: z.object({ city: z.string(), state: z.string(), zip: z.string() }),
    /** Best goal score over the order's items, or null when the session had no structured goal. */
    goal_score: GoalScoreSchema.nullable(),
  })
  .strict();

export const ShopEventSchema = z
  .object({
    seq: z.number().int().nonnegative(),
    ts: z.string(),
    session_id: z.string(),
    variant: z.string(),
    page: PageKindSchema,
    method: z.string(),
    path: z.string(),
    status: z.number().int(),
    product_ids: z.array(z.string()),
    query: z.string().optional(),
    filters: SearchFiltersSchema.optional(),
    sort: z.string().optional(),
    page_number: z.number().int().optional(),
    total_results: z.number().int().optional(),
    selection: z.record(z.string(), z.string()).optional(),
    cart: CartChangeSchema.optional(),
    order: OrderSchema.optional(),
    errors: z.array(z.string()).optional(),
  })
  .strict();

export type PageKind = z.infer<typeof PageKindSchema>;
export type SearchFilters = z.infer<typeof SearchFiltersSchema>;
export type CartChange = z.infer<typeof CartChangeSchema>;
export type GoalScore = z.infer<typeof GoalScoreSchema>;
export type OrderItem = z.infer<typeof OrderItemSchema>;
export type Order = z.infer<typeof OrderSchema>;
export type ShopEvent = z.infer<typeof ShopEventSchema>;

/** Headers a runner sets so the shop can attribute requests without cookies. */
/**
 * For a shop without the order API above: a regular expression (JavaScript syntax) that only the
 * order confirmation page's URL matches. A session whose browser reaches such a page has bought.
 */
export const PurchaseUrlSchema = z
  .string()
  .min(1)
  .refine(
    (pattern) => {
      try {
        new RegExp(pattern);
        return true;
      } catch {
        return false;
      }
    },
    { message: "expected a regular expression (JavaScript syntax), e.g. '/order/confirm'" },
  );

export const SESSION_HEADER = "x-shopsim-session";
export const VARIANT_HEADER = "x-shopsim-variant";
export const SESSION_COOKIE = "shopsim_sid";
export const VARIANT_COOKIE = "shopsim_variant";
