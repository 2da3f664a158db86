import { createHash } from "node:crypto";
import { z } from "zod";
import { readYamlFile } from "../src/config/files.ts";
import { describeZodError, InputError } from "../src/contracts/errors.ts";

/**
 * Site flags an A/B test can flip. A variant is a named set of overrides on top of the shop's
 * base flags; friction (promo banner, cookie consent, a sign-up pop-up, out-of-stock options) is flags too.
 */
export const FlagsSchema = z
  .object({
    filter_panel: z.enum(["full", "reduced"]).default("full"),
    results_layout: z.enum(["grid", "list"]).default("grid"),
    /** pages: numbered pages; load_more: one growing list with a "Load more" button (fetched in place when scripts run). */
    results_paging: z.enum(["pages", "load_more"]).default("pages"),
    free_shipping_badges: z.boolean().default(false),
    buy_now: z.boolean().default(true),
    recommendations: z.boolean().default(true),
    checkout: z.enum(["one_page", "multi_step"]).default("one_page"),
    promo_banner: z.boolean().default(false),
    cookie_consent: z.boolean().default(false),
    /** A sign-up pop-up ("Get 10% off your first order") over the first page a visitor sees, until closed. */
    newsletter_popup: z.boolean().default(false),
    out_of_stock: z.boolean().default(false),
    /** realistic: pages carry what real storefronts ship besides the markup (inline CSS, JSON-LD, analytics, hydration state, SVG icons); lean: the markup alone. */
    page_weight: z.enum(["realistic", "lean"]).default("realistic"),
  })
  .strict();

export type Flags = z.infer<typeof FlagsSchema>;

/** Flag overrides: any subset of the flags, with no defaults filled in (so they only change what they name). */
export const FlagOverridesSchema = z
  .object(
    Object.fromEntries(Object.entries(FlagsSchema.shape).map(([k, v]) => [k, v.unwrap().optional()])) as {
      [K in keyof Flags]: z.ZodOptional<ReturnType<(typeof FlagsSchema.shape)[K]["unwrap"]>>;
    },
  )
  .strict();
export const DEFAULT_FLAGS: Flags = FlagsSchema.parse({});
export const FLAG_NAMES = Object.keys(DEFAULT_FLAGS) as (keyof Flags)[];

/**
 * Named variants every shopsim knows, one site change each, for `shopsim ab --arms control,no_buy_now`
 * without a variants file. A variants file can add names or redefine these.
 */
export const BUILTIN_VARIANTS: Readonly<Record<string, Partial<Flags>>> = {
  control: {},
  reduced_filters: { filter_panel: "reduced" },
  list_layout: { results_layout: "list" },
  load_more: { results_paging: "load_more" },
  free_shipping_badges: { free_shipping_badges: true },
  no_buy_now: { buy_now: false },
  no_recommendations: { recommendations: false },
  multi_step_checkout: { checkout: "multi_step" },
  promo_banner: { promo_banner: true },
  cookie_consent: { cookie_consent: true },
  newsletter_popup: { newsletter_popup: true },
  out_of_stock: { out_of_stock: true },
  lean_pages: { page_weight: "lean" },
};

/** Parses flag overrides as written in a file (`where` names the file and field in errors). */
export function parseFlags(data: unknown, where: string): Partial<Flags> {
  const parsed = FlagOverridesSchema.safeParse(data);
  if (!parsed.success) throw new InputError(where, describeZodError(parsed.error));
  return parsed.data;
}

const VariantNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "variant names use letters, digits, _ and - (at most 64)");

export const VariantsFileSchema = z
  .object({
    variants: z
      .record(VariantNameSchema, FlagOverridesSchema)
      .refine((v) => Object.keys(v).length > 0, "define at least one variant"),
    /** Traffic weights for the hash split; default: equal weights over all variants. */
    split: z.record(VariantNameSchema, z.number().nonnegative()).optional(),
  })
  .strict();

export interface Variant {
  name: string;
  flags: Flags;
  weight: number;
}

/** The variants a shop serves, and the deterministic split of sessions between them. */
export class VariantSet {
  readonly variants: readonly Variant[];
  private readonly byName: Map<string, Variant>;
  private readonly totalWeight: number;

  constructor(variants: Variant[]) {
    if (variants.length === 0) throw new Error("VariantSet needs at least one variant");
    this.variants = variants;
    this.byName = new Map(variants.map((v) => [v.name, v]));
    this.totalWeight = variants.reduce((s, v) => s + v.weight, 0);
  }

  /** One variant called "default" with the given base flags. */
  static single(base: Flags = DEFAULT_FLAGS): VariantSet {
    return new VariantSet([{ name: "default", flags: base, weight: 1 }]);
  }

  get(name: string): Variant | undefined {
    return this.byName.get(name);
  }

  /**
   * These variants plus the built-in ones they do not name, on `base`, with weight 0: a session can
   * ask for `newsletter_popup` by name, and the split between this set's variants is unchanged.
   */
  withBuiltins(base: Flags = DEFAULT_FLAGS): VariantSet {
    const extra = Object.entries(BUILTIN_VARIANTS)
      .filter(([name]) => !this.byName.has(name))
      .map(([name, flags]) => ({ name, flags: { ...base, ...flags }, weight: 0 }));
    return new VariantSet([...this.variants, ...extra]);
  }

  names(): string[] {
    return this.variants.map((v) => v.name);
  }

  /** Deterministic split: the same session id always lands in the same variant. */
  assign(sessionId: string): Variant {
    const digest = createHash("sha256").update(sessionId).digest();
    const unit = digest.readUInt32BE(0) / 0x1_0000_0000;
    let point = unit * this.totalWeight;
    for (const v of this.variants) {
      if (v.weight === 0) continue;
      if (point < v.weight) return v;
      point -= v.weight;
    }
    // Floating-point remainder: the last variant with weight.
    return [...this.variants].reverse().find((v) => v.weight > 0) ?? (this.variants[0] as Variant);
  }
}

/** Builds a VariantSet from parsed file contents; `where` names the file in errors. */
export function variantsFromData(data: unknown, where: string, base: Flags = DEFAULT_FLAGS): VariantSet {
  const parsed = VariantsFileSchema.safeParse(data);
  if (!parsed.success) throw new InputError(where, describeZodError(parsed.error));
  const { variants, split } = parsed.data;
  const names = Object.keys(variants);
  if (split) {
    for (const name of Object.keys(split)) {
      if (!(name in variants)) {
        throw new InputError(where, `split.${name}: no variant of that name (variants: ${names.join(", ")})`);
      }
    }
    if (Object.values(split).every((w) => w === 0)) {
      throw new InputError(where, "split: at least one variant needs a weight above 0");
    }
  }
  return new VariantSet(
    names.map((name) => ({
      name,
      flags: { ...base, ...variants[name] },
      weight: split ? (split[name] ?? 0) : 1,
    })),
  );
}

/** Reads a variants file (YAML or JSON). A malformed file is an InputError naming the file and field. */
export async function loadVariantsFile(path: string, base: Flags = DEFAULT_FLAGS): Promise<VariantSet> {
  return variantsFromData(await readYamlFile(path), path, base);
}

/** Parses `name=value` flag overrides from the command line into base flags. */
export function parseFlagOverrides(pairs: readonly string[], where = "--flag"): Flags {
  const raw: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? "true" : pair.slice(eq + 1);
    if (!FLAG_NAMES.includes(key as keyof Flags)) {
      throw new InputError(`${where} ${pair}`, `unknown flag "${key}" (known: ${FLAG_NAMES.join(", ")})`);
    }
    raw[key] = value === "true" ? true : value === "false" ? false : value;
  }
  const parsed = FlagsSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(where, describeZodError(parsed.error));
  return parsed.data;
}
