import { load } from "cheerio";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { simplify } from "../src/simplify/index.ts";
import { checkSimplified } from "./helpers/simplify-checks.ts";

// --- generated pages ---------------------------------------------------------------------------

const words = fc.constantFrom(
  "Add to cart",
  "Next",
  "Price",
  "$25",
  "Crème & co",
  "",
  "  ",
  "★",
  "a<b",
  "Buy",
);
const ids = fc.constantFrom("a", "b", "c", "1x", "dup id");

interface Spec {
  tag: string;
  attrs: Record<string, string>;
  kids: (Spec | string)[];
}

const attrsArb = (tag: string) =>
  fc
    .record(
      {
        id: ids,
        class: fc.constantFrom("card", "tile x", "css-1x2"),
        "aria-label": words,
        hidden: fc.constant(""),
        "aria-hidden": fc.constantFrom("true", "false"),
        href: fc.constantFrom("/x", "#"),
        type: fc.constantFrom("text", "checkbox", "radio", "submit", "hidden", "search"),
        value: words,
        name: fc.constantFrom("q", "zip", "size"),
        disabled: fc.constant(""),
        checked: fc.constant(""),
        placeholder: words,
        role: fc.constantFrom("button", "link", "checkbox", "presentation", "toString", "constructor"),
      },
      { requiredKeys: [] },
    )
    .map((a) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(a)) {
        if (k === "hidden" && Math.abs(hash(JSON.stringify(a))) % 5 !== 0) continue; // hide only sometimes
        if ((k === "href" && tag !== "a") || ((k === "type" || k === "checked") && tag !== "input")) continue;
        out[k] = v;
      }
      return out;
    });

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

const { tree } = fc.letrec<{ tree: Spec; node: Spec | string }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, words, tie("tree")),
  tree: fc
    .constantFrom(
      "div",
      "section",
      "ul",
      "li",
      "form",
      "a",
      "button",
      "input",
      "select",
      "label",
      "span",
      "h3",
      // Unknown elements, including names an object's prototype has.
      "constructor",
      "x-card",
    )
    .chain((tag) =>
      fc.record({
        tag: fc.constant(tag),
        attrs: attrsArb(tag),
        kids:
          tag === "input"
            ? fc.constant([])
            : tag === "select"
              ? fc.array(
                  words.map((w) => ({ tag: "option", attrs: { value: w }, kids: [w] }) as Spec),
                  { maxLength: 3 },
                )
              : fc.array(tie("node"), { maxLength: 4 }),
      }),
    ),
}));

function render(n: Spec | string): string {
  if (typeof n === "string") return n.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const attrs = Object.entries(n.attrs)
    .map(([k, v]) => ` ${k}="${v.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`)
    .join("");
  if (n.tag === "input") return `<input${attrs}>`;
  return `<${n.tag}${attrs}>${n.kids.map(render).join("")}</${n.tag}>`;
}

const page = fc
  .array(tree, { minLength: 1, maxLength: 4 })
  .map((ts) => `<html><body>${ts.map(render).join("")}</body></html>`);

/**
 * CI replays one fixed sample so that a merge never hangs on a page nobody has seen; elsewhere each
 * run draws new pages (set FC_SEED to replay a failure fast-check reported).
 */
const fcSeed = process.env.FC_SEED ? Number(process.env.FC_SEED) : process.env.CI ? 20261122 : undefined;
if (fcSeed !== undefined) fc.configureGlobal({ seed: fcSeed });

describe("simplify, on generated pages", () => {
  it("names every interactive element uniquely, with locators matching exactly it, and writes well-formed HTML", () => {
    fc.assert(
      fc.property(page, (html) => {
        checkSimplified(html);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps names within a short maxNameLength", () => {
    fc.assert(
      fc.property(page, fc.integer({ min: 10, max: 40 }), (html, max) => {
        checkSimplified(html, max);
      }),
      { numRuns: 100 },
    );
  });

  it("never throws on arbitrary strings and markup fragments", () => {
    const fragment = fc.array(
      fc.oneof(
        fc.string(),
        fc.constantFrom(
          "<div>",
          "</div>",
          "<a href=x>",
          "</a>",
          "<table>",
          "<tr>",
          "<td>",
          "<form>",
          "<select>",
          "<option>",
          "<script>",
          "</script>",
          "<!--",
          "-->",
          "<svg>",
          "<![CDATA[",
          "<button>",
          "<input>",
          "<li>",
          "<p>",
          "\u0000",
          "&amp;",
          "&#0;",
          "<h2>",
        ),
      ),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(fragment, (parts) => {
        const html = parts.join("");
        const p = simplify(html, "x");
        expect(typeof p.html).toBe("string");
        const $ = load(html);
        for (const loc of Object.values(p.elements)) expect($(loc.css).length).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});
