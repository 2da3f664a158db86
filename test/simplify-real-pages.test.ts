import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { simplify } from "../src/simplify/index.ts";
import { checkSimplified, countInteractive } from "./helpers/simplify-checks.ts";

/**
 * 258 pages saved from real sites (news, portals, blogs; the htmlparser-benchmark package's corpus):
 * markup nobody wrote for this project, with its inline styles, conditional comments, malformed
 * nesting, forms and menus. The simplifier must hold every rule on each of them, not only on the
 * sandbox shop and on generated pages.
 */
const require = createRequire(import.meta.url);
const dir = join(dirname(require.resolve("htmlparser-benchmark/package.json")), "files");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".html"))
  .sort();

describe("simplify, on pages from real sites", () => {
  it("has the whole corpus", () => {
    expect(files.length).toBe(258);
  });

  // In chunks, so that a failure names a small set of files and no test runs long.
  const CHUNK = 43;
  for (let start = 0; start < files.length; start += CHUNK) {
    const chunk = files.slice(start, start + CHUNK);
    it(`names every visible control uniquely, with exact locators and well-formed HTML (pages ${start + 1}–${start + chunk.length})`, () => {
      let named = 0;
      for (const f of chunk) {
        const html = readFileSync(join(dir, f), "utf8");
        try {
          named += Object.keys(checkSimplified(html).elements).length;
        } catch (err) {
          throw new Error(`${f}: ${(err as Error).message}`);
        }
      }
      // Real pages are full of controls: a simplifier that dropped them would pass the rest vacuously.
      expect(named).toBeGreaterThan(chunk.length * 50);
    });
  }

  it("keeps the pages' text and drops their scripts and styles", () => {
    let kept = 0;
    let raw = 0;
    for (const f of files) {
      const html = readFileSync(join(dir, f), "utf8");
      const p = simplify(html, "https://news.example/");
      expect(p.html, f).not.toMatch(/<(script|style|noscript|iframe|template)[\s>]/i);
      expect(p.html, f).not.toMatch(/<!--/);
      expect(countInteractive(html), f).toBe(Object.keys(p.elements).length);
      kept += p.html.length;
      raw += html.length;
    }
    // Measured at 20% of the bytes; far less means content was lost, far more that junk was kept.
    expect(kept / raw).toBeGreaterThan(0.1);
    expect(kept / raw).toBeLessThan(0.35);
  });
});
