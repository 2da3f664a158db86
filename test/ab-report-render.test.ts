import { readFileSync } from "node:fs";
import * as cheerio from "cheerio";
import { beforeAll, describe, expect, it } from "vitest";
import { type AbReport, AbReportSchema } from "../src/contracts/ab-report.ts";
import { METRIC_NAMES } from "../src/contracts/experiment.ts";
import { escapeHtml, renderAbHtml, renderAbMarkdown } from "../src/report/ab.ts";

/** A fresh copy of the fixture, parsed (so every test may change its own). */
function fixture(): AbReport {
  const raw = JSON.parse(readFileSync(new URL("./fixtures/ab-report.json", import.meta.url), "utf8"));
  return AbReportSchema.parse(raw);
}

const ARMS = ["control", "reduced_filters", "no_buy_now"];
const STAGES = ["Sessions", "Searched", "Viewed a product", "Added to cart", "Reached checkout", "Purchased"];

describe("the A/B report fixture", () => {
  it("is a valid report with three arms, every metric, two comparisons and three segment attributes", () => {
    const report = fixture();
    expect(report.arms.map((a) => a.arm)).toEqual(ARMS);
    for (const arm of report.arms) {
      expect(arm.metrics.map((m) => m.metric).sort()).toEqual([...METRIC_NAMES].sort());
      expect(arm.funnel.map((f) => f.stage)).toEqual([
        "sessions",
        "searched",
        "viewed_product",
        "added_to_cart",
        "checkout",
        "purchased",
      ]);
    }
    expect(report.comparisons.map((c) => c.treatment)).toEqual(["reduced_filters", "no_buy_now"]);
    for (const c of report.comparisons) {
      expect(new Set(c.segments.map((s) => s.attribute))).toEqual(
        new Set(["age_band", "income_band", "price_sensitivity"]),
      );
      expect(c.segments.some((s) => s.diff === null)).toBe(true);
    }
    expect(report.comparisons[1]?.metrics.some((m) => m.p_value === null)).toBe(true);
  });
});

describe("renderAbMarkdown", () => {
  const report = fixture();
  const md = renderAbMarkdown(report);

  it("puts the decision first, with the rule and the reasons", () => {
    const lines = md.split("\n");
    expect(lines[0]).toBe("# A/B experiment: Compact filter panel and no buy-now button");
    const decision = lines.findIndex((l) => l.startsWith("Decision: "));
    expect(lines[decision]).toBe("Decision: **SHIP** `reduced_filters` (vs control).");
    expect(decision).toBeLessThan(lines.indexOf("## Design"));
    expect(md).toContain(`Rule: ${report.decision.rule}`);
    for (const reason of report.decision.reasons) expect(md).toContain(`- ${reason}`);
    expect(md).toContain("Decision: **DON'T SHIP** `no_buy_now` (vs control).");
    expect(md).toContain(`Hypothesis: ${report.experiment.hypothesis}`);
  });

  it("lists every primary, secondary and guardrail metric with values formatted by kind", () => {
    for (const c of report.comparisons) {
      expect(md).toContain(`## ${c.treatment} vs ${c.control}`);
      for (const m of c.metrics) expect(md).toContain(`| ${m.label} | ${m.role} |`);
    }
    // Binary: percentages, differences in percentage points with the CI; Holm p for secondaries only.
    expect(md).toContain(
      "| Conversion rate | primary | 28.8% | 34.7% | +5.9 pp [+0.8, +11.0] | +20.5% [+2.0%, +41.0%] | mcnemar-exact (discordant 3/13) | 0.021 |  | ✓ better | 59 | 6.9 pp |",
    );
    // Currency, seconds, counts; a missing p is a dash; a worse guardrail is marked.
    expect(md).toContain("| $14.90 | $17.41 | +$2.51 [-$0.42, +$5.38] |");
    expect(md).toContain("| 0.094 | 0.188 | no difference | 59 | $3.90 |");
    expect(md).toContain("| 96.1 s | 84.3 s | -11.8 s [-27.5, +3.1] |");
    expect(md).toContain("| 14.20 | 12.90 | -1.30 [-2.20, -0.40] |");
    expect(md).toContain("| wilcoxon-signed-rank | – | – | no difference | 4 | – |");
    expect(md).toContain("| Bounce rate | guardrail | 9.3% | 14.2% | +4.9 pp [+0.8, +9.1] |");
    expect(md).toContain("| ✗ worse | 58 | 6.2 pp |");
  });

  it("shows power, replicas and segments per comparison", () => {
    expect(md).toContain(
      "| Conversion rate | 19.0 pp | 6.9 pp | 5.0 pp | 114 | target effect 0.05 (experiment target_effect) at alpha 0.05 and power 0.8 |",
    );
    expect(md).toContain("(policy randomness): control 31.0%, reduced_filters 27.0%.");
    expect(md).toContain("(policy randomness): control 31.0%, no_buy_now –.");
    expect(md).toContain("| 1 | +6.8 pp [0.0, +13.6] |");
    expect(md).toContain(report.comparisons[0]?.replicas.note);
    expect(md).toContain(
      "| attribute | segment | n units | control | reduced_filters | difference [95% CI] |\n| --- | --- | --- | --- | --- | --- |\n| age_band | 18-24 | 9 | 22.2% | 33.3% | +11.1 pp [-11.1, +33.3] |",
    );
    expect(md).toContain("| income_band | <25k | 11 | 18.2% | 31.8% | +13.6 pp [0.0, +27.3] |");
    expect(md).toContain("| income_band | >200k | 0 | – | – | – |");
    expect(md).toContain("| price_sensitivity | high | 17 | 23.5% | 17.6% | -5.9 pp [-17.6, +5.9] |");
  });

  it("shows the design, the run, exclusions, warnings, per-arm metrics and funnels", () => {
    expect(md).toContain(
      "| reduced_filters | treatment | variant reduced_filters on the built-in shop (flags filter_panel=compact) | 60 | 120 | purchased 41, terminated 67, max_steps 10, error 2 |",
    );
    for (const row of ["| replicas | 2 |", "| alpha | 0.05 |", "| power | 0.8 |", "| seed | 42 |"])
      expect(md).toContain(row);
    expect(md).toContain("| bootstrap resamples | 2000 |");
    expect(md).toContain("| run id | r-20250614-091244-5c2e |");
    expect(md).toContain("| duration | 30 min 43 s |");
    expect(md).toContain("Excluded sessions: 3.");
    expect(md).toContain("- `s-b20e44d7` (no_buy_now): aborted: step timed out after 30 s");
    for (const w of report.warnings) expect(md).toContain(`- ${w}`);
    expect(md).toContain(
      "| Conversion rate | primary | 28.6% [21.0%, 37.0%], n=119 | 34.2% [25.8%, 42.5%], n=120 | 26.3% [18.6%, 34.7%], n=118 | server |",
    );
    expect(md).toContain("| Average order value |  | $51.86 [$44.20, $60.31], n=34 |");
    expect(md).toContain("| Time to purchase | secondary | 96.4 s [84.0 s, 110.2 s], n=34 |");
    for (const metric of ["Cart abandonment", "Searches per session", "Filter use", "Steps to purchase"])
      expect(md).toContain(`| ${metric} |`);
    expect(md).toContain("| stage | control | reduced_filters | no_buy_now |");
    expect(md).toContain("| Reached checkout | 40 (33.6%) | 47 (39.2%) | 36 (30.5%) |");
  });
});

describe("renderAbHtml", () => {
  let html = "";
  let $: cheerio.CheerioAPI;
  let ms = 0;

  beforeAll(async () => {
    const start = performance.now();
    html = await renderAbHtml(fixture());
    ms = performance.now() - start;
    $ = cheerio.load(html);
  });

  it("renders quickly enough and has no script, no external resource", () => {
    expect(ms).toBeLessThan(15_000); // loose: it takes well under a second
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect($("script, link, img, iframe, object, embed").length).toBe(0);
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect($("title").text()).toBe("A/B experiment: Compact filter panel and no buy-now button");
  });

  it("draws each kind of plot as inline SVG", () => {
    expect($("svg").length).toBeGreaterThanOrEqual(3);
    for (const id of ["plot-bars", "plot-funnel", "plot-forest-1", "plot-forest-2"]) {
      expect($(`figure#${id} > svg`).length, id).toBe(1);
      expect($(`figure#${id} > h4`).text().length, id).toBeGreaterThan(0);
      expect($(`figure#${id} > figcaption`).text().length, id).toBeGreaterThan(0);
    }
  });

  it("labels the bars by arm and by metric", () => {
    const text = $("#plot-bars svg").text();
    for (const arm of ARMS) expect(text).toContain(arm);
    for (const label of [
      "Conversion rate",
      "Revenue per session",
      "Goal score",
      "Steps per session",
      "Time to purchase",
      "Errors per session",
      "Bounce rate",
    ])
      expect(text).toContain(label);
    // Seven charts, three bars each.
    expect($('#plot-bars svg [aria-roledescription="bar"]').length).toBe(21);
  });

  it("shows every arm and stage in the funnel", () => {
    const text = $("#plot-funnel svg").text();
    for (const arm of ARMS) expect(text).toContain(arm);
    for (const stage of STAGES) expect(text).toContain(stage);
  });

  it("has one forest row per segment with a difference, plus the overall effect", () => {
    const report = fixture();
    for (const [i, c] of report.comparisons.entries()) {
      const text = $(`#plot-forest-${i + 1} svg`).text();
      expect(text).toContain("Overall (Conversion rate)");
      for (const s of c.segments) {
        const label = `${s.attribute}: ${s.segment}`;
        if (s.diff === null) expect(text).not.toContain(label);
        else expect(text).toContain(label);
      }
      expect(text).toContain(`difference, pp (${c.treatment} − ${c.control})`);
    }
  });

  it("has the Markdown's content: decision, tables with numbers right-aligned", () => {
    const decision = $("p.decision").first();
    expect(decision.find("strong").text()).toBe("SHIP");
    expect(decision.text()).toBe("Decision: SHIP reduced_filters (vs control).");
    const cell = $("td").filter((_, el) => $(el).text() === "+5.9 pp [+0.8, +11.0]");
    expect(cell.length).toBe(1);
    expect(cell.hasClass("num")).toBe(true);
    expect($("td.outcome-worse").text()).toBe("✗ worse");
    expect($("td").filter((_, el) => $(el).text() === "income_band").length).toBe(10);
  });
});

describe("escaping", () => {
  it("escapes the five HTML-special characters", () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;",
    );
  });

  it("escapes every text from the report, in tables, headings and plots", async () => {
    const report = fixture();
    const hostileUrl = `https://staging.example.com/?a=1&b="x"><img src=x onerror=alert(2)>`;
    report.experiment.name = "Filters <b>bold</b>";
    report.experiment.hypothesis = "<script>alert(1)</script>";
    report.experiment.arms[1] = { name: "reduced_filters", source: hostileUrl };
    const arm = report.arms[1];
    if (arm) arm.source = hostileUrl;
    report.decision.reasons.push(`</li></ul><script>alert(4)</script>`);
    const segment = report.comparisons[0]?.segments[0];
    if (segment) segment.segment = "<script>alert(3)</script>";
    const html = await renderAbHtml(AbReportSchema.parse(report));
    const $ = cheerio.load(html);

    expect(html).not.toMatch(/<script/i);
    expect($("script, img, b").length).toBe(0);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect($("p.hypothesis").text()).toBe("Hypothesis: <script>alert(1)</script>");
    expect($("h1").text()).toBe("A/B experiment: Filters <b>bold</b>");
    expect($("title").text()).toBe("A/B experiment: Filters <b>bold</b>");
    expect(html).toContain("https://staging.example.com/?a=1&amp;b=&quot;x&quot;&gt;&lt;img");
    expect($("td").filter((_, el) => $(el).text() === hostileUrl).length).toBe(1);
    expect($("li").filter((_, el) => $(el).text() === "</li></ul><script>alert(4)</script>").length).toBe(1);
    expect($("#plot-forest-1 svg").text()).toContain("age_band: <script>alert(3)</script>");
  });
});

describe("degenerate reports", () => {
  it("renders comparisons whose segments all lack a difference and an arm with no sessions", async () => {
    const report = fixture();
    for (const c of report.comparisons)
      for (const s of c.segments) Object.assign(s, { diff: null, ci: { low: null, high: null } });
    const second = report.comparisons[1];
    if (second)
      for (const m of second.metrics)
        Object.assign(m, { diff: null, diff_ci: { low: null, high: null }, treatment: null, n_units: 0 });
    const empty = report.arms[2];
    if (empty) {
      empty.sessions = 0;
      empty.by_status = {};
      for (const m of empty.metrics) Object.assign(m, { value: null, ci: { low: null, high: null }, n: 0 });
      for (const f of empty.funnel) Object.assign(f, { sessions: 0, share: 0 });
    }
    const parsed = AbReportSchema.parse(report);

    const md = renderAbMarkdown(parsed);
    expect(md).toContain(
      "| Conversion rate | primary | 28.6% [21.0%, 37.0%], n=119 | 34.2% [25.8%, 42.5%], n=120 | –, n=0 |",
    );
    expect(md).toContain("| Sessions | 119 (100.0%) | 120 (100.0%) | 0 (0.0%) |");

    const $ = cheerio.load(await renderAbHtml(parsed));
    // The first comparison still has its overall effect; the second has nothing to plot.
    expect($("#plot-forest-1 svg").text()).toContain("Overall (Conversion rate)");
    expect($("#plot-forest-1 svg").text()).not.toContain("age_band");
    expect($("#plot-forest-2 svg").length).toBe(0);
    expect($("#plot-forest-2").text()).toContain("No segment has a difference to plot.");
    expect($('#plot-bars svg [aria-roledescription="bar"]').length).toBe(14);
    expect($("#plot-funnel svg").text()).toContain("no_buy_now");
  });

  it("renders a report with no comparison and no metric value", async () => {
    const report = fixture();
    report.comparisons = [];
    report.decision = { verdict: "inconclusive", arm: null, rule: "No comparison ran.", reasons: [] };
    for (const a of report.arms)
      for (const m of a.metrics) Object.assign(m, { value: null, ci: { low: null, high: null } });
    const parsed = AbReportSchema.parse(report);
    expect(renderAbMarkdown(parsed)).toContain("Decision: **INCONCLUSIVE** — no treatment arm decided.");
    const $ = cheerio.load(await renderAbHtml(parsed));
    expect($("#plot-bars svg").length).toBe(0);
    expect($("#plot-bars").text()).toContain("No metric has a value to plot.");
    expect($("#plot-funnel svg").length).toBe(1);
  });
});
