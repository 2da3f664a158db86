import { z } from "zod";

/** One selectable value of a product option (a size, a color, a flavor…). */
export const OptionValueSchema = z
  .object({
    value: z.string().min(1),
    /** Added to the product's base price when this value is selected (may be 0). */
    price_delta: z.number().min(0).default(0),
    /** False when this value is out of stock in the catalog itself. */
    available: z.boolean().default(true),
  })
  .strict();

/** An option dimension, e.g. { name: "size", values: [...] }. Names are lowercase. */
export const ProductOptionSchema = z
  .object({
    name: z.string().min(1),
    values: z.array(OptionValueSchema).min(1),
  })
  .strict();

export const ReviewSchema = z
  .object({
    author: z.string().min(1),
    rating: z.number().int().min(1).max(5),
    title: z.string(),
    body: z.string(),
    date: z.string(),
    verified: z.boolean().default(true),
  })
  .strict();

/**
 * A product as the shop holds it. Every catalog source (the built-in generator, the WebShop
 * importer, a user's JSONL file) produces exactly this shape.
 */
export const ProductSchema = z
  .object({
    id: z.string().min(1),
    title: z.string().min(1),
    brand: z.string().min(1),
    /** Top-level category slug, e.g. "electronics". Must be one of the catalog's categories. */
    category: z.string().min(1),
    /** Breadcrumb from the top-level category down, human-readable. */
    category_path: z.array(z.string().min(1)).min(1),
    /** Short lowercase noun phrase for the kind of product, e.g. "over-ear headphones". */
    product_type: z.string().min(1),
    /** Base unit price in dollars: the lowest price any option combination can have. */
    price: z.number().positive(),
    /** Average rating 1–5, or null when the product has no rating. */
    rating: z.number().min(1).max(5).nullable(),
    review_count: z.number().int().min(0),
    bullets: z.array(z.string()),
    description: z.string(),
    /** Lowercase WebShop-style attributes, e.g. ["noise cancelling", "long battery life"]. */
    attributes: z.array(z.string().min(1)),
    options: z.array(ProductOptionSchema),
    /** Reviews stored with the product (may be empty; built-in products generate theirs on demand). */
    reviews: z.array(ReviewSchema).default([]),
    image: z.string().nullable().default(null),
  })
  .strict();

export const CategorySchema = z
  .object({
    slug: z.string().regex(/^[a-z0-9-]+$/),
    name: z.string().min(1),
  })
  .strict();

export type OptionValue = z.infer<typeof OptionValueSchema>;
export type ProductOption = z.infer<typeof ProductOptionSchema>;
export type Review = z.infer<typeof ReviewSchema>;
export type Product = z.infer<typeof ProductSchema>;
export type Category = z.infer<typeof CategorySchema>;

/** A loaded catalog: products plus the categories they belong to, with a stable name for logs. */
export interface Catalog {
  /** e.g. "builtin:seed=42:n=2000" or "webshop:/path/products_1000.jsonl" */
  source: string;
  categories: Category[];
  products: Product[];
  /** Reviews for a product: stored ones, or generated deterministically for built-in products. */
  reviewsFor(product: Product): Review[];
}

/** Lowest and highest unit price over all option combinations. */
export function priceRange(product: Product): { min: number; max: number } {
  let max = product.price;
  for (const option of product.options) {
    let top = 0;
    for (const v of option.values) top = Math.max(top, v.price_delta);
    max += top;
  }
  return { min: product.price, max: round2(max) };
}

/** Unit price for a selection (option name → value); unknown or missing options add nothing. */
export function unitPrice(product: Product, selection: Readonly<Record<string, string>>): number {
  let price = product.price;
  for (const option of product.options) {
    const chosen = selection[option.name];
    if (chosen === undefined) continue;
    const v = option.values.find((x) => x.value === chosen);
    if (v) price += v.price_delta;
  }
  return round2(price);
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
