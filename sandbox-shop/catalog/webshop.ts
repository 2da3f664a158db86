/**
 * Importer for the WebShop benchmark catalog (Yao et al. 2022): the search-engine documents
 * (`{"id","contents","product":{…}}`, one per line) plus `items_ins_v2_*.json` (attributes and, for
 * some products, a templated shopping instruction).
 *
 * Mapping rules (each one chosen for this data; the numbers are for products_1000.jsonl):
 *
 * - **id** = `product.asin` (falls back to the line's `id`).
 * - **title** = `Title`, else `name`, else the WebShop scraping `query` with a capital first letter
 *   (one product, B09P71WY8C, has an empty title and name). Whitespace collapsed, zero-width marks removed.
 * - **brand**: WebShop has no brand field. Taken from the title only when it clearly names one, else
 *   "Generic" (see {@link guessBrand}).
 * - **category** = slug of WebShop `category`, with display names from {@link CATEGORY_NAMES}.
 * - **category_path** = `product_category` split on "›"; empty (22 products) → `[category display name]`.
 * - **product_type** = last element of category_path, lowercased; when the path is empty, the WebShop
 *   `query` (e.g. "men's shorts"), which names the kind of product better than the top-level category.
 * - **price**: `pricing` is `[price]` or `[lo, hi]` (3 ranges are listed high-first; min/max are used).
 *   `price` = the lowest price. For a range with options, the first option dimension with ≥ 2 values gets
 *   deltas increasing linearly in listed order from 0 to hi − lo, so `priceRange()` = [lo, hi]. A range
 *   with no option dimension of ≥ 2 values gets no fake option and no delta: the product sells at lo.
 * - **variant prices**: the `price` of a `customization_options` value is the absolute Amazon price of
 *   that variant (e.g. "$14.80"), not a delta. For single-price products a value priced above the base
 *   price gets `price_delta = variant price − base`; cheaper or unpriced (0/null) values get 0, because a
 *   delta can't be negative and `pricing` stays the authority for the base price. For range products
 *   variant prices are ignored (none of the 91 range products with options has a positive one).
 * - **rating** = `average_rating` when it is a number (or numeric string) in 1–5, else `Rating` when
 *   numeric; "", "N.A.", 0 or missing → null. A number outside 0–5 is an error.
 * - **review_count** = number of `Reviews` (all empty in this subset; a rating without reviews stays).
 * - **bullets** = `BulletPoints`, else `small_description` (array, or one string); trimmed, empty dropped.
 * - **description** = `Description`, else `full_description`, trimmed.
 * - **options**: `customization_options` when it is an object with at least one non-empty dimension
 *   (values keep their case, `is_available: false` → unavailable), else `options` {name: [values]}.
 *   Names lowercased; values trimmed and de-duplicated case-insensitively (a duplicate is available when
 *   any copy is).
 * - **image** = `MainImage`, else the first non-empty `images` entry, else null.
 * - **attributes** = attributes from the items file (default: `items_ins_v2_1000.json` next to the
 *   products file, when it exists) followed by any extra `product.Attributes`; lowercased, de-duplicated.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { describeZodError, InputError, parseOrThrow } from "../../src/contracts/errors.ts";
import { type Goal, GoalSchema } from "../../src/contracts/goal.ts";
import {
  type Catalog,
  type Category,
  type Product,
  type ProductOption,
  ProductSchema,
  type Review,
  round2,
} from "./types.ts";

/** Display names of WebShop's five top-level categories; other slugs are title-cased. */
export const CATEGORY_NAMES: Readonly<Record<string, string>> = {
  beauty: "Beauty & Personal Care",
  electronics: "Electronics",
  fashion: "Fashion",
  garden: "Home & Garden",
  grocery: "Grocery & Gourmet Food",
};

/** The attributes file WebShop ships next to a 1,000-product catalog. */
export const DEFAULT_ATTRIBUTES_FILE = "items_ins_v2_1000.json";

/** A WebShop templated instruction with the attributes it asks for. */
export interface WebShopInstruction {
  product_id: string;
  instruction: string;
  instruction_attributes: string[];
}

// ---------------------------------------------------------------------------------------------
// Raw WebShop schemas (the boundary). Messages say what was expected and what the file holds.

function show(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function expected(what: string) {
  return { error: (issue: { input?: unknown }) => `expected ${what}, got ${show(issue.input)}` };
}

const RawTextList = z.union([z.array(z.string()), z.string()], expected("a list of strings or a string"));

const RawCustomValueSchema = z.looseObject(
  {
    value: z.union([z.string(), z.number()], expected("an option value (string)")),
    is_available: z.boolean(expected("true or false")).optional(),
    price: z.number(expected("a price in dollars")).nullable().optional(),
  },
  expected("an option value object"),
);

const RawProductSchema = z.looseObject(
  {
    asin: z.string(expected("an ASIN string")).optional(),
    Title: z.string(expected("a title string")).optional(),
    name: z.string(expected("a name string")).optional(),
    query: z.string(expected("a string")).optional(),
    category: z
      .string(expected('a category such as "beauty"'))
      .regex(/[A-Za-z0-9]/, expected('a category such as "beauty"')),
    product_category: z.string(expected('a breadcrumb string ("A › B › C")')).optional(),
    pricing: z
      .array(z.number(expected("a price in dollars")).positive(expected("a positive price in dollars")), {
        error: (issue) => `expected a non-empty array of prices, got ${show(issue.input)}`,
      })
      .min(1, expected("a non-empty array of prices")),
    average_rating: z
      .union([z.number(), z.string()], expected('a rating number, "" or "N.A."'))
      .nullable()
      .optional(),
    Rating: z.union([z.number(), z.string()], expected('a rating number or "N.A."')).nullable().optional(),
    Reviews: z.array(z.unknown(), expected("a list of reviews")).optional(),
    BulletPoints: RawTextList.optional(),
    small_description: RawTextList.optional(),
    Description: z.string(expected("a string")).optional(),
    full_description: z.string(expected("a string")).optional(),
    customization_options: z
      .union(
        [
          z.record(z.string(), z.array(RawCustomValueSchema).nullable()),
          z.string(), // "" when the product has no variants
        ],
        expected('an object {dimension: [values]} or ""'),
      )
      .nullable()
      .optional(),
    options: z
      .record(z.string(), z.array(z.union([z.string(), z.number()])), expected("an object {name: [values]}"))
      .optional(),
    images: z.array(z.string(expected("an image URL")), expected("a list of image URLs")).optional(),
    MainImage: z.string(expected("an image URL")).nullable().optional(),
    Attributes: z.array(z.string(expected("an attribute string")), expected("a list of strings")).optional(),
  },
  expected("an object"),
);

const RawLineSchema = z.looseObject(
  {
    id: z.string(expected("an ASIN string")).optional(),
    product: RawProductSchema,
  },
  expected('a JSON object {"id", "contents", "product"}'),
);

const ItemsInsSchema = z.record(
  z.string(),
  z.looseObject(
    {
      attributes: z
        .array(z.string(expected("an attribute string")), expected("a list of strings"))
        .default([]),
      instruction: z.string(expected("an instruction string")).optional(),
      instruction_attributes: z
        .array(z.string(expected("an attribute string")), expected("a list of strings"))
        .optional(),
    },
    expected("an object {attributes, instruction?, instruction_attributes?}"),
  ),
  expected("a JSON object keyed by ASIN"),
);

type RawProduct = z.infer<typeof RawProductSchema>;
type ItemsIns = z.infer<typeof ItemsInsSchema>;

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Loads a WebShop product JSONL file as a shop catalog. Throws {@link InputError} naming
 * `path:line` and the field for the first bad line; all 1,000 products of the WebShop small
 * catalog import.
 */
export async function loadWebShopCatalog(
  productsPath: string,
  opts: { attributesPath?: string } = {},
): Promise<Catalog> {
  const text = await readText(productsPath, "WebShop products file");
  const attributesPath = opts.attributesPath ?? defaultAttributesPath(productsPath);
  const items =
    attributesPath === undefined
      ? undefined
      : parseItemsIns(await readText(attributesPath, "WebShop attributes file"), attributesPath);

  const products: Product[] = [];
  const categories = new Map<string, Category>();
  const lineOf = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    const lineNumber = i + 1;
    const where = `${productsPath}:${lineNumber}`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new InputError(
        where,
        `not valid JSON (${(err as Error).message}); expected one product object per line`,
      );
    }
    const parsed = RawLineSchema.safeParse(json);
    if (!parsed.success) throw new InputError(where, describeZodError(parsed.error));
    const product = toProduct(parsed.data.product, parsed.data.id, items, where);
    const previous = lineOf.get(product.id);
    if (previous !== undefined) {
      throw new InputError(
        where,
        `product.asin: duplicate id ${show(product.id)}, already on line ${previous}`,
      );
    }
    lineOf.set(product.id, lineNumber);
    products.push(product);
    if (!categories.has(product.category)) {
      categories.set(product.category, { slug: product.category, name: categoryName(product.category) });
    }
  }
  if (products.length === 0) {
    throw new InputError(productsPath, "no products found; expected one JSON product object per line");
  }
  return {
    source: `webshop:${productsPath}`,
    categories: [...categories.values()],
    products,
    reviewsFor: (product) => product.reviews,
  };
}

/** The templated instructions of a WebShop attributes file (415 of the 1,000 small-catalog products). */
export function loadWebShopInstructions(attributesPath: string): WebShopInstruction[] {
  let text: string;
  try {
    text = readFileSync(attributesPath, "utf8");
  } catch (err) {
    throw unreadable(attributesPath, "WebShop attributes file", err);
  }
  const items = parseItemsIns(text, attributesPath);
  const out: WebShopInstruction[] = [];
  for (const [asin, item] of Object.entries(items)) {
    const instruction = cleanText(item.instruction ?? "");
    if (instruction === "") continue;
    out.push({
      product_id: asin,
      instruction,
      instruction_attributes: normalizeAttributes(item.instruction_attributes ?? []),
    });
  }
  return out;
}

/**
 * Turns a WebShop instruction into a Goal targeting its product. WebShop's templated instructions
 * name neither options nor a price, so the target has attributes only (no `max_price`).
 */
export function webShopInstructionToGoal(instruction: WebShopInstruction, product: Product): Goal {
  if (product.id !== instruction.product_id) {
    throw new InputError(
      `instruction ${instruction.product_id}`,
      `was given product ${product.id}; pass the catalog product whose id is ${instruction.product_id}`,
    );
  }
  return GoalSchema.parse({
    instruction: instruction.instruction,
    target: {
      product_id: product.id,
      category: product.category,
      product_type: product.product_type,
      attributes: instruction.instruction_attributes,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Mapping

interface DraftValue {
  value: string;
  available: boolean;
  /** Absolute price of this variant when the file gives a positive one. */
  variantPrice: number | null;
}

interface DraftOption {
  name: string;
  values: DraftValue[];
}

function toProduct(
  raw: RawProduct,
  lineId: string | undefined,
  items: ItemsIns | undefined,
  where: string,
): Product {
  const id = cleanText(raw.asin ?? lineId ?? "");
  if (id === "") throw new InputError(where, `product.asin: expected an ASIN string, got ${show(raw.asin)}`);

  const query = cleanText(raw.query ?? "");
  let title = cleanText(raw.Title ?? "") || cleanText(raw.name ?? "");
  if (title === "" && query !== "") title = query.charAt(0).toUpperCase() + query.slice(1);
  if (title === "") {
    throw new InputError(
      where,
      `product.Title: expected a non-empty title (also tried name and query), got ${show(raw.Title)}`,
    );
  }

  const category = slugify(raw.category);
  const path = (raw.product_category ?? "")
    .split("›")
    .map(cleanText)
    .filter((s) => s !== "");
  const category_path = path.length > 0 ? path : [categoryName(category)];
  const product_type = (
    path.length > 0 ? path[path.length - 1]! : query || categoryName(category)
  ).toLowerCase();

  const { price, options } = priceOptions(draftOptions(raw), raw.pricing);

  const rating =
    parseRating(raw.average_rating, "average_rating", where) ?? parseRating(raw.Rating, "Rating", where);
  const rawReviews = raw.Reviews ?? [];

  const attributes = normalizeAttributes([...(items?.[id]?.attributes ?? []), ...(raw.Attributes ?? [])]);

  const product = {
    id,
    title,
    brand: guessBrand(title),
    category,
    category_path,
    product_type,
    price,
    rating,
    review_count: rawReviews.length,
    bullets: textList(raw.BulletPoints ?? raw.small_description),
    description: (raw.Description || raw.full_description || "").replace(ZERO_WIDTH, "").trim(),
    attributes,
    options,
    reviews: rawReviews.map(toReview).filter((r): r is Review => r !== null),
    image: firstImage(raw),
  };
  return parseOrThrow(ProductSchema, product, where);
}

function draftOptions(raw: RawProduct): DraftOption[] {
  const merged = new Map<string, DraftOption>();
  const add = (rawName: string, value: string | number, available: boolean, variantPrice: number | null) => {
    const name = cleanText(rawName).toLowerCase();
    const text = cleanText(String(value));
    if (name === "" || text === "") return;
    let option = merged.get(name);
    if (!option) {
      option = { name, values: [] };
      merged.set(name, option);
    }
    const same = option.values.find((v) => v.value.toLowerCase() === text.toLowerCase());
    if (same) {
      same.available ||= available;
      same.variantPrice ??= variantPrice;
    } else {
      option.values.push({ value: text, available, variantPrice });
    }
  };

  const custom = raw.customization_options;
  if (custom && typeof custom === "object") {
    for (const [name, values] of Object.entries(custom)) {
      for (const v of values ?? []) {
        const price = typeof v.price === "number" && v.price > 0 ? v.price : null;
        add(name, v.value, v.is_available !== false, price);
      }
    }
  }
  if (merged.size === 0) {
    for (const [name, values] of Object.entries(raw.options ?? {})) {
      for (const v of values) add(name, v, true, null);
    }
  }
  return [...merged.values()].filter((o) => o.values.length > 0);
}

/** Applies the pricing rules described at the top of this file. */
function priceOptions(drafts: DraftOption[], pricing: number[]): { price: number; options: ProductOption[] } {
  const lo = round2(Math.min(...pricing));
  const hi = round2(Math.max(...pricing));
  const spread = round2(hi - lo);
  const spreadIndex = spread > 0 ? drafts.findIndex((o) => o.values.length >= 2) : -1;

  const options = drafts.map((draft, index) => ({
    name: draft.name,
    values: draft.values.map((v, i) => {
      let price_delta = 0;
      if (spread > 0) {
        if (index === spreadIndex) {
          const n = draft.values.length;
          price_delta = i === n - 1 ? spread : round2((spread * i) / (n - 1));
        }
      } else if (v.variantPrice !== null && v.variantPrice - lo >= 0.01) {
        price_delta = round2(v.variantPrice - lo);
      }
      return { value: v.value, price_delta, available: v.available };
    }),
  }));
  return { price: lo, options };
}

function parseRating(value: unknown, field: string, where: string): number | null {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)/.exec(value);
    if (!match) return null; // "", "N.A."
    n = Number(match[1]);
  } else return null;
  if (!Number.isFinite(n) || n < 0 || n > 5) {
    throw new InputError(
      where,
      `product.${field}: expected a rating from 1 to 5, "" or "N.A.", got ${show(value)}`,
    );
  }
  return n >= 1 ? n : null;
}

/** WebShop review objects are {title, score, body}; anything without a 1–5 score is dropped. */
function toReview(raw: unknown): Review | null {
  if (raw === null || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const score = Math.round(Number(r.score ?? r.rating));
  if (!Number.isFinite(score) || score < 1 || score > 5) return null;
  const str = (v: unknown) => (typeof v === "string" ? cleanText(v) : "");
  return {
    author: str(r.author) || "Amazon customer",
    rating: score,
    title: str(r.title),
    body: str(r.body ?? r.text),
    date: str(r.date),
    verified: true,
  };
}

function firstImage(raw: RawProduct): string | null {
  const main = raw.MainImage?.trim();
  if (main) return main;
  for (const url of raw.images ?? []) if (url.trim() !== "") return url.trim();
  return null;
}

function textList(value: string | string[] | undefined): string[] {
  const list = typeof value === "string" ? [value] : (value ?? []);
  return list.map(cleanText).filter((s) => s !== "");
}

function normalizeAttributes(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of list) {
    const v = cleanText(a).toLowerCase();
    if (v !== "" && !out.includes(v)) out.push(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Brand

/** All-caps words that are product words or units, not brands. */
const NOT_BRAND = new Set(
  (
    "A AN THE AND FOR WITH OF IN BY NEW SET PACK KIT LOT USB LED LCD HD HDMI PC PCS DIY TV UV AC DC RGB WIFI " +
    "XL XXL XXXL XS US UK USA OEM BPA SPF GPS DVD CD MP3 MP4 PVC SD SSD HDD RAM CPU GB TB MM CM OZ LB ML FL " +
    "VR AR AI IR RF LTE NFC ABS PU PET NFL NBA MLB NHL FDA USDA NON GMO BBQ ANTI MINI MAX PRO PLUS SEXY HOT " +
    "BEST PREMIUM ORGANIC NATURAL MEN'S WOMEN'S MENS WOMENS KIDS BABY"
  ).split(" "),
);

/** Mixed-case words that are technology or product names, not brands. */
const NOT_BRAND_MIXED = new Set([
  "WiFi",
  "MagSafe",
  "PlayStation",
  "YouTube",
  "AirPods",
  "MacBook",
  "LowProfile",
]);

/**
 * A brand from a WebShop title, conservatively (the data has no brand field), else "Generic":
 * 1. a trailing "by Name" ("Seacrest White Kitchen Cart by Linon" → "Linon");
 * 2. leading words marked ® or ™ ("Signature Shakes™ Seasoning Mix" → "Signature Shakes");
 * 3. a leading run of up to two ALL-CAPS words (or "X & Y"), unless it is a product word such as
 *    "USB" or the whole title is shouting ("BOWERY HILL Traditional…" → "BOWERY HILL");
 * 4. a leading camel-case word ("CubiCubi Computer Desk" → "CubiCubi", "ZSWWang Slip On…").
 * Plain capitalized first words ("Canon", but also "Lingerie", "Hair") are not guessed: about a quarter
 * of the WebShop titles get a brand, the rest "Generic".
 */
export function guessBrand(title: string): string {
  const t = cleanText(title);
  const by = /\bby ([A-Z][\w&'.-]*(?: [A-Z][\w&'.-]*){0,2})\s*$/.exec(t);
  if (by) return by[1]!;
  const mark = /^([^\s®™]+(?: [^\s®™]+){0,2})[®™]/.exec(t);
  if (mark) return mark[1]!.replace(/[,.]$/, "");

  const tokens = t.split(" ");
  const words = tokens.filter((w) => /[A-Za-z]{2,}/.test(w));
  const shouting = words.filter((w) => /^[A-Z][A-Z&'.-]*[A-Z]$/.test(w)).length;
  if (words.length > 0 && shouting / words.length <= 0.5) {
    const run: string[] = [];
    for (const w of tokens.slice(0, 3)) {
      if (/^[A-Z][A-Z'.-]*[A-Z]$/.test(w) && !NOT_BRAND.has(w.replace(/[.'-]+$/, ""))) {
        run.push(w);
        if (run.filter((x) => x !== "&").length === 2) break;
      } else if (w === "&" && run.length === 1) run.push(w);
      else break;
    }
    while (run[run.length - 1] === "&") run.pop();
    if (run.length > 0) return run.join(" ").replace(/[,.]$/, "");
  }
  const first = (tokens[0] ?? "").replace(/[,.]$/, "");
  if (
    (/^[A-Z][a-z]+[A-Z][A-Za-z]*$/.test(first) || /^[A-Z]{3,}[a-z]{2,}$/.test(first)) &&
    !NOT_BRAND_MIXED.has(first)
  ) {
    return first;
  }
  return "Generic";
}

// ---------------------------------------------------------------------------------------------
// Helpers

const ZERO_WIDTH = /[\u200b-\u200f\u202a-\u202e\u2060\ufeff]/g;

function cleanText(s: string): string {
  return s.replace(ZERO_WIDTH, "").replace(/\s+/g, " ").trim();
}

function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function categoryName(slug: string): string {
  return (
    CATEGORY_NAMES[slug] ??
    slug
      .split("-")
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(" ")
  );
}

function defaultAttributesPath(productsPath: string): string | undefined {
  const candidate = join(dirname(productsPath), DEFAULT_ATTRIBUTES_FILE);
  return existsSync(candidate) ? candidate : undefined;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw unreadable(path, what, err);
  }
}

function unreadable(path: string, what: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === "ENOENT" ? "no such file" : (err as Error).message;
  return new InputError(path, `cannot read the ${what} (${reason}); check the path`);
}

function parseItemsIns(text: string, path: string): ItemsIns {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(
      path,
      `not valid JSON (${(err as Error).message}); expected an object keyed by ASIN ({"B0…": {"attributes": […]}})`,
    );
  }
  return parseOrThrow(ItemsInsSchema, json, path);
}
