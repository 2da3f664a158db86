/**
 * The small slice of the parsed DOM (cheerio with parse5, i.e. domhandler nodes built the way a browser
 * builds its tree) that the simplifier reads, plus the visibility and text helpers every pass shares.
 * Everything here is iterative: pages may nest 10,000 levels deep.
 */
import { NOT_RENDERED_ATTR } from "../contracts/action.ts";

export interface DomNode {
  type: string;
  parent: DomNode | null;
  prev: DomNode | null;
  next: DomNode | null;
}
export interface DomElement extends DomNode {
  name: string;
  attribs: Record<string, string>;
  children: DomNode[];
}
export interface DomText extends DomNode {
  data: string;
}
export interface DomParent extends DomNode {
  children: DomNode[];
}

export function isElement(node: DomNode): node is DomElement {
  return node.type === "tag" || node.type === "script" || node.type === "style";
}
export function isText(node: DomNode): node is DomText {
  return node.type === "text";
}

/** Elements whose whole subtree never reaches the observation. */
export const DROP_TAGS = new Set([
  "head",
  "script",
  "style",
  "noscript",
  "template",
  "iframe",
  "frame",
  "frameset",
  "noframes",
  "noembed",
  "object",
  "embed",
  "applet",
  "canvas",
  "audio",
  "video",
  "source",
  "track",
  "map",
  "link",
  "meta",
  "base",
  "datalist",
  "colgroup",
  "col",
  "math",
  "svg",
  "picture",
  "param",
  "wbr",
  "hr",
]);

const HIDDEN_STYLE = /(?:^|;|\s)(?:display\s*:\s*none|visibility\s*:\s*hidden)/i;

/** True when the element (not looking at its ancestors) is hidden from a sighted shopper. */
export function isHidden(el: DomElement): boolean {
  const a = el.attribs;
  if (a.hidden !== undefined || a[NOT_RENDERED_ATTR] !== undefined) return true;
  const ariaHidden = a["aria-hidden"];
  if (ariaHidden !== undefined && ariaHidden.trim().toLowerCase() === "true") return true;
  const style = a.style;
  if (style !== undefined && style.length < 10_000 && HIDDEN_STYLE.test(style)) return true;
  if (el.name === "input" && (a.type ?? "").trim().toLowerCase() === "hidden") return true;
  if (el.name === "dialog" && a.open === undefined) return true;
  return false;
}

/** Dropped from the observation together with its subtree (svg is handled by its caller: label kept). */
export function isRemoved(el: DomElement): boolean {
  return DROP_TAGS.has(el.name) || isHidden(el);
}

const WS = /\s+/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping binary junk is the point
const JUNK = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping binary junk is the point
const JUNK_ALL = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/g;
/** Collapses runs of whitespace (including non-breaking spaces) and drops control characters. */
export function collapse(s: string): string {
  // Most text needs nothing done: one scan decides, so that no copy of it is built.
  let prevSpace = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      if (prevSpace) return rewrite(s);
      prevSpace = true;
    } else if (c < 32) {
      return rewrite(s);
    } else if (c > 126 && (c === 127 || c === 0xfffd || (c > 127 && WS_CHAR.test(s[i]!)))) {
      return rewrite(s);
    } else prevSpace = false;
  }
  return s;
}
function rewrite(s: string): string {
  return (JUNK.test(s) ? s.replace(JUNK_ALL, "") : s).replace(WS, " ");
}
const WS_CHAR = /\s/;

/** The readable label of an <svg>: its aria-label or its first <title> child. */
export function svgLabel(el: DomElement): string {
  const aria = el.attribs["aria-label"];
  if (aria?.trim()) return collapse(aria).trim();
  for (const c of el.children) {
    if (isElement(c) && c.name === "title") return textOf(c, { limit: 80 });
  }
  return "";
}

export interface TextOptions {
  /** Stop after about this many characters. */
  limit?: number;
  /** Stop after visiting this many nodes (bounds the cost on huge or deep subtrees). */
  budget?: number;
  /** A subtree to leave out (the control itself, when reading its wrapping label). */
  skip?: DomNode | null;
  /** Leave out form controls' own text (options of a select inside a label). */
  skipControls?: boolean;
}

const CONTROL_TAGS = new Set(["select", "textarea", "input", "button"]);

/**
 * Visible text of a subtree, as a screen reader would roughly read it: text nodes, img alt, svg titles,
 * aria-label of descendants in place of their content. Hidden descendants are skipped; `root` itself is
 * read even when hidden (aria-labelledby may point at hidden text).
 */
export function textOf(root: DomNode, opts: TextOptions = {}): string {
  const limit = opts.limit ?? 120;
  // The commonest case, an element holding one text (a link, a heading, a label), without the machinery.
  if (isElement(root) && root.children.length === 1 && root.name !== "img" && root.name !== "br") {
    const only = root.children[0]!;
    if (isText(only)) {
      const text = collapse(only.data).trim();
      return text.length > limit * 2 ? text.slice(0, limit * 2) : text;
    }
  }
  let budget = opts.budget ?? 400;
  const parts: string[] = [];
  let length = 0;
  let lastPhrase = "";
  /** Adds a phrase unless it repeats the previous one (an image's alt next to the same caption). */
  const phrase = (t: string): void => {
    const p = t.trim();
    if (!p) {
      if (t) parts.push(" ");
      return;
    }
    if (p === lastPhrase) return;
    lastPhrase = p;
    parts.push(` ${t} `);
    length += t.length;
  };
  const stack: DomNode[] = [root];
  while (stack.length > 0 && length < limit && budget-- > 0) {
    const node = stack.pop()!;
    if (isText(node)) {
      const t = collapse(node.data);
      if (t.trim()) {
        if (t.trim() !== lastPhrase) {
          parts.push(t);
          length += t.length;
          lastPhrase = t.trim();
        }
      } else if (t) parts.push(" ");
      continue;
    }
    if (!isElement(node)) continue;
    if (node !== root) {
      if (node === opts.skip) continue;
      if (node.name === "svg") {
        const label = svgLabel(node);
        if (label && !isHidden(node)) phrase(label);
        continue;
      }
      if (isRemoved(node)) continue;
      if (opts.skipControls && CONTROL_TAGS.has(node.name)) continue;
      const aria = node.attribs["aria-label"];
      if (aria?.trim()) {
        phrase(collapse(aria));
        continue;
      }
    }
    if (node.name === "img" || (node.name === "input" && node.attribs.type === "image")) {
      const alt = node.attribs.alt;
      if (alt?.trim()) phrase(collapse(alt));
      continue;
    }
    if (node.name === "br") {
      parts.push(" ");
      continue;
    }
    const kids = node.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  const text = collapse(parts.join("")).trim();
  return text.length > limit * 2 ? text.slice(0, limit * 2) : text;
}
