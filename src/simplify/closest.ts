import { ratio, token_set_ratio } from "fuzzball";

/** `search_results.columbia_shirt.view_product` → `search results columbia shirt view product`. */
function words(name: string): string {
  return name.replace(/[._-]+/g, " ").trim();
}

/**
 * The `limit` names most like `wanted`, best first: the larger of plain edit-distance similarity and
 * word-overlap similarity, so both typos (`serch_input`) and reordered or partial paths
 * (`view_product.columbia_shirt`) find their element. Ties keep the page's order.
 */
export function closestNames(wanted: string, names: readonly string[], limit = 3): string[] {
  const w = words(wanted);
  return names
    .map((name, index) => ({
      name,
      index,
      score: Math.max(ratio(wanted, name), token_set_ratio(w, words(name))),
    }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, limit)
    .map((x) => x.name);
}
