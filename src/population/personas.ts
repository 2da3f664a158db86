/**
 * Sampling a population of personas from configurable distributions, deterministic for a seed.
 *
 * Defaults ({@link DEFAULT_DISTRIBUTIONS}; every key can be overridden from a YAML file, see
 * {@link DistributionsSchema}):
 *
 * - **age**: weighted bands (roughly the US adult population): 18–24: 12, 25–34: 18, 35–44: 17,
 *   45–54: 16, 55–64: 16, 65–74: 13, 75–90: 8; uniform within a band.
 * - **gender**: woman 0.49, man 0.48, non-binary 0.03.
 * - **income band**: <25k 0.17, 25-50k 0.20, 50-100k 0.29, 100-200k 0.24, >200k 0.10. Shoppers under
 *   23 are drawn from <25k and 25-50k only.
 * - **household**: weighted, each with an age range it is possible in (e.g. "retired couple" 62+,
 *   "roommates" 18–35, "family with kids" 24–58); drawn among those possible at the sampled age.
 * - **location**: a table of real city / state / ZIP / area-code rows ({@link US_LOCATIONS}), weighted by
 *   rough metro size, so address, ZIP and phone agree.
 * - **occupation**: from the income band (students under 23 often, "retired …" from 67 or in a
 *   retired household).
 * - **style traits** (patience, price_sensitivity, exploration, brand_loyalty, impulsiveness,
 *   reading_depth): normal with mean 0.5, sd 0.18, truncated to 0..1 (redrawn when outside), after
 *   adding the shifts of every matching segment ({@link DEFAULT_SEGMENTS}: low income → more
 *   price-sensitive, 65+ → more patient and thorough, under 30 → more impulsive, parents → less patient…).
 * - **Big Five**: normal around 0.5 with sd 0.15, truncated to 0..1; segments may shift them too.
 *
 * Names, streets and secondary addresses come from a faker instance seeded with the same seed; all
 * numbers come from a separate mulberry32 stream. Persona k depends only on the seed and k, so the first
 * N personas of a larger population are the population of N (ids are zero-padded to at least 3 digits,
 * more when N has more digits).
 */
import { base, en, en_US, Faker } from "@faker-js/faker";
import { z } from "zod";
import { loadYamlFile } from "../config/files.ts";
import { InputError, parseOrThrow } from "../contracts/errors.ts";
import {
  BIG_FIVE,
  type BigFiveTrait,
  HOUSEHOLDS,
  type Household,
  INCOME_BANDS,
  type IncomeBand,
  type Persona,
  PersonaSchema,
  STYLE_TRAITS,
  type StyleTrait,
  US_STATE_CODES,
} from "../contracts/scenario.ts";
import { mulberry32, pick, type Rng } from "../random.ts";
import { US_LOCATIONS } from "./locations.ts";

// ---------------------------------------------------------------------------------------------
// Distributions (the schema of a user's distributions file)

const Weight = z.number().min(0, "expected a weight ≥ 0");
const Unit = z.number().min(0, "expected a number from 0 to 1").max(1, "expected a number from 0 to 1");
const Age = z.number().int("expected a whole number of years").min(18).max(99);

const TraitDistSchema = z
  .object({ mean: Unit, sd: z.number().min(0).max(0.5, "expected a standard deviation from 0 to 0.5") })
  .strict();

const AgeBandSchema = z
  .object({ min: Age, max: Age, weight: Weight })
  .strict()
  .refine((b) => b.min <= b.max, { message: "expected min ≤ max", path: ["max"] });

const HouseholdDistSchema = z
  .object({ weight: Weight, min_age: Age.optional(), max_age: Age.optional() })
  .strict();

const LocationSchema = z
  .object({
    city: z.string().trim().min(2).max(60),
    state: z.enum(US_STATE_CODES, { error: 'expected a US state as a 2-letter code such as "CA"' }),
    zip: z.string().regex(/^\d{5}$/, 'expected a 5-digit ZIP code such as "94103"'),
    area_code: z
      .string()
      .regex(/^[2-9]\d{2}$/, 'expected a 3-digit area code such as "415"')
      .default("555"),
    weight: Weight.default(1),
  })
  .strict();

/** A message for unknown keys that lists the known ones. */
const knownKeys = (what: string, keys: readonly string[]) => ({
  error: (issue: { code?: string; keys?: string[] }) =>
    issue.code === "unrecognized_keys"
      ? `unknown ${what} ${(issue.keys ?? []).map((k) => `"${k}"`).join(", ")}; expected one of ${keys.join(", ")}`
      : undefined,
});

const ShiftableTrait = z.enum([...STYLE_TRAITS, ...BIG_FIVE]);

const SegmentSchema = z
  .object({
    /** Short label, for documentation only. */
    name: z.string().min(1),
    when: z
      .object({
        min_age: Age.optional(),
        max_age: Age.optional(),
        income_bands: z.array(z.enum(INCOME_BANDS)).min(1).optional(),
        households: z.array(z.enum(HOUSEHOLDS)).min(1).optional(),
        genders: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict(),
    /** Added to the trait's mean for personas in the segment. */
    shift: z.partialRecord(
      ShiftableTrait,
      z.number().min(-1).max(1),
      knownKeys("trait", [...STYLE_TRAITS, ...BIG_FIVE]),
    ),
  })
  .strict();

/**
 * A distributions file: every key is optional and overrides the default of the same name.
 * Lists (`age_bands`, `locations`, `segments`) replace the default list; maps (`genders`,
 * `income_bands`, `households`, `style`, `big_five`) are merged key by key (set a weight to 0 to
 * drop a default entry).
 */
export const DistributionsSchema = z
  .object({
    age_bands: z.array(AgeBandSchema).min(1).optional(),
    genders: z.record(z.string().trim().min(1), Weight).optional(),
    income_bands: z
      .partialRecord(z.enum(INCOME_BANDS), Weight, knownKeys("income band", INCOME_BANDS))
      .optional(),
    households: z
      .partialRecord(z.enum(HOUSEHOLDS), HouseholdDistSchema, knownKeys("household", HOUSEHOLDS))
      .optional(),
    locations: z.array(LocationSchema).min(1).optional(),
    style: z
      .partialRecord(z.enum(STYLE_TRAITS), TraitDistSchema, knownKeys("style trait", STYLE_TRAITS))
      .optional(),
    big_five: z
      .partialRecord(z.enum(BIG_FIVE), TraitDistSchema, knownKeys("Big Five trait", BIG_FIVE))
      .optional(),
    segments: z.array(SegmentSchema).optional(),
  })
  .strict();

export type DistributionsInput = z.input<typeof DistributionsSchema>;
export type Segment = z.infer<typeof SegmentSchema>;

/** Distributions with every key filled in. */
export interface Distributions {
  age_bands: { min: number; max: number; weight: number }[];
  genders: Record<string, number>;
  income_bands: Record<IncomeBand, number>;
  households: Record<Household, { weight: number; min_age: number; max_age: number }>;
  locations: { city: string; state: string; zip: string; area_code: string; weight: number }[];
  style: Record<StyleTrait, { mean: number; sd: number }>;
  big_five: Record<BigFiveTrait, { mean: number; sd: number }>;
  segments: Segment[];
}

const traits = <K extends string>(keys: readonly K[], mean: number, sd: number) =>
  Object.fromEntries(keys.map((k) => [k, { mean, sd }])) as Record<K, { mean: number; sd: number }>;

/** Trait shifts applied on top of the means, for every segment a persona falls in. */
export const DEFAULT_SEGMENTS: readonly Segment[] = [
  { name: "low income", when: { income_bands: ["<25k"] }, shift: { price_sensitivity: 0.25 } },
  { name: "lower-middle income", when: { income_bands: ["25-50k"] }, shift: { price_sensitivity: 0.12 } },
  { name: "upper income", when: { income_bands: ["100-200k"] }, shift: { price_sensitivity: -0.1 } },
  {
    name: "high income",
    when: { income_bands: [">200k"] },
    shift: { price_sensitivity: -0.25, brand_loyalty: 0.1 },
  },
  {
    name: "young adult",
    when: { max_age: 29 },
    shift: { impulsiveness: 0.12, exploration: 0.08, reading_depth: -0.08, patience: -0.05 },
  },
  {
    name: "senior",
    when: { min_age: 65 },
    shift: { patience: 0.12, reading_depth: 0.15, impulsiveness: -0.12, brand_loyalty: 0.12 },
  },
  {
    name: "parents",
    when: { households: ["family with kids", "single parent"] },
    shift: { patience: -0.1, price_sensitivity: 0.08, exploration: -0.05 },
  },
];

export const DEFAULT_DISTRIBUTIONS: Readonly<Distributions> = {
  age_bands: [
    { min: 18, max: 24, weight: 12 },
    { min: 25, max: 34, weight: 18 },
    { min: 35, max: 44, weight: 17 },
    { min: 45, max: 54, weight: 16 },
    { min: 55, max: 64, weight: 16 },
    { min: 65, max: 74, weight: 13 },
    { min: 75, max: 90, weight: 8 },
  ],
  genders: { woman: 0.49, man: 0.48, "non-binary": 0.03 },
  income_bands: { "<25k": 0.17, "25-50k": 0.2, "50-100k": 0.29, "100-200k": 0.24, ">200k": 0.1 },
  households: {
    single: { weight: 0.2, min_age: 18, max_age: 99 },
    couple: { weight: 0.2, min_age: 20, max_age: 99 },
    "family with kids": { weight: 0.27, min_age: 24, max_age: 58 },
    "single parent": { weight: 0.07, min_age: 20, max_age: 58 },
    roommates: { weight: 0.08, min_age: 18, max_age: 35 },
    multigenerational: { weight: 0.06, min_age: 18, max_age: 99 },
    "retired couple": { weight: 0.08, min_age: 62, max_age: 99 },
    "retired single": { weight: 0.04, min_age: 62, max_age: 99 },
  },
  locations: US_LOCATIONS.map((l) => ({ ...l })),
  style: traits(STYLE_TRAITS, 0.5, 0.18),
  big_five: traits(BIG_FIVE, 0.5, 0.15),
  segments: [...DEFAULT_SEGMENTS],
};

/** Merges a (validated) override onto the defaults; see {@link DistributionsSchema} for the rules. */
export function resolveDistributions(
  override: DistributionsInput = {},
  where = "distributions",
): Distributions {
  const o = parseOrThrow(DistributionsSchema, override, where);
  const d = DEFAULT_DISTRIBUTIONS;
  const households = { ...d.households };
  for (const [name, h] of Object.entries(o.households ?? {}) as [
    Household,
    z.infer<typeof HouseholdDistSchema>,
  ][]) {
    households[name] = { ...households[name], ...h };
  }
  const resolved: Distributions = {
    age_bands: o.age_bands ?? d.age_bands,
    genders: { ...d.genders, ...o.genders },
    income_bands: { ...d.income_bands, ...o.income_bands },
    households,
    locations: o.locations ?? d.locations,
    style: { ...d.style, ...o.style },
    big_five: { ...d.big_five, ...o.big_five },
    segments: o.segments ?? d.segments,
  };
  const totals: [field: string, weights: number[]][] = [
    ["age_bands", resolved.age_bands.map((b) => b.weight)],
    ["genders", Object.values(resolved.genders)],
    ["income_bands", Object.values(resolved.income_bands)],
    ["households", Object.values(resolved.households).map((h) => h.weight)],
    ["locations", resolved.locations.map((l) => l.weight)],
  ];
  for (const [field, weights] of totals) {
    if (!weights.some((w) => w > 0)) {
      throw new InputError(`${where}: ${field}`, "expected at least one entry with weight > 0");
    }
  }
  for (const [name, h] of Object.entries(resolved.households)) {
    if (h.min_age > h.max_age) {
      throw new InputError(
        `${where}: households.${name}`,
        `expected min_age ≤ max_age, got ${h.min_age} > ${h.max_age}`,
      );
    }
  }
  return resolved;
}

/** Reads a distributions YAML file; errors name the file and the field. */
export async function loadDistributionsFile(path: string): Promise<DistributionsInput> {
  const data = await loadYamlFile(path, DistributionsSchema.nullable());
  const input = data ?? {};
  resolveDistributions(input, path);
  return input;
}

// ---------------------------------------------------------------------------------------------
// Sampling

export interface GeneratePersonasOptions {
  n: number;
  seed: number;
  /** Overrides of {@link DEFAULT_DISTRIBUTIONS} (e.g. from {@link loadDistributionsFile}). */
  distributions?: DistributionsInput;
  /** Prefix of persona ids (default "gen-<seed>"); ids are `<prefix>-<index>`. */
  idPrefix?: string;
}

/** Samples `n` personas; the same options always give the same personas. */
export function generatePersonas(opts: GeneratePersonasOptions): Persona[] {
  if (!Number.isInteger(opts.n) || opts.n < 0) {
    throw new InputError("generatePersonas n", `expected a whole number ≥ 0, got ${opts.n}`);
  }
  if (!Number.isInteger(opts.seed) || opts.seed < 0) {
    throw new InputError("generatePersonas seed", `expected a whole number ≥ 0, got ${opts.seed}`);
  }
  const dist = resolveDistributions(opts.distributions ?? {});
  const prefix = opts.idPrefix ?? `gen-${opts.seed}`;
  const width = Math.max(3, String(opts.n).length);
  const faker = new Faker({ locale: [en_US, en, base] });
  faker.seed(opts.seed);
  const rng = mulberry32(opts.seed);
  const out: Persona[] = [];
  for (let k = 0; k < opts.n; k++) {
    out.push(samplePersona(`${prefix}-${String(k + 1).padStart(width, "0")}`, dist, rng, faker));
  }
  return out;
}

function samplePersona(id: string, dist: Distributions, rng: Rng, faker: Faker): Persona {
  const band = weighted(dist.age_bands, (b) => b.weight, rng);
  const age = band.min + Math.floor(rng() * (band.max - band.min + 1));
  const gender = weighted(Object.entries(dist.genders), ([, w]) => w, rng)[0];

  let incomes = INCOME_BANDS.filter((b) => dist.income_bands[b] > 0);
  if (age < 23) {
    const young = incomes.filter((b) => b === "<25k" || b === "25-50k");
    incomes = young.length > 0 ? young : incomes;
  }
  const income_band = weighted(incomes, (b) => dist.income_bands[b], rng);

  const possible = HOUSEHOLDS.filter((h) => {
    const d = dist.households[h];
    return d.weight > 0 && age >= d.min_age && age <= d.max_age;
  });
  const household: Household =
    possible.length > 0 ? weighted(possible, (h) => dist.households[h].weight, rng) : "single";

  const location = weighted(dist.locations, (l) => l.weight, rng);
  const occupation = sampleOccupation(age, income_band, household, rng);

  const segments = dist.segments.filter((s) => inSegment(s, { age, income_band, household, gender }));
  const shifted = (trait: StyleTrait | BigFiveTrait, mean: number) =>
    clamp01(mean + segments.reduce((sum, s) => sum + (s.shift[trait] ?? 0), 0));
  const style = Object.fromEntries(
    STYLE_TRAITS.map((t) => [t, truncatedNormal(shifted(t, dist.style[t].mean), dist.style[t].sd, rng)]),
  ) as Record<StyleTrait, number>;
  const big_five = Object.fromEntries(
    BIG_FIVE.map((t) => [t, truncatedNormal(shifted(t, dist.big_five[t].mean), dist.big_five[t].sd, rng)]),
  ) as Record<BigFiveTrait, number>;

  const sex = gender === "woman" ? "female" : gender === "man" ? "male" : rng() < 0.5 ? "female" : "male";
  const first = faker.person.firstName(sex);
  const last = faker.person.lastName();
  const full_name = `${first} ${last}`;
  const address1 = faker.location.streetAddress();
  const address2 = rng() < 0.3 ? faker.location.secondaryAddress() : undefined;
  const handle = [first, last].map(asciiLower).filter((s) => s !== "");
  const email = `${handle.join(".") || "shopper"}${Math.floor(rng() * 90) + 10}@example.com`;
  const phone = `(${location.area_code}) 555-01${String(Math.floor(rng() * 100)).padStart(2, "0")}`;

  const persona = {
    id,
    name: full_name,
    demographics: {
      age,
      gender,
      income_band,
      location: { city: location.city, state: location.state, zip: location.zip },
      occupation,
      household,
    },
    style,
    big_five,
    description: describePersona({
      first,
      age,
      gender,
      income_band,
      household,
      occupation,
      city: location.city,
      state: location.state,
      style,
      big_five,
    }),
    shipping_address: {
      full_name,
      email,
      address1,
      ...(address2 === undefined ? {} : { address2 }),
      city: location.city,
      state: location.state,
      zip: location.zip,
      phone,
    },
  };
  return parseOrThrow(PersonaSchema, persona, `generated persona ${id}`);
}

function inSegment(
  s: Segment,
  p: { age: number; income_band: IncomeBand; household: Household; gender: string },
): boolean {
  const w = s.when;
  if (w.min_age !== undefined && p.age < w.min_age) return false;
  if (w.max_age !== undefined && p.age > w.max_age) return false;
  if (w.income_bands && !w.income_bands.includes(p.income_band)) return false;
  if (w.households && !w.households.includes(p.household)) return false;
  if (w.genders && !w.genders.includes(p.gender)) return false;
  return true;
}

const OCCUPATIONS: Readonly<Record<IncomeBand, readonly string[]>> = {
  "<25k": [
    "barista",
    "retail associate",
    "home health aide",
    "line cook",
    "part-time cashier",
    "delivery driver",
    "childcare worker",
    "dog walker",
  ],
  "25-50k": [
    "warehouse associate",
    "medical assistant",
    "hair stylist",
    "bus driver",
    "administrative assistant",
    "preschool teacher",
    "call center agent",
    "bank teller",
    "pharmacy technician",
  ],
  "50-100k": [
    "registered nurse",
    "high school teacher",
    "electrician",
    "accountant",
    "graphic designer",
    "police officer",
    "social worker",
    "sales manager",
    "HVAC technician",
    "librarian",
  ],
  "100-200k": [
    "software engineer",
    "pharmacist",
    "marketing director",
    "civil engineer",
    "physician assistant",
    "product manager",
    "attorney",
    "data scientist",
  ],
  ">200k": [
    "surgeon",
    "corporate lawyer",
    "business owner",
    "investment banker",
    "software architect",
    "dentist",
    "hospital administrator",
  ],
};

const RETIRED_FROM = [
  "school teacher",
  "nurse",
  "mail carrier",
  "machinist",
  "accountant",
  "engineer",
  "bookkeeper",
  "police officer",
  "small-business owner",
  "librarian",
];

function sampleOccupation(age: number, income: IncomeBand, household: Household, rng: Rng): string {
  if (age < 23 && rng() < 0.6) {
    return pick(
      ["college student", "community college student", "nursing student", "trade school student"],
      rng,
    );
  }
  if (age >= 67 || household === "retired couple" || household === "retired single") {
    return `retired ${pick(RETIRED_FROM, rng)}`;
  }
  return pick(OCCUPATIONS[income], rng);
}

// ---------------------------------------------------------------------------------------------
// Descriptions

interface Pronouns {
  subj: string;
  obj: string;
  poss: string;
  /** Picks the verb form: third person singular ("sorts") or plural ("sort", for they). */
  v: (singular: string, plural: string) => string;
}

function pronouns(gender: string): Pronouns {
  if (gender === "woman") return { subj: "she", obj: "her", poss: "her", v: (s) => s };
  if (gender === "man") return { subj: "he", obj: "him", poss: "his", v: (s) => s };
  return { subj: "they", obj: "them", poss: "their", v: (_s, p) => p };
}

const INCOME_PHRASE: Readonly<Record<IncomeBand, string>> = {
  "<25k": "under $25k",
  "25-50k": "of $25–50k",
  "50-100k": "of $50–100k",
  "100-200k": "of $100–200k",
  ">200k": "over $200k",
};

function householdClause(h: Household, p: Pronouns): string {
  switch (h) {
    case "single":
      return "living alone";
    case "couple":
      return `living with ${p.poss} partner`;
    case "family with kids":
      return `living with ${p.poss} partner and their kids`;
    case "single parent":
      return `raising ${p.poss} kids on ${p.poss} own`;
    case "roommates":
      return "sharing an apartment with roommates";
    case "multigenerational":
      return `sharing a house with ${p.poss} parents and extended family`;
    case "retired couple":
      return `living with ${p.poss} spouse`;
    case "retired single":
      return `living on ${p.poss} own`;
  }
}

/** A short, readable role-play paragraph composed from the sampled attributes. */
export function describePersona(a: {
  first: string;
  age: number;
  gender: string;
  income_band: IncomeBand;
  household: Household;
  occupation: string;
  city: string;
  state: string;
  style: Record<StyleTrait, number>;
  big_five: Record<BigFiveTrait, number>;
}): string {
  const p = pronouns(a.gender);
  const S = cap(p.subj);
  const s = a.style;
  const tight = a.income_band === "<25k" || a.income_band === "25-50k";
  const sentences = [
    `${a.first} is ${/^(8|11$|18$)/.test(String(a.age)) ? "an" : "a"} ${a.age}-year-old ${a.occupation} in ${a.city}, ${a.state}, ${householdClause(a.household, p)}, with a household income ${INCOME_PHRASE[a.income_band]}.`,
  ];

  if (s.price_sensitivity >= 0.67) {
    sentences.push(
      tight
        ? `Money is tight, so ${p.subj} ${p.v("sorts", "sort")} by price, ${p.v("sets", "set")} price filters and ${p.v("drops", "drop")} a cart when shipping pushes the total up.`
        : `${S} ${p.v("hates", "hate")} overpaying and ${p.v("compares", "compare")} prices across several results before choosing.`,
    );
  } else if (s.price_sensitivity <= 0.33) {
    sentences.push(
      tight
        ? `${S} will pay a little more for something that lasts.`
        : `Price rarely decides it: ${p.subj} ${p.v("pays", "pay")} for quality and convenience.`,
    );
  } else {
    sentences.push(
      `${S} ${p.v("keeps", "keep")} an eye on price but ${p.v("doesn't", "don't")} chase the last dollar.`,
    );
  }

  const extremes: [number, string][] = [];
  const add = (value: number, high: string, low: string) => {
    if (value >= 0.67) extremes.push([value - 0.5, high]);
    else if (value <= 0.33) extremes.push([0.5 - value, low]);
  };
  add(
    s.patience,
    `${S} ${p.v("is", "are")} patient with a long results list and will page through it or refine the search before settling.`,
    `${S} ${p.v("has", "have")} little patience for online shopping and ${p.v("gives", "give")} up quickly when the first results miss.`,
  );
  add(
    s.exploration,
    `${S} ${p.v("likes", "like")} to browse, opening several products and wandering into related categories.`,
    `${S} ${p.v("goes", "go")} straight to the search box, ${p.v("types", "type")} exactly what ${p.subj} ${p.v("needs", "need")} and ${p.v("ignores", "ignore")} the rest.`,
  );
  add(
    s.brand_loyalty,
    `${S} ${p.v("sticks", "stick")} with brands ${p.subj} already ${p.v("trusts", "trust")}.`,
    `Brand names mean little to ${p.obj}.`,
  );
  add(
    s.impulsiveness,
    `${S} often ${p.v("buys", "buy")} on a whim when something catches ${p.poss} eye, and ${p.v("likes", "like")} a quick "Buy now".`,
    `${S} rarely ${p.v("buys", "buy")} anything that was not on ${p.poss} list.`,
  );
  add(
    s.reading_depth,
    `Before buying, ${p.subj} ${p.v("reads", "read")} the bullet points and a good number of reviews and ${p.v("checks", "check")} every requirement.`,
    `${S} ${p.v("skims", "skim")} titles, prices and star ratings and rarely ${p.v("opens", "open")} the reviews.`,
  );
  const b = a.big_five;
  add(
    b.neuroticism,
    `${S} ${p.v("worries", "worry")} about making the wrong choice and ${p.v("second-guesses", "second-guess")} a purchase.`,
    `${S} ${p.v("stays", "stay")} calm when a site misbehaves.`,
  );
  add(
    b.openness,
    `${S} ${p.v("enjoys", "enjoy")} trying products ${p.subj} ${p.v("hasn't", "haven't")} used before.`,
    `${S} ${p.v("prefers", "prefer")} what is familiar.`,
  );
  add(
    b.conscientiousness,
    `${S} ${p.v("is", "are")} organized and ${p.v("likes", "like")} to get the details exactly right.`,
    `${S} can be a little careless with details like sizes and quantities.`,
  );
  extremes.sort((x, y) => y[0] - x[0]);
  sentences.push(...extremes.slice(0, 4).map(([, text]) => text));
  if (extremes.length === 0)
    sentences.push(`${S} ${p.v("shops", "shop")} like most people: a search, a few clicks, and a decision.`);
  return sentences.join(" ");
}

// ---------------------------------------------------------------------------------------------
// Random helpers

function weighted<T>(items: readonly T[], weight: (item: T) => number, rng: Rng): T {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  let r = rng() * total;
  for (const item of items) {
    r -= weight(item);
    if (r < 0) return item;
  }
  return items.filter((i) => weight(i) > 0).at(-1) ?? items[items.length - 1]!;
}

/** Normal(mean, sd) redrawn until inside 0..1 (clamped after 20 tries), rounded to 2 decimals. */
function truncatedNormal(mean: number, sd: number, rng: Rng): number {
  let x = mean;
  for (let i = 0; i < 20; i++) {
    const u = 1 - rng();
    const v = rng();
    x = mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    if (x >= 0 && x <= 1) break;
  }
  return Math.round(clamp01(x) * 100) / 100;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function asciiLower(s: string): string {
  return s
    .normalize("NFD")
    .toLowerCase()
    .replace(/[^a-z]/g, "");
}
