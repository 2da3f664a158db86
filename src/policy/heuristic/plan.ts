import type { Goal } from "../../contracts/goal.ts";
import { formQuery } from "./query-model.ts";

/** What the shopper is after, read from the goal: the words to search, what to check, the budget. */
export interface Plan {
  /** Search queries to try, best first. */
  queries: string[];
  /** Words that describe the wanted product (type and attributes), for judging titles. */
  want: string;
  productType: string | null;
  attributes: string[];
  options: Record<string, string>;
  maxPrice: number | null;
  /** An open-ended intent: look around, buy only if something stands out. */
  browse: boolean;
  /** The lowest star rating the goal accepts ("at least 4 stars"), or null. */
  minRating: number | null;
}

const FILLER =
  /\b(see|shop|store|has|have|what|check out|look at|look for|things?|stuff|items?|i'?m|i am|i'?d|i would|i need|i want|i wanna|looking for|searching for|search for|find me|find|get me|buy|to buy|please|like|some|a|an|the|that|which|is|are|it|for me|something|maybe|really|just|only|if|see|what'?s|on offer|browse|look around|around)\b/g;
const INTENT =
  /\b(?:browse|look around|looking around|shop for|window-shopping for|compare|has for|from|for)\s+([^.;:!?]+)/gi;

function contentWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(PRICE, " ")
    .replace(/[^a-z0-9' -]/g, " ")
    .replace(FILLER, " ")
    .split(/\s+/)
    .filter((w) => w.length > 1 && !STOP.has(w));
}

const STOP = new Set(
  "and or with in of to on at buy only you your you're yourself today next week month about gift whatever would one something anything around particular don't need".split(
    " ",
  ),
);

const PRICE =
  /(?:under|below|lower than|less than|at most|no more than|within|up to|cheaper than|max(?:imum)?)\s*(?:of\s*)?\$?\s*(\d+(?:\.\d+)?)\s*(?:dollars|usd|bucks)?/i;

/** A price limit with the words that introduce it (", and price lower than 50 dollars"), or "$50 (at most)". */
const PRICE_PHRASE = new RegExp(
  `(?:,?\\s*(?:and\\s+)?(?:the\\s+)?(?:price[ds]?|costs?|costing|budget(?:\\s+is)?|keep(?:ing)?\\s+(?:it|the\\s+total))\\s+)?${PRICE.source}|\\$\\s?\\d+(?:\\.\\d+)?(?:\\s+(?:at most|or less|max(?:imum)?))?`,
  "gi",
);

/**
 * Words that make an instruction a browsing intent rather than a request for a product. None of
 * WebShop's 12,087 human instructions has one; every browsing intent sandbox-shop/scenarios.ts
 * writes and every one in scenarios/browse-intents.yaml does.
 */
const BROWSING =
  /\b(?:browse|browsing|look(?:ing)? around|window[- ]shopping|see what(?:'s| the shop| is)|have a look|compare|treat yourself|restock|what's new|curious)\b/i;

/** A browsing intent about nothing in particular: there is nothing to search for, only to look around. */
const TOPICLESS = /\b(?:anything|nothing) in particular\b|\bno particular\b|\bwhatever catches\b/i;

/** "at least 4 stars", "4 stars and up", "rated 4.5 or higher". */
const MIN_RATING =
  /\b(?:at least|minimum(?: of)?)\s*(\d(?:\.\d)?)\s*stars?\b|\b(\d(?:\.\d)?)\s*stars? (?:and|or) (?:up|above|more|better|higher)\b|\brated (\d(?:\.\d)?) or (?:more|better|higher)\b/i;

/** The instruction without its price limits: people rarely type a price into the search box. */
export function withoutPrice(instruction: string): string {
  return instruction.replace(PRICE_PHRASE, " ");
}

export function planFor(goal: Goal): Plan {
  const t = goal.target;
  const priceMatch = PRICE.exec(goal.instruction);
  const maxPrice = t?.max_price ?? (priceMatch?.[1] ? Number(priceMatch[1]) : null);
  const ratingMatch = MIN_RATING.exec(goal.instruction);
  const ratingText = ratingMatch?.[1] ?? ratingMatch?.[2] ?? ratingMatch?.[3];
  const minRating = ratingText ? Number(ratingText) : null;
  if (t?.product_type) {
    const attrs = t.attributes;
    const queries = [
      [attrs[0], t.product_type].filter(Boolean).join(" "),
      t.product_type,
      [...attrs, t.product_type].join(" "),
    ];
    return {
      queries: [...new Set(queries)],
      want: [t.product_type, ...attrs].join(" "),
      productType: t.product_type,
      attributes: attrs,
      options: t.options,
      maxPrice,
      browse: false,
      minRating,
    };
  }
  if (t === undefined && BROWSING.test(goal.instruction) && TOPICLESS.test(goal.instruction)) {
    // "Nothing in particular": no search, no subject to judge titles by; the shop's own showcases
    // and departments are where such a shopper looks.
    return {
      queries: [],
      want: "",
      productType: null,
      attributes: [],
      options: {},
      maxPrice,
      browse: true,
      minRating,
    };
  }
  // No product type. A product request ("i need a red mug for my office") is searched first with the
  // learned query model's query (query-model.ts: the words people keep when they turn such a request
  // into a search), formed without the price, which the shopper checks itself. A browsing intent
  // ("browse the kitchen shelf and buy something if…") is not what the model was fit on, so it, and
  // any request the model keeps nothing of, searches for the things named after "browse", "look
  // around", "for", "from"…, else the content words of the first sentence; these also serve as the
  // later searches of a product request.
  const modelQuery = BROWSING.test(goal.instruction) ? "" : formQuery(withoutPrice(goal.instruction));
  const phrases: string[] = [];
  for (const m of goal.instruction.matchAll(INTENT)) {
    for (const item of (m[1] ?? "").split(/,|\band\b|\bor\b|\bfor\b|\bthen\b/i)) {
      const words = contentWords(item).slice(0, 3);
      if (words.length > 0) phrases.push(words.join(" "));
    }
  }
  const firstSentence = goal.instruction.split(/[.!?](?:\s|$)/)[0] ?? goal.instruction;
  if (phrases.length === 0) phrases.push(contentWords(firstSentence).slice(0, 4).join(" "));
  const queries = [...new Set([modelQuery, ...phrases].filter(Boolean))].slice(0, 3);
  const query = queries[0] ?? "";
  const attributes = t?.attributes ?? [];
  return {
    queries,
    want: [query, ...attributes].join(" "),
    productType: null,
    attributes,
    options: t?.options ?? {},
    maxPrice,
    browse: t === undefined,
    minRating,
  };
}
