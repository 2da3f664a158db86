/** The simplified output tree and its serializer (iterative: output may nest thousands deep). */

export interface OutEl {
  tag: string;
  /** The semantic name, for interactive elements; set once every element has been named. */
  name: string | null;
  attrs: [string, string | null][];
  children: Out[];
}
export type Out = OutEl | string;

export const VOID_TAGS = new Set(["input", "img", "br", "area"]);

/** Elements around which whitespace carries no meaning. */
export const BLOCK_TAGS = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "body",
  "caption",
  "dd",
  "details",
  "dialog",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "html",
  "legend",
  "li",
  "main",
  "menu",
  "nav",
  "ol",
  "optgroup",
  "option",
  "p",
  "pre",
  "section",
  "select",
  "summary",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "tr",
  "ul",
]);

/** Containers whose whitespace-only text children are never shown. */
const STRUCTURAL = new Set([
  "table",
  "thead",
  "tbody",
  "tfoot",
  "tr",
  "ul",
  "ol",
  "dl",
  "select",
  "optgroup",
]);

const TEXT_SPECIAL = /[&<>]/;
const ATTR_SPECIAL = /[&<>"]/;
export function escapeText(s: string): string {
  if (!TEXT_SPECIAL.test(s)) return s;
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
export function escapeAttr(s: string): string {
  if (!ATTR_SPECIAL.test(s)) return s;
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Appends to a child list, merging adjacent text and collapsing the space where two texts meet. */
export function pushOut(sink: Out[], item: Out): void {
  if (typeof item === "string") {
    if (!item) return;
    const last = sink.length - 1;
    const prev = sink[last];
    if (typeof prev === "string") {
      sink[last] = prev.endsWith(" ") && item.startsWith(" ") ? prev + item.slice(1) : prev + item;
      return;
    }
  }
  sink.push(item);
}

const isBlock = (o: Out | undefined): boolean =>
  typeof o !== "string" && o !== undefined && BLOCK_TAGS.has(o.tag);

/** Trims whitespace at block boundaries of a finished child list, in place; returns the list. */
export function trimChildren(tag: string, children: Out[]): Out[] {
  if (!children.some((c) => typeof c === "string")) return children;
  const block = BLOCK_TAGS.has(tag) || tag === "";
  const structural = STRUCTURAL.has(tag);
  const n = children.length;
  let w = 0;
  for (let i = 0; i < n; i++) {
    let c = children[i]!;
    if (typeof c === "string") {
      if (structural && !c.trim()) continue;
      // Texts never sit next to texts (pushOut merges them), so the item before is an element,
      // already kept at w - 1; the item after is still untouched at i + 1.
      if (i === 0 ? block : isBlock(children[w - 1])) c = c.trimStart();
      if (i === n - 1 ? block : isBlock(children[i + 1])) c = c.trimEnd();
      if (!c) continue;
    }
    children[w++] = c;
  }
  children.length = w;
  return children;
}

/** Serializes the output tree without recursion, after `head` (already HTML). */
export function serialize(roots: readonly Out[], head = ""): string {
  const parts: string[] = [head];
  // `null` on the stack closes the innermost open element (its tag is on `open`).
  const stack: (Out | null)[] = [];
  const open: string[] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push(roots[i]!);
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item === null) {
      parts.push(closeTag(open.pop()!));
      continue;
    }
    if (typeof item === "string") {
      parts.push(escapeText(item));
      continue;
    }
    let tag = `<${item.tag}`;
    if (item.name !== null) tag += ` name="${escapeAttr(item.name)}"`;
    for (const [k, v] of item.attrs) tag += v === null ? ` ${k}` : ` ${k}="${escapeAttr(v)}"`;
    parts.push(`${tag}>`);
    if (VOID_TAGS.has(item.tag)) continue;
    open.push(item.tag);
    stack.push(null);
    for (let i = item.children.length - 1; i >= 0; i--) stack.push(item.children[i]!);
  }
  // One join: a flat string, so whoever reads the page does not pay for flattening a rope.
  return parts.join("");
}

const closeTags = new Map<string, string>();
function closeTag(tag: string): string {
  let close = closeTags.get(tag);
  if (close === undefined) {
    close = `</${tag}>`;
    if (closeTags.size < 1000) closeTags.set(tag, close);
  }
  return close;
}
