/**
 * Sandbox shop latency under concurrent load, on loopback only.
 *
 *   node bench/shop-latency.ts [--sizes 2000,100000] [--connections 50] [--duration 10] [--runs 3]
 *
 * For each catalog size it starts `shopsim shop` as its own process (so the load generator, autocannon,
 * does not share its event loop), then measures:
 *   - warm-up (not reported): 3,000 requests for product pages and searches outside the measured query set
 *   - search, cold: every distinct real human query (WebShop goal_query_map) once, 50 connections, empty caches
 *   - search, mixed: the same queries cycled, a quarter of them with a filter, sort or page, for --duration s
 *   - product: random product pages for --duration s
 * Each phase runs --runs times (a fresh shop per run for the cold phase); the table shows medians of p50/p99.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { generateBuiltinCatalog } from "../sandbox-shop/catalog/builtin.ts";
import { median } from "../src/stats.ts";
import { humanQueries, ROOT as root } from "./human-queries.ts";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "2000,100000" },
    connections: { type: "string", default: "50" },
    duration: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
  },
});
const sizes = args.sizes.split(",").map(Number);
const connections = Number(args.connections);
const duration = Number(args.duration);
const runs = Number(args.runs);

const queries = humanQueries();

/** Catalog words (not from the human query set) used only to warm the server process up. */
const WARMUP_QUERIES = [
  "lamp",
  "mug",
  "jacket",
  "charger",
  "shampoo",
  "tent",
  "puzzle",
  "stapler",
  "leash",
  "blender",
].filter((w) => !queries.includes(w));

function mixedPaths(): string[] {
  const variations = [
    "&sort=price_asc",
    "&rating=4",
    "&max_price=50",
    "&page=2",
    "&sort=rating",
    "&min_price=25&max_price=100",
  ];
  return queries.map(
    (q, i) =>
      `/search?q=${encodeURIComponent(q)}${i % 4 === 0 ? variations[(i / 4) % variations.length] : ""}`,
  );
}

async function startShop(size: number): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    [
      join(root, "src/cli/main.ts"),
      "shop",
      "--port",
      "0",
      "--catalog",
      `builtin:${size}`,
      "--seed",
      "42",
      "--events",
      join("/tmp", `shopsim-bench-events-${process.pid}.jsonl`),
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`shop exited with ${code}`)));
  });
  return { url: line.trim(), proc };
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await exited;
}

interface Sample {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  rps: number;
  requests: number;
  errors: number;
}

async function load(
  url: string,
  paths: string[],
  opts: { amount?: number; duration?: number },
): Promise<Sample> {
  let next = 0;
  let shopper = 0;
  const result = await autocannon({
    url,
    connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? duration }),
    requests: [
      {
        // Each connection is one shopper with its own session, as a runner's browser would be.
        setupRequest: (req, context: { sid?: string }) => {
          context.sid ??= `bench-${process.pid}-${shopper++}`;
          req.headers = { ...req.headers, "x-shopsim-session": context.sid };
          req.path = paths[next++ % paths.length] as string;
          return req;
        },
      },
    ],
  });
  return {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    rps: result.requests.average,
    requests: result.requests.total,
    errors: result.errors + result.non2xx,
  };
}

const rows: string[] = [];
for (const size of sizes) {
  const ids = generateBuiltinCatalog({ seed: 42, count: size }).products.map((p) => p.id);
  const productPaths = Array.from({ length: 5000 }, (_, i) => `/product/${ids[(i * 7919) % ids.length]}`);
  const phases: Record<string, Sample[]> = { "search, cold": [], "search, mixed": [], product: [] };
  for (let run = 0; run < runs; run++) {
    const { url, proc } = await startShop(size);
    try {
      // Warm the process (JIT) on pages and words the measured phases do not use, so "cold" means
      // empty search caches, not an unoptimised process.
      await load(url, [...productPaths.slice(-500), ...WARMUP_QUERIES.map((q) => `/search?q=${q}`)], {
        amount: 3000,
      });
      phases["search, cold"]!.push(
        await load(
          url,
          queries.map((q) => `/search?q=${encodeURIComponent(q)}`),
          { amount: queries.length },
        ),
      );
      phases["search, mixed"]!.push(await load(url, mixedPaths(), { duration }));
      phases.product!.push(await load(url, productPaths, { duration }));
    } finally {
      await stop(proc);
    }
  }
  for (const [phase, samples] of Object.entries(phases)) {
    const errors = samples.reduce((n, s) => n + s.errors, 0);
    const row = `| ${size.toLocaleString("en-US")} | ${phase} | ${connections} | ${median(samples.map((s) => s.p50)).toFixed(1)} | ${median(samples.map((s) => s.p99)).toFixed(1)} | ${median(samples.map((s) => s.rps)).toFixed(0)} | ${samples.map((s) => s.requests).join(" / ")} | ${errors} |`;
    rows.push(row);
    console.error(row);
  }
}

console.log(
  `\nnode ${process.version}, ${runs} runs per phase, medians; queries: ${queries.length} distinct real human queries\n`,
);
console.log("| products | phase | connections | p50 ms | p99 ms | req/s | requests per run | errors |");
console.log("|---:|---|---:|---:|---:|---:|---|---:|");
for (const r of rows) console.log(r);
