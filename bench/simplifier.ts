/**
 * Simplifier cost and size: median ms per page, and o200k_base tokens of the raw HTML, the simplified
 * HTML and Playwright's aria snapshot, for the sandbox shop's home, results, product, cart and checkout
 * pages as a real Chromium renders them; then large result listings (0.5–2 MB) against the time
 * cheerio itself takes to parse the same page; then 258 pages saved from real sites (the
 * htmlparser-benchmark corpus), rendered and measured the same way (`--real-rounds 0` skips them).
 * `--pages DIR` measures only the pages saved in DIR (every `.html` file: your own shop's pages, say)
 * the same way, with a row per page.
 *
 *   node bench/simplifier.ts [--runs 200] [--large-runs 60] [--real-rounds 3]
 *   node bench/simplifier.ts --pages saved-pages/
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { load } from "cheerio";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import { createShop, type Shop } from "../sandbox-shop/server.ts";
import { variantsFromData } from "../sandbox-shop/variants.ts";
import { BrowserPool, type BrowserSession } from "../src/browser/index.ts";
import { SESSION_HEADER, VARIANT_HEADER } from "../src/contracts/shop.ts";
import { simplify } from "../src/simplify/index.ts";
import { median } from "../src/stats.ts";
import { countTokens, TOKENIZER } from "../src/tokens.ts";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    "large-runs": { type: "string", default: "60" },
    "large-size": { type: "string", default: "100000" },
    "real-rounds": { type: "string", default: "3" },
    pages: { type: "string" },
  },
});
const runs = Number(args.runs);
const largeRuns = Number(args["large-runs"]);
const largeSize = Number(args["large-size"]);
const realRounds = Number(args["real-rounds"]);

interface Captured {
  page: string;
  url: string;
  html: string;
  aria?: string;
  ariaAi?: string;
}

/** Times `n` consecutive calls of `fn` after `warmUp` untimed ones (a tenth of `n`, at least 2); returns each call's ms. */
function timeRuns(n: number, fn: () => unknown, warmUp = Math.max(2, Math.ceil(n / 10))): number[] {
  for (let i = 0; i < warmUp; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

/** Times `n` consecutive calls of `fn` as one span, after one untimed call; returns the mean ms per call. */
function meanOfRun(n: number, fn: () => unknown): number {
  fn();
  const start = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - start) / n;
}

async function capture(session: BrowserSession, page: string, withAria = true): Promise<Captured> {
  const snap = await session.observe(withAria ? { aria: "default" } : {});
  const out: Captured = { page, url: snap.url, html: snap.html };
  if (withAria) {
    out.aria = snap.aria ?? "";
    out.ariaAi = (await session.observe({ aria: "ai" })).aria ?? "";
  }
  return out;
}

function nameWithLabel(html: string, url: string, label: RegExp): string {
  const page = simplify(html, url);
  const hit = Object.entries(page.elements).find(([, el]) => label.test(el.label));
  if (!hit) throw new Error(`no element labelled ${label} on ${url}`);
  return hit[0];
}

/** The five shop pages, as the browser renders them for a shopper who searches, opens a product, adds it and checks out. */
async function shopPages(shop: Shop, pool: BrowserPool, variant: string): Promise<Captured[]> {
  const session = await pool.session({
    origin: shop.url,
    extraHeaders: { [SESSION_HEADER]: `bench-simplifier-${variant}`, [VARIANT_HEADER]: variant },
  });
  try {
    const pages: Captured[] = [];
    await session.goto("/");
    pages.push(await capture(session, `${variant}: home`));
    await session.goto("/search?q=wireless+headphones");
    const results = await capture(session, `${variant}: results`);
    pages.push(results);
    const first = simplify(results.html, results.url);
    const view = Object.entries(first.elements).find(
      ([n, el]) => n.startsWith("search_results.") && el.kind === "link",
    )?.[0];
    if (!view) throw new Error("no product link on the results page");
    await session.act({ type: "click", name: view }, first.elements);
    pages.push(await capture(session, `${variant}: product`));
    // Choose the first available value of every option, as a shopper must before adding to the cart.
    const chosen = new Set<string>();
    for (;;) {
      const now = await session.observe();
      const page = simplify(now.html, now.url);
      const next = Object.entries(page.elements).find(
        ([n, el]) => el.kind === "radio" && !el.disabled && !chosen.has(n.slice(0, n.lastIndexOf("."))),
      );
      if (!next) {
        const add = nameWithLabel(now.html, now.url, /^add to cart$/i);
        await session.act({ type: "click", name: add }, page.elements);
        break;
      }
      chosen.add(next[0].slice(0, next[0].lastIndexOf(".")));
      await session.act({ type: "click", name: next[0] }, page.elements);
    }
    pages.push(await capture(session, `${variant}: cart`));
    await session.goto("/checkout");
    pages.push(await capture(session, `${variant}: checkout`));
    return pages;
  } finally {
    await session.close();
  }
}

const fmt = (n: number, d = 2) => n.toFixed(d);
const kb = (chars: number) => (chars / 1024).toFixed(0);

async function main(): Promise<void> {
  const pool = new BrowserPool({ size: 1 });
  if (args.pages !== undefined) {
    try {
      await savedPages(pool, args.pages);
    } finally {
      await pool.close();
    }
    return;
  }
  const variants = variantsFromData(
    { variants: { realistic: {}, lean: { page_weight: "lean" } } },
    "bench-simplifier",
  );
  try {
    const shop = await createShop({ catalog: await loadCatalog("builtin", 42), variants });
    await shop.listen(0);
    const pages: Captured[] = [];
    try {
      pages.push(...(await shopPages(shop, pool, "realistic")), ...(await shopPages(shop, pool, "lean")));
    } finally {
      await shop.close();
    }

    console.log(
      `\nShop pages, realistic and lean page weight (built-in catalog, 2,000 products), rendered by Chromium; node ${process.version}; ${runs} runs per page; tokens: ${TOKENIZER}\n`,
    );
    console.log(
      "| page | raw KB | simplify ms (median) | cheerio parse ms | raw tokens | simplified tokens | simplified / raw | aria snapshot tokens | aria (ai mode) tokens | simplified / aria |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const p of pages) {
      const simplifyMs = median(timeRuns(runs, () => simplify(p.html, p.url)));
      const parseMs = median(timeRuns(runs, () => load(p.html)));
      const raw = countTokens(p.html);
      const simplified = countTokens(simplify(p.html, p.url).html);
      const aria = countTokens(p.aria ?? "");
      const ariaAi = countTokens(p.ariaAi ?? "");
      console.log(
        `| ${p.page} | ${kb(Buffer.byteLength(p.html))} | ${fmt(simplifyMs)} | ${fmt(parseMs)} | ${raw.toLocaleString("en-US")} | ${simplified.toLocaleString("en-US")} | ${fmt((100 * simplified) / raw, 1)}% | ${aria.toLocaleString("en-US")} | ${ariaAi.toLocaleString("en-US")} | ${fmt(simplified / aria)} |`,
      );
    }

    // Large pages: long result listings from a big catalog, as the browser renders them.
    const big = await createShop({ catalog: await loadCatalog(`builtin:${largeSize}`, 42), variants });
    await big.listen(0);
    const large: Captured[] = [];
    try {
      // Listings of 0.5–2 MB in both page weights: realistic pages are mostly scripts and state,
      // lean ones mostly elements (the harder case for a walk that visits every element).
      for (const [variant, sizes] of [
        ["realistic", [100, 250, 350]],
        ["lean", [500, 1000, 1800]],
      ] as const) {
        const session = await pool.session({
          origin: big.url,
          extraHeaders: { [SESSION_HEADER]: `bench-large-${variant}`, [VARIANT_HEADER]: variant },
        });
        try {
          for (const perPage of sizes) {
            await session.goto(`/search?q=&per_page=${perPage}`);
            large.push(await capture(session, `${variant}, ${perPage} products`, false));
          }
        } finally {
          await session.close();
        }
      }
    } finally {
      await big.close();
    }
    console.log(
      `\nLarge pages (${largeSize.toLocaleString("en-US")}-product catalog, long listings), ${largeRuns} calls each, in rounds of 10 consecutive calls (mean per call; median over rounds)\n`,
    );
    console.log(
      "| page | raw KB | cheerio parse ms | simplify ms | simplify / parse | raw tokens | simplified tokens | simplified / raw |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const p of large) {
      const parse: number[] = [];
      const simp: number[] = [];
      timeRuns(2, () => simplify(p.html, p.url));
      // Rounds of consecutive calls, parse and simplify alternating, each timed as a whole (after one
      // untimed call) and divided by its calls: each kind of work then pays, on average, for the
      // garbage collections it causes. A median of single calls measures where the collector's pauses
      // land instead: a parse whose garbage fits V8's young generation takes 12 ms on the 0.6 MB
      // realistic listing, and 40 ms when a collection finds its tree alive.
      const round = 10;
      for (let done = 0; done < largeRuns; done += round) {
        parse.push(meanOfRun(round, () => load(p.html)));
        simp.push(meanOfRun(round, () => simplify(p.html, p.url)));
      }
      const raw = countTokens(p.html);
      const simplified = countTokens(simplify(p.html, p.url).html);
      const pm = median(parse);
      const sm = median(simp);
      console.log(
        `| ${p.page} | ${kb(Buffer.byteLength(p.html))} | ${fmt(pm, 1)} | ${fmt(sm, 1)} | ${fmt(sm / pm)}× | ${raw.toLocaleString("en-US")} | ${simplified.toLocaleString("en-US")} | ${fmt((100 * simplified) / raw, 1)}% |`,
      );
    }
    await realPages(pool);
  } finally {
    await pool.close();
  }
}

/** Rank-based percentile of sorted numbers. */
const pct = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * Pages saved from real sites (the htmlparser-benchmark package's 258 pages: news, portals, blogs),
 * served from loopback and rendered by Chromium like the shop's pages (their scripts run; requests to
 * other origins are blocked), then measured the same way: tokens of the live DOM, the simplified page
 * and the aria snapshot, and the simplifier's time against cheerio's parse (rounds of consecutive calls).
 * The figures are per page: their p10, median, p90 and maximum over the corpus.
 */
async function realPages(pool: BrowserPool): Promise<void> {
  if (realRounds <= 0) return;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("htmlparser-benchmark/package.json")), "files");
  const { pages, files, failed } = await render(pool, dir);
  const rows = measure(pages, realRounds);
  console.log(
    `\nPages from real sites (htmlparser-benchmark: ${pages.length} of ${files} rendered${failed ? `, ${failed} failed to load` : ""}), rendered by Chromium; per page, the median of ${realRounds} rounds of at least 50 ms of consecutive calls\n`,
  );
  summary(rows);
}

/** `--pages DIR`: the pages saved in a directory, a row each, then the same summary as the real pages'. */
async function savedPages(pool: BrowserPool, dir: string): Promise<void> {
  if (!existsSync(dir)) {
    console.error(`--pages ${dir}: no such directory`);
    process.exitCode = 1;
    return;
  }
  const { pages, files, failed } = await render(pool, dir);
  if (files === 0) {
    console.error(`--pages ${dir}: expected .html files in it, found none`);
    process.exitCode = 1;
    return;
  }
  const rounds = Math.max(1, realRounds);
  const rows = measure(pages, rounds);
  console.log(
    `\nSaved pages in ${dir} (${pages.length} of ${files} rendered${failed ? `, ${failed} failed to load` : ""}), rendered by Chromium; per page, the median of ${rounds} rounds of at least 50 ms of consecutive calls; tokens: ${TOKENIZER}\n`,
  );
  console.log(
    "| page | raw KB | raw tokens | simplified tokens | simplified / raw | aria tokens | simplified / aria | simplify ms | simplify / cheerio parse |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.page} | ${kb(r.bytes)} | ${r.raw.toLocaleString("en-US")} | ${r.simplified.toLocaleString("en-US")} | ${fmt(100 * r.share, 1)}% | ${r.aria.toLocaleString("en-US")} | ${fmt(r.vsAria)} | ${fmt(r.ms)} | ${fmt(r.ratio)}× |`,
    );
  }
  console.log("");
  summary(rows);
}

/** Serves every `.html` file of a directory from loopback and captures each as Chromium renders it. */
async function render(
  pool: BrowserPool,
  dir: string,
): Promise<{ pages: Captured[]; files: number; failed: number }> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".html"))
    .sort();
  const server = createServer((req, res) => {
    const file = decodeURIComponent((req.url ?? "/").slice(1).split("?")[0]!);
    if (!files.includes(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(readFileSync(join(dir, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pages: Captured[] = [];
  let failed = 0;
  try {
    for (const file of files) {
      const session = await pool.session({ origin });
      try {
        await session.goto(`/${encodeURIComponent(file)}`);
        const snap = await session.observe({ aria: "default" });
        pages.push({ page: file, url: snap.url, html: snap.html, aria: snap.aria ?? "" });
      } catch (err) {
        failed++;
        console.error(`${file}: ${(err as Error).message}`);
      } finally {
        await session.close();
      }
    }
  } finally {
    server.close();
  }
  return { pages, files: files.length, failed };
}

interface Row {
  page: string;
  bytes: number;
  raw: number;
  simplified: number;
  aria: number;
  share: number;
  vsAria: number;
  ms: number;
  ratio: number;
}

/** Tokens and time of each page: the simplifier's median over rounds of at least 50 ms of calls, against cheerio's parse. */
function measure(pages: Captured[], rounds: number): Row[] {
  return pages.map((p) => {
    // These pages take 1–10 ms: a round is at least 50 ms of calls, so that no one collection decides it.
    const start = performance.now();
    simplify(p.html, p.url);
    const calls = Math.max(10, Math.ceil(50 / Math.max(0.05, performance.now() - start)));
    const parse: number[] = [];
    const simp: number[] = [];
    for (let r = 0; r < rounds; r++) {
      parse.push(meanOfRun(calls, () => load(p.html)));
      simp.push(meanOfRun(calls, () => simplify(p.html, p.url)));
    }
    const raw = countTokens(p.html);
    const simplified = countTokens(simplify(p.html, p.url).html);
    const aria = countTokens(p.aria ?? "");
    return {
      page: p.page,
      bytes: Buffer.byteLength(p.html),
      raw,
      simplified,
      aria,
      share: simplified / raw,
      vsAria: simplified / Math.max(1, aria),
      ms: median(simp),
      ratio: median(simp) / median(parse),
    };
  });
}

/** p10, median, p90 and maximum over the pages. */
function summary(rows: Row[]): void {
  const sorted = (f: (r: Row) => number) => rows.map(f).sort((x, y) => x - y);
  const row = (label: string, a: number[], f: (n: number) => string) =>
    console.log(`| ${label} | ${f(pct(a, 0.1))} | ${f(median(a))} | ${f(pct(a, 0.9))} | ${f(a.at(-1)!)} |`);
  const n0 = (n: number) => Math.round(n).toLocaleString("en-US");
  const percent = (n: number) => `${fmt(100 * n, 1)}%`;
  console.log("| per page | p10 | median | p90 | max |");
  console.log("|---|---:|---:|---:|---:|");
  row(
    "raw tokens",
    sorted((r) => r.raw),
    n0,
  );
  row(
    "simplified tokens",
    sorted((r) => r.simplified),
    n0,
  );
  row(
    "simplified / raw tokens",
    sorted((r) => r.share),
    percent,
  );
  row(
    "simplified / aria snapshot tokens",
    sorted((r) => r.vsAria),
    (n) => fmt(n),
  );
  row(
    "simplify ms",
    sorted((r) => r.ms),
    (n) => fmt(n),
  );
  row(
    "simplify / cheerio parse",
    sorted((r) => r.ratio),
    (n) => `${fmt(n)}×`,
  );
  console.log(
    `\nsimplified ≤ 5% of raw: ${rows.filter((r) => r.share <= 0.05).length} pages; fewer tokens than the aria snapshot: ${rows.filter((r) => r.vsAria < 1).length} of ${rows.length} pages`,
  );
}

await main();
