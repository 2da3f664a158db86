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
  /** The lowest star rating the goal accepts ("at least 4 stars", "good reviews"), or null. */
  minRating: number | null;
  /**
   * A browsing intent's kinds of product, any of which will do: "a serum, a moisturizer or a new hair
   * dryer" → serum, moisturizer, hair dryer. Empty when it names none ("browse Home & Kitchen").
   */
  kinds: string[];
  /** A department a browsing intent names in the shop's own words ("Look around Sports & Outdoors"). */
  department: string | null;
  /** False for window-shopping ("… and don't buy anything"): look and compare, then leave. */
  buys: boolean;
  /** Compare a few before choosing ("compare tents…", "buy the one you like best"). */
  compares: boolean;
  /** Buy only a bargain ("only if it is a real bargain"): well under what the listing's products cost. */
  bargain: boolean;
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
  const roughPrice = ROUGH_PRICE.exec(goal.instruction);
  const maxPrice =
    t?.max_price ??
    (priceMatch?.[1]
      ? Number(priceMatch[1])
      : roughPrice?.[1]
        ? Math.round(Number(roughPrice[1]) * ROUGH_GIVE * 100) / 100
        : null);
  const ratingMatch = MIN_RATING.exec(goal.instruction);
  const ratingText = ratingMatch?.[1] ?? ratingMatch?.[2] ?? ratingMatch?.[3];
  const minRating = ratingText
    ? Number(ratingText)
    : GOOD_REVIEWS.test(goal.instruction)
      ? GOOD_RATING
      : null;
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
      kinds: [],
      department: null,
      buys: true,
      compares: false,
      bargain: false,
    };
  }
  if (t === undefined && BROWSING.test(goal.instruction))
    return browsePlan(goal.instruction, maxPrice, minRating);
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
    kinds: [],
    department: null,
    buys: true,
    compares: false,
    bargain: false,
  };
}

/**
 * "… and don't buy anything", "just looking": a shopper who will not buy today. The refusal must end
 * its clause: "don't buy anything over $20" is a limit, not a refusal.
 */
const NEVER_BUYS =
  /\b(?:(?:don'?t|do not|won'?t|will not|not going to|no need to|not planning to|not looking to)\s+(?:buy|purchase|order)(?:\s+(?:anything|a thing))?|buy nothing)(?=\s*(?:[.,;:!?)]|$)|\s+(?:today|yet|now|this time|for now)\b)|\bwithout (?:buying|purchasing)\b|\bjust (?:looking|browsing)\b/i;

/** Choosing after a comparison: "compare a few", "buy the one you like best", "the best-reviewed one", "the nicest". */
const COMPARES = /\bcompare\b|\bthe one\b[^.;]*\b(?:best|most)\b|\bbest[- ]\w+ one\b|\bnicest\b/i;

/** "only if it is a real bargain", "a great deal". */
const BARGAIN = /\bbargains?\b|\bgreat (?:deal|price)\b|\bsteal\b/i;

/** "good reviews", "well reviewed", "highly rated": read as four stars or more. */
const GOOD_REVIEWS =
  /\b(?:good|great|excellent|solid|strong|positive) (?:reviews|ratings)\b|\bwell[- ](?:reviewed|rated)\b|\bhighly rated\b/i;
const GOOD_RATING = 4;

/** "around $30", "about $100": a budget with some give (a fifth more). */
const ROUGH_PRICE = /\b(?:around|about|roughly|approximately)\s*\$\s?(\d+(?:\.\d+)?)/i;
const ROUGH_GIVE = 1.2;

/** Where an intent says to look: "Browse Home & Kitchen", "from the Toys & Games department", "new in Electronics". */
const PLACE_CUE = /\b(?:browse|browsing|look(?:ing)? around|explore|from|in)\s+(?:the\s+)?/gi;
/** A department as shops name one: capitalised words, maybe joined by "&" or "and" ("Grocery & Gourmet Food"). */
const DEPARTMENT = /^[A-Z][\w'-]*(?:(?:\s*&\s*|\s+and\s+|\s+)[A-Z][\w'-]*)*/;

/** What introduces the things an intent is about; the explicit ones name kinds of product for sure. */
const KIND_CUE =
  /\b(?:browse|browsing|look(?:ing)? around|have a look at|look at|(?:window[- ])?shopping for|in the market for|for|compare|comparing|open to|if there (?:is|are)|if they have|such as|find)\s+/gi;
const EXPLICIT_CUE = /^(?:compare|comparing|open to|if there|if they have|such as)/i;
/** The end of a word that is not joined to the next by a hyphen ("over-ear" is not "over"). */
const WORD_END = "(?=[\\s,.;:!?]|$)";
/** The words that start the next clause of an intent ("…, and buy the one…", "…, not going to buy"). */
const NEXT_CLAUSE = `(?:buy|see|pick|get|keep|look|compare|choose|find|check|don'?t|do|only|browse|read|decide|go|treat|spend|not|no|never|without|just|maybe|i|i'm|i'll|you|you're|we|it|it's|they)${WORD_END}`;
/** Where a list of things ends: a sentence break, a qualifier ("with good reviews", "under $40"), the next clause. */
const KIND_END = new RegExp(
  `[.;:!?()]|(?:^|\\s)(?:with|under|below|over|around|about|that|which|who|if|to|on|at|in|from|for|by|until|while|today|tonight|this|next|so|but|because)${WORD_END}|,?\\s+(?:and|or|then)\\s+(?=${NEXT_CLAUSE})|,\\s*(?=${NEXT_CLAUSE})`,
  "i",
);
/** Words before a kind that say nothing a title could confirm: "a durable chew toy" is a chew toy. */
const LEAD = new Set(
  "a an the some any new nice nicest good great best durable comfortable solid decent quality cheap affordable few couple of your my our his her their more other different cool fancy really".split(
    " ",
  ),
);
/** Words after a kind that name the shelf, not the product: "the gel pens selection". */
const SHELF = new Set(
  "selection options range section aisle department collection category shelf".split(" "),
);
/**
 * An item with one of these is not a kind of product: a gift, something, a few, prices and features,
 * or whom it is for ("fun for the whole family").
 */
const NOT_A_KIND = new Set(
  "gift gifts something anything everything nothing thing things stuff item items product products one ones few pair choice while whatever price prices feature features review reviews rating ratings quality value deal deals brand brands size sizes color colors colour colours spec specs battery life option options shop store is are be was family whole everyone people me myself yourself him them friend friends kid kids child children nephew niece son daughter mom dad mother father wife husband partner baby toddler teen teenager".split(
    " ",
  ),
);

/** The kinds of product named in one list ("tents, backpacks and water bottles"), cleaned. */
function kindsIn(list: string): string[] {
  const kinds: string[] = [];
  for (const item of list.split(/\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|nor|and\/or)\s+/i)) {
    const words = item
      .toLowerCase()
      .replace(/&/g, " ")
      .replace(/[^a-z0-9' -]/g, " ")
      .split(/\s+/)
      .filter(Boolean);
    while (words.length > 0 && LEAD.has(words[0]!)) words.shift();
    while (words.length > 0 && SHELF.has(words.at(-1)!)) words.pop();
    if (words.length === 0 || words.length > 3) continue;
    if (words.some((w) => NOT_A_KIND.has(w) || /\d/.test(w))) continue;
    kinds.push(words.join(" "));
  }
  return kinds;
}

/**
 * A browsing intent, read for what a person would take from it: the kinds of product it names (any
 * of them will do), a department it names, whether to buy at all, and whether to compare first.
 * "See what the shop has for dogs. If there is a durable chew toy or a comfortable bed with good
 * reviews under $40, buy it." → kinds chew toy and bed, searched as "dog chew toy" and "dog bed".
 */
function browsePlan(instruction: string, maxPrice: number | null, minRating: number | null): Plan {
  const intent = {
    productType: null,
    attributes: [],
    options: {},
    maxPrice,
    browse: true,
    minRating,
    buys: !NEVER_BUYS.test(instruction),
    compares: COMPARES.test(instruction),
    bargain: BARGAIN.test(instruction),
  };
  // "Nothing in particular": no search, no subject to judge titles by; the shop's own showcases
  // and departments are where such a shopper looks.
  if (TOPICLESS.test(instruction)) return { ...intent, queries: [], want: "", kinds: [], department: null };
  let department: string | null = null;
  let rest = instruction;
  for (const m of instruction.matchAll(PLACE_CUE)) {
    const at = (m.index ?? 0) + m[0].length;
    const name = DEPARTMENT.exec(instruction.slice(at))?.[0];
    if (!name) continue;
    department = name.replace(/\s+(?:Department|Section|Aisle|Category)$/, "");
    rest = `${instruction.slice(0, at)} ${instruction.slice(at + name.length)}`;
    break;
  }
  // Each list of things the intent names, and whether its cue names kinds of product for sure.
  const lists: { explicit: boolean; kinds: string[] }[] = [];
  for (const m of rest.matchAll(KIND_CUE)) {
    const from = (m.index ?? 0) + m[0].length;
    const tail = rest.slice(from);
    const end = KIND_END.exec(tail);
    const kinds = kindsIn(end ? tail.slice(0, end.index) : tail);
    if (kinds.length > 0) lists.push({ explicit: EXPLICIT_CUE.test(m[0]), kinds });
  }
  const explicit = lists.filter((l) => l.explicit).flatMap((l) => l.kinds);
  const loose = lists.filter((l) => !l.explicit).flatMap((l) => l.kinds);
  // Named kinds win; a single word the intent is "for" besides them is whom they are for ("for dogs").
  const kinds = [...new Set(explicit.length > 0 ? explicit : loose)];
  const topic = explicit.length > 0 && loose.length === 1 && !loose[0]!.includes(" ") ? loose[0]! : null;
  const queries =
    kinds.length > 0
      ? kinds.map((k) =>
          topic && !k.split(" ").map(singular).includes(singular(topic)) ? `${singular(topic)} ${k}` : k,
        )
      : department
        ? [contentWords(department).join(" ")]
        : [
            contentWords(instruction.split(/[.!?](?:\s|$)/)[0] ?? instruction)
              .slice(0, 4)
              .join(" "),
          ];
  const distinct = [...new Set(queries.filter(Boolean))];
  return { ...intent, queries: distinct, want: distinct[0] ?? "", kinds, department };
}

const IRREGULAR: Record<string, string> = {
  mice: "mouse",
  knives: "knife",
  shelves: "shelf",
  leaves: "leaf",
  feet: "foot",
  teeth: "tooth",
  men: "man",
  women: "woman",
  children: "child",
  geese: "goose",
};

/** A noun's singular, for the common English plurals: "water bottles" → bottle, "mice" → mouse, "boxes" → box. */
export function singular(word: string): string {
  const irregular = IRREGULAR[word];
  if (irregular) return irregular;
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(?:ss|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("s") && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}
