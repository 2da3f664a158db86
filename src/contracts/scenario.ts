import { z } from "zod";
import { GoalSchema } from "./goal.ts";

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected a lowercase id of letters, digits, _ and - (at most 64)");

/** The 50 US states and DC by their two-letter codes (the shop's checkout accepts exactly these). */
export const US_STATES = {
  AL: "Alabama",
  AK: "Alaska",
  AZ: "Arizona",
  AR: "Arkansas",
  CA: "California",
  CO: "Colorado",
  CT: "Connecticut",
  DE: "Delaware",
  DC: "District of Columbia",
  FL: "Florida",
  GA: "Georgia",
  HI: "Hawaii",
  ID: "Idaho",
  IL: "Illinois",
  IN: "Indiana",
  IA: "Iowa",
  KS: "Kansas",
  KY: "Kentucky",
  LA: "Louisiana",
  ME: "Maine",
  MD: "Maryland",
  MA: "Massachusetts",
  MI: "Michigan",
  MN: "Minnesota",
  MS: "Mississippi",
  MO: "Missouri",
  MT: "Montana",
  NE: "Nebraska",
  NV: "Nevada",
  NH: "New Hampshire",
  NJ: "New Jersey",
  NM: "New Mexico",
  NY: "New York",
  NC: "North Carolina",
  ND: "North Dakota",
  OH: "Ohio",
  OK: "Oklahoma",
  OR: "Oregon",
  PA: "Pennsylvania",
  RI: "Rhode Island",
  SC: "South Carolina",
  SD: "South Dakota",
  TN: "Tennessee",
  TX: "Texas",
  UT: "Utah",
  VT: "Vermont",
  VA: "Virginia",
  WA: "Washington",
  WV: "West Virginia",
  WI: "Wisconsin",
  WY: "Wyoming",
} as const satisfies Record<string, string>;

export type UsStateCode = keyof typeof US_STATES;

/** The two-letter codes of {@link US_STATES}, in its order. */
export const US_STATE_CODES = Object.keys(US_STATES) as [UsStateCode, ...UsStateCode[]];

/**
 * Common values of `demographics.gender`. The field is free text (a persona may describe itself
 * otherwise); these are the values the population generator draws and the description templates know.
 */
export const GENDERS = ["woman", "man", "non-binary"] as const;

/** Yearly household income bands in US dollars. */
export const INCOME_BANDS = ["<25k", "25-50k", "50-100k", "100-200k", ">200k"] as const;

/** Who the shopper lives with; shapes what they buy and for whom. */
export const HOUSEHOLDS = [
  "single",
  "couple",
  "family with kids",
  "single parent",
  "roommates",
  "multigenerational",
  "retired couple",
  "retired single",
] as const;

/** Shopping-style traits, each 0..1 (0.5 = typical shopper). The heuristic shopper reads these. */
export const STYLE_TRAITS = [
  "patience",
  "price_sensitivity",
  "exploration",
  "brand_loyalty",
  "impulsiveness",
  "reading_depth",
] as const;

/** Big Five personality dimensions, each 0..1 (0.5 = population average). */
export const BIG_FIVE = [
  "openness",
  "conscientiousness",
  "extraversion",
  "agreeableness",
  "neuroticism",
] as const;

const unit = (what: string) =>
  z
    .number({ error: `expected a number from 0 to 1 for ${what}` })
    .min(0, `expected ${what} from 0 to 1`)
    .max(1, `expected ${what} from 0 to 1`);

const StateCode = z.enum(US_STATE_CODES, {
  error: (issue) => `expected a US state as a 2-letter code such as "CA", got ${JSON.stringify(issue.input)}`,
});
const Zip5 = z.string().regex(/^\d{5}$/, 'expected a 5-digit ZIP code such as "94103"');

export const DemographicsSchema = z
  .object({
    age: z.number().int("expected a whole number of years").min(18).max(99),
    /** Free text; see {@link GENDERS} for the values the generator and templates use. */
    gender: z.string().trim().min(1).max(40),
    income_band: z.enum(INCOME_BANDS),
    location: z.object({ city: z.string().trim().min(2).max(60), state: StateCode, zip: Zip5 }).strict(),
    occupation: z.string().trim().min(1).max(80),
    household: z.enum(HOUSEHOLDS),
  })
  .strict();

/** 0 = very little, 1 = a great deal. Unstated traits default to 0.5, the typical shopper. */
export const ShoppingStyleSchema = z
  .object({
    /** Willingness to keep searching, paginate and wait before giving up. */
    patience: unit("patience").default(0.5),
    /** How much price drives the choice (sorting by price, price filters, dropping pricey carts). */
    price_sensitivity: unit("price_sensitivity").default(0.5),
    /** Tendency to wander: open several products, browse categories, try other searches. */
    exploration: unit("exploration").default(0.5),
    /** Preference for brands already known and trusted. */
    brand_loyalty: unit("brand_loyalty").default(0.5),
    /** Tendency to buy on a whim, use "Buy now", add unplanned items. */
    impulsiveness: unit("impulsiveness").default(0.5),
    /** How much of a product page is read: 0 = title and price, 1 = every bullet and review. */
    reading_depth: unit("reading_depth").default(0.5),
  })
  .strict();

/** Big Five (OCEAN) scores, 0..1; unstated dimensions default to the population average 0.5. */
export const BigFiveSchema = z
  .object({
    openness: unit("openness").default(0.5),
    conscientiousness: unit("conscientiousness").default(0.5),
    extraversion: unit("extraversion").default(0.5),
    agreeableness: unit("agreeableness").default(0.5),
    neuroticism: unit("neuroticism").default(0.5),
  })
  .strict();

/**
 * Where orders ship. Stricter than (and so always accepted by) the sandbox shop's checkout form:
 * a real US state code, a 5-digit or ZIP+4 code, a phone of 7–20 digits and separators.
 */
export const ShippingAddressSchema = z
  .object({
    full_name: z.string().trim().min(2).max(80),
    email: z.email("expected an email address such as name@example.com"),
    address1: z.string().trim().min(3).max(120),
    address2: z.string().trim().max(120).optional(),
    city: z.string().trim().min(2).max(60),
    state: StateCode,
    zip: z.string().regex(/^\d{5}(-\d{4})?$/, 'expected a ZIP code such as "94103" or "94103-1234"'),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()-]{7,20}$/, 'expected a phone number of 7 to 20 digits, e.g. "(415) 555-0142"')
      .optional(),
  })
  .strict();

/** Luhn's check digit test, which every card number passes (and most typos fail). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * The card a shopper pays with where a checkout asks for one. Meant for payment gateways' test cards,
 * which a gateway in test mode accepts (or declines on purpose: Stripe's 4000 0000 0000 0002) and a
 * live one declines, so a simulated shopper can finish a staging shop's checkout and never pay for real.
 */
export const PaymentCardSchema = z
  .object({
    number: z
      .string()
      .trim()
      .refine(
        (n) => /^\d(?:[ -]?\d){11,18}$/.test(n) && luhnValid(n.replace(/[ -]/g, "")),
        'expected a card number of 12 to 19 digits that passes the Luhn check, such as the test card "4242 4242 4242 4242"',
      ),
    expiry: z
      .string()
      .trim()
      .regex(/^(0[1-9]|1[0-2]) ?\/ ?\d{2}$/, 'expected an expiry date as MM/YY, such as "12/30"'),
    cvc: z
      .string()
      .trim()
      .regex(/^\d{3,4}$/, 'expected a security code of 3 or 4 digits, such as "123"'),
  })
  .strict();

/**
 * What a persona pays with unless its file says otherwise: the test card that Stripe's, Shopify's and
 * other gateways' sandboxes accept and live gateways decline.
 */
export const TEST_CARD = { number: "4242 4242 4242 4242", expiry: "12 / 30", cvc: "123" } as const;

/**
 * Who is shopping. `description` is the text an LLM policy role-plays; demographics, style and
 * Big Five are structured for the heuristic shopper, sampling and analysis; `shipping_address` and
 * `payment_card` are what the shopper types at checkout.
 */
export const PersonaSchema = z
  .object({
    id: Id,
    name: z.string().trim().min(1).max(120),
    demographics: DemographicsSchema,
    style: ShoppingStyleSchema.default({
      patience: 0.5,
      price_sensitivity: 0.5,
      exploration: 0.5,
      brand_loyalty: 0.5,
      impulsiveness: 0.5,
      reading_depth: 0.5,
    }),
    big_five: BigFiveSchema.default({
      openness: 0.5,
      conscientiousness: 0.5,
      extraversion: 0.5,
      agreeableness: 0.5,
      neuroticism: 0.5,
    }),
    description: z.string().trim().min(1),
    shipping_address: ShippingAddressSchema,
    payment_card: PaymentCardSchema.default({ ...TEST_CARD }),
  })
  .strict();

/**
 * `targeted`: buy a specific kind of product (a goal with a target; scored WebShop-style).
 * `browse`: an open-ended intent ("see what's on offer, buy only if…"), with no fixed product.
 */
export const SCENARIO_KINDS = ["targeted", "browse"] as const;

/**
 * What the shopper is there to do, and where the session starts. `kind` defaults to `targeted`
 * when the goal has a target and `browse` when it has none. A browse scenario may still carry a
 * target without `product_id` (e.g. only `category` and `max_price`) to score what was bought.
 */
export const ScenarioSchema = z
  .object({
    id: Id,
    kind: z.enum(SCENARIO_KINDS).optional(),
    goal: GoalSchema,
    /** Path (or absolute URL) the session starts at. */
    start: z.string().min(1).default("/"),
    max_steps: z.number().int().min(1).max(500).default(30),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.kind === "targeted" && s.goal.target === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["goal", "target"],
        message: 'a "targeted" scenario needs goal.target; use kind "browse" for an open-ended intent',
      });
    }
    if (s.kind === "browse" && s.goal.target?.product_id !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["goal", "target", "product_id"],
        message: 'a "browse" scenario has no fixed product; remove product_id or use kind "targeted"',
      });
    }
  })
  .transform((s) => ({ ...s, kind: s.kind ?? (s.goal.target === undefined ? "browse" : "targeted") }));

/** Flags ids used more than once in a list, naming both positions. */
function uniqueIds(list: string) {
  return (items: readonly { id: string }[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.id);
      if (first === undefined) seen.set(item.id, i);
      else
        ctx.addIssue({
          code: "custom",
          path: [list, i, "id"],
          message: `duplicate id "${item.id}", already used by ${list}.${first}`,
        });
    });
  };
}

export const PersonaFileSchema = z
  .object({ personas: z.array(PersonaSchema).min(1) })
  .strict()
  .superRefine((f, ctx) => uniqueIds("personas")(f.personas, ctx));
export const ScenarioFileSchema = z
  .object({ scenarios: z.array(ScenarioSchema).min(1) })
  .strict()
  .superRefine((f, ctx) => uniqueIds("scenarios")(f.scenarios, ctx));

export type Demographics = z.infer<typeof DemographicsSchema>;
export type ShoppingStyle = z.infer<typeof ShoppingStyleSchema>;
export type BigFive = z.infer<typeof BigFiveSchema>;
export type ShippingAddress = z.infer<typeof ShippingAddressSchema>;
export type PaymentCard = z.infer<typeof PaymentCardSchema>;
export type Persona = z.infer<typeof PersonaSchema>;
/** A persona as written in a file (defaults not yet applied). */
export type PersonaInput = z.input<typeof PersonaSchema>;
export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];
export type IncomeBand = (typeof INCOME_BANDS)[number];
export type Household = (typeof HOUSEHOLDS)[number];
export type StyleTrait = (typeof STYLE_TRAITS)[number];
export type BigFiveTrait = (typeof BIG_FIVE)[number];
