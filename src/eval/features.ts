import type { HumanSession, HumanStep, StepCategory } from "../contracts/human-log.ts";

/**
 * Session shape: what each step did in shopping terms, and per-session figures that human logs and
 * simulated runs both have. Works on any source through the human-log model: a step's category is
 * the importer's when the source states it, else it is inferred from the action, the target's name
 * and the URLs — words any shop's element names contain, nothing specific to the sandbox shop.
 */

const WORDS = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, "_");
const PRODUCT_URL = /\/(product|products|item|items|item_page|dp|gp\/product|p)\/[^/?#]+/i;

/**
 * Rules on a hierarchical element name (`region.item.control`), first match wins. `last` is the
 * control's own segment, `parent` the one before it, `first` the page region. Product names sit in
 * the middle segments, so words such as "bag" in a product's name never make it a cart click.
 */
const CLICK_RULES: {
  category: StepCategory;
  test: (n: { first: string; parent: string; last: string }) => boolean;
}[] = [
  {
    category: "purchase",
    test: (n) =>
      /^(place_(your_)?order|complete_(purchase|order)|pay_now|confirm_(order|purchase)|submit_order)$/.test(
        n.last,
      ),
  },
  {
    category: "checkout",
    test: (n) => /^(buy_now|checkout|check_out|proceed_to_checkout|continue_to_checkout)$/.test(n.last),
  },
  {
    category: "cart",
    test: (n) => /^(add_to_(cart|bag|basket)|(view_|go_to_|shopping_)?(cart|basket))$/.test(n.last),
  },
  {
    category: "pagination",
    test: (n) =>
      /^(pagination|pager|pages)$/.test(n.parent) ||
      /^(next_page|prev_page|previous_page|page_\d+)$/.test(n.last),
  },
  { category: "sort", test: (n) => /(^|_)sort(_by)?(_|$)/.test(n.last) || /^sort(_by)?$/.test(n.parent) },
  {
    category: "filter",
    test: (n) =>
      /^(refinements?|filters?|facets?|refine_by)$/.test(n.first) ||
      /^(refinements?|filters?|facets?)$/.test(n.parent),
  },
  {
    category: "detail",
    test: (n) =>
      /^(reviews?|see_all_reviews|description|features|details|specifications?|product_details)$/.test(
        n.last,
      ),
  },
  {
    category: "back",
    test: (n) => /^(back|back_to_(search|results)|go_back|return_to_results)$/.test(n.last),
  },
  { category: "search", test: (n) => /^(search|search_button|submit_search|go)$/.test(n.last) },
  {
    category: "option",
    test: (n) =>
      /^(options?|sizes?|colou?rs?|style|variants?|flavou?r|thickness|pack|capacity|material|pattern|scent|count|length|width)$/.test(
        n.parent,
      ),
  },
  {
    category: "product_view",
    test: (n) => /^(search_results|results|product_list|products|items)$/.test(n.first),
  },
  {
    category: "navigation",
    test: (n) =>
      /^(nav|navigation|menu|header|footer|breadcrumbs?|categories|departments?)$/.test(n.first) ||
      /^(home|logo)$/.test(n.last),
  },
];

/** Form fields of a checkout: filling them is not a shopping decision. */
const CHECKOUT_FIELD =
  /(^|_)(checkout|shipping|billing|payment|address|zip|postal|city|state|phone|email|full_name)(_|$)/;

/**
 * The shopping meaning of a step: the importer's category when set, else inferred. `next` is the
 * following step of the session (its URL tells whether a click opened a product page).
 */
export function categorize(step: HumanStep, next?: HumanStep): StepCategory {
  if (step.category) return step.category;
  const name = WORDS(step.semantic_id ?? "");
  switch (step.action_type) {
    case "terminate":
      return "terminate";
    case "back":
      return "back";
    case "type_and_submit":
      return CHECKOUT_FIELD.test(name) ? "checkout" : "search";
    case "type":
      return CHECKOUT_FIELD.test(name) || /checkout/i.test(step.url ?? "") ? "checkout" : "other";
    case "select":
      if (/(^|_)sort(_by)?(_|$)/.test(name)) return "sort";
      if (CHECKOUT_FIELD.test(name) || /checkout/i.test(step.url ?? "")) return "checkout";
      if (/(^|_)(qty|quantity)(_|$)/.test(name)) return "cart";
      return /(^|_)(refinements?|filters?|facets?)(_|$)/.test(name) ? "filter" : "option";
    case "click": {
      const parts = (step.semantic_id ?? "").split(".").map(WORDS);
      const n = { first: parts[0] ?? "", parent: parts.at(-2) ?? "", last: parts.at(-1) ?? "" };
      for (const rule of CLICK_RULES) if (rule.test(n)) return rule.category;
      if (CHECKOUT_FIELD.test(name) && /checkout/i.test(step.url ?? "")) return "checkout";
      const here = step.url ?? "";
      const there = next?.url ?? "";
      if (PRODUCT_URL.test(there) && there.split("?")[0] !== here.split("?")[0]) return "product_view";
      if (PRODUCT_URL.test(here) && PRODUCT_URL.test(there) && there.split("?")[0] === here.split("?")[0])
        return "option";
      return "other";
    }
  }
}

/** Per-session figures compared between humans and simulations (null: the source cannot tell). */
export interface SessionFeatures {
  /** Shopping actions: every step except terminate and filling checkout forms. */
  actions: number | null;
  searches: number | null;
  product_views: number | null;
  option_selections: number | null;
  /** Filter and sort uses. */
  filter_uses: number | null;
  back_uses: number | null;
  pagination_uses: number | null;
  purchased: boolean | null;
  /** Seconds between consecutive actions (empty when the source has no clock). */
  gaps_s: number[];
  /** Words of each search query typed. */
  query_lengths: number[];
  /** Searches whose text differs from the session's previous search. */
  reformulations: number | null;
  /** Category of every step, in order. */
  categories: StepCategory[];
}

function words(text: string): number {
  return text.trim() === "" ? 0 : text.trim().split(/\s+/).length;
}

export function sessionFeatures(session: HumanSession): SessionFeatures {
  const purchased = session.outcome === "unknown" ? null : session.outcome === "purchase";
  if (session.steps.length === 0) {
    const s = session.summary;
    return {
      actions: s?.actions ?? null,
      searches: s?.searches ?? null,
      product_views: s?.product_views ?? null,
      option_selections: null,
      filter_uses: null,
      back_uses: null,
      pagination_uses: null,
      purchased,
      gaps_s: s?.mean_gap_s !== undefined ? [s.mean_gap_s] : [],
      query_lengths: [],
      reformulations: null,
      categories: [],
    };
  }
  const categories = session.steps.map((step, i) => categorize(step, session.steps[i + 1]));
  const count = (...cs: StepCategory[]) => categories.filter((c) => cs.includes(c)).length;
  const queries = session.steps
    .filter((s, i) => categories[i] === "search" && s.input_text !== null)
    .map((s) => (s.input_text ?? "").trim().toLowerCase().replace(/\s+/g, " "));
  let reformulations = 0;
  for (let i = 1; i < queries.length; i++) if (queries[i] !== queries[i - 1]) reformulations += 1;
  const times = session.steps
    .map((s) => (s.timestamp ? Date.parse(s.timestamp) : Number.NaN))
    .filter((t) => Number.isFinite(t));
  const gaps_s: number[] = [];
  if (times.length === session.steps.length) {
    for (let i = 1; i < times.length; i++)
      gaps_s.push(Math.max(0, ((times[i] as number) - (times[i - 1] as number)) / 1000));
  }
  const formFilling = session.steps.filter(
    (s, i) => categories[i] === "checkout" && (s.action_type === "type" || s.action_type === "select"),
  ).length;
  return {
    actions: session.steps.length - count("terminate") - formFilling,
    searches: count("search"),
    product_views: count("product_view"),
    option_selections: count("option"),
    filter_uses: count("filter", "sort"),
    back_uses: count("back"),
    pagination_uses: count("pagination"),
    purchased,
    gaps_s,
    query_lengths: queries.map(words),
    reformulations,
    categories,
  };
}
