import { parseArgs } from "node:util";
import { generateBuiltinCatalog } from "../sandbox-shop/catalog/builtin.ts";
import { PER_PAGE, SearchIndex } from "../sandbox-shop/search.ts";
import { median } from "../src/stats.ts";
import { humanQueries } from "./human-queries.ts";

const { values: args } = parseArgs({
  options: { size: { type: "string", default: "100000" }, runs: { type: "string", default: "3" } },
});
const size = Number(args.size);
const runs = Number(args.runs);
const queries = humanQueries();
const catalog = generateBuiltinCatalog({ seed: 42, count: size });

function percentiles(times: number[]): { p50: number; p99: number; mean: number } {
  const s = [...times].sort((a, b) => a - b);
  return {
    p50: s[Math.floor(s.length * 0.5)] as number,
    p99: s[Math.floor(s.length * 0.99)] as number,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

function time(fn: (q: string) => unknown): number[] {
  return queries.map((q) => {
    const start = performance.now();
    fn(q);
    return performance.now() - start;
  });
}

const rows: Record<string, { p50: number[]; p99: number[]; mean: number[] }> = {};
const add = (name: string, t: number[]) => {
  const p = percentiles(t);
  rows[name] ??= { p50: [], p99: [], mean: [] };
  rows[name].p50.push(p.p50);
  rows[name].p99.push(p.p99);
  rows[name].mean.push(p.mean);
};
let buildMs = 0;
for (let run = 0; run < runs; run++) {
  const started = performance.now();
  const index = new SearchIndex(catalog);
  buildMs = performance.now() - started;
  const request = (q: string) =>
    index.search({ q, filters: {}, sort: "relevance", page: 1, perPage: PER_PAGE });
  add(
    "MiniSearch.search (reference)",
    time((q) => index.referenceSearch(q)),
  );
  add("shop search, cold caches", time(request));
  add("shop search, warm caches", time(request));
}

const ref = median(rows["MiniSearch.search (reference)"]!.mean);
console.log(
  `\n${size.toLocaleString("en-US")} products, ${queries.length} distinct real human queries, node ${process.version}, ${runs} runs (medians); index build + warm-up ${(buildMs / 1000).toFixed(1)} s\n`,
);
console.log("| per query | p50 ms | p99 ms | mean ms | mean vs MiniSearch |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, r] of Object.entries(rows)) {
  const mean = median(r.mean);
  console.log(
    `| ${name} | ${median(r.p50).toFixed(2)} | ${median(r.p99).toFixed(2)} | ${mean.toFixed(2)} | ${(ref / mean).toFixed(1)}× faster |`.replace(
      "| 1.0× faster |",
      "| 1× |",
    ),
  );
}
