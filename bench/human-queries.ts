import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (bench/ is one level below it). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The distinct search queries real people typed for WebShop goals, from
 * ../shared/datasets/webshop-goals/goal_query_map.train.json (1,448 of them).
 */
export function humanQueries(): string[] {
  const file = join(ROOT, "..", "shared", "datasets", "webshop-goals", "goal_query_map.train.json");
  const map = JSON.parse(readFileSync(file, "utf8")) as Record<string, string[]>;
  return [
    ...new Set(
      Object.values(map)
        .flat()
        .map((q) => q.trim())
        .filter(Boolean),
    ),
  ];
}
