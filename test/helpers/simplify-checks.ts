/** Independent checks of the simplifier's output, shared by the property tests and the real-page tests. */
import { load } from "cheerio";
import { expect } from "vitest";
import type { SimplifiedPage } from "../../src/contracts/action.ts";
import { simplify } from "../../src/simplify/index.ts";

/** An inline style that hides the element: `display: none` or `visibility: hidden`, any case or spacing. */
function styleHides(style: string | undefined): boolean {
  if (!style) return false;
  return style
    .toLowerCase()
    .split(";")
    .some((decl) => {
      const [prop, value] = decl.split(":").map((s) => s.trim());
      return (prop === "display" && value === "none") || (prop === "visibility" && value === "hidden");
    });
}

/** ARIA widget roles a shopper operates (the first token of `role` is the one that counts). */
const WIDGET_ROLES = new Set(
  "button link checkbox switch menuitemcheckbox radio menuitemradio option treeitem menuitem tab textbox searchbox combobox spinbutton".split(
    " ",
  ),
);

const NATIVE_CONTROLS = new Set(["button", "input", "select", "textarea", "summary"]);

/**
 * Interactive elements counted with plain selectors on the parsed original, not with the simplifier's
 * code: links, buttons, fields, summaries, editable regions and widget roles, unless they or an
 * ancestor are hidden (attribute, aria-hidden, inline style) or not rendered (head, template, script,
 * noscript).
 */
export function countInteractive(html: string): number {
  const $ = load(html);
  return $("a[href], button, input, select, textarea, summary, [role], [contenteditable]")
    .filter((_, el) => {
      const a = el.attribs;
      const native = el.name === "a" ? a.href !== undefined : NATIVE_CONTROLS.has(el.name);
      const role = (a.role ?? "").trim().toLowerCase().split(/\s+/)[0] ?? "";
      const editable = a.contenteditable !== undefined && a.contenteditable.trim().toLowerCase() !== "false";
      if (!native && !WIDGET_ROLES.has(role) && !editable) return false;
      if (el.name === "input" && (a.type ?? "").trim().toLowerCase() === "hidden") return false;
      if ($(el).closest('[hidden], [aria-hidden="true"], template, script, noscript, head').length > 0)
        return false;
      return ![el, ...$(el).parents().get()].some((p) => styleHides(p.attribs.style));
    })
    .get().length;
}

const BOOL = new Set(["checked", "selected", "disabled", "required", "readonly", "multiple", "open"]);
const VOID = new Set(["input", "img", "br", "area"]);

/** Re-serializes a parsed fragment the way the simplifier writes: equal output means well-formed and stable. */
function reserialize(html: string): string {
  const $ = load(html, null, false);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const parts: string[] = [];
  const stack: unknown[] = [...($.root()[0]!.children as unknown[])].reverse();
  while (stack.length > 0) {
    const n = stack.pop() as
      | { type: string; data?: string; name?: string; attribs?: Record<string, string>; children?: unknown[] }
      | string;
    if (typeof n === "string") {
      parts.push(n);
      continue;
    }
    if (n.type === "text") {
      parts.push(esc(n.data!));
      continue;
    }
    if (n.type !== "tag" && n.type !== "script" && n.type !== "style") continue;
    const attrs = Object.entries(n.attribs!)
      .map(([k, v]) => (BOOL.has(k) && v === "" ? ` ${k}` : ` ${k}="${esc(v).replace(/"/g, "&quot;")}"`))
      .join("");
    parts.push(`<${n.name}${attrs}>`);
    if (VOID.has(n.name!)) continue;
    stack.push(`</${n.name}>`);
    for (const c of [...n.children!].reverse()) stack.push(c);
  }
  return parts.join("");
}

/**
 * Checks one page's simplification against independent oracles: every interactive element named once,
 * names well-formed and within the length cap, each locator matching exactly its own element, the
 * names shown in the HTML equal to the map's, the HTML well-formed, and the result deterministic.
 */
export function checkSimplified(html: string, maxNameLength?: number): SimplifiedPage {
  const p = simplify(html, "https://shop.example/", maxNameLength ? { maxNameLength } : {});
  const names = Object.keys(p.elements);
  expect(names.length).toBe(countInteractive(html));
  const $ = load(html);
  const hits = new Set<unknown>();
  for (const [name, loc] of Object.entries(p.elements)) {
    expect(name).toMatch(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/);
    expect(name.length).toBeLessThanOrEqual(maxNameLength ?? 100);
    const hit = $(loc.css);
    expect(hit.length, loc.css).toBe(1);
    hits.add(hit[0]);
  }
  expect(hits.size).toBe(names.length);
  const shown = [...p.html.matchAll(/ name="([^"]*)"/g)].map((m) => m[1]);
  expect(new Set(shown).size).toBe(shown.length);
  expect(new Set(shown)).toEqual(new Set(names));
  expect(reserialize(p.html)).toBe(p.html);
  expect(simplify(html, "https://shop.example/", maxNameLength ? { maxNameLength } : {})).toEqual(p);
  return p;
}
