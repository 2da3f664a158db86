import { load } from "cheerio";
import type { ElementKind, ElementLocator, SimplifiedPage } from "../contracts/action.ts";
import {
  collapse,
  type DomElement,
  type DomNode,
  type DomParent,
  isElement,
  isHidden,
  isRemoved,
  isText,
  svgLabel,
  textOf,
} from "./dom.ts";
import { cssEscape, hrefWords, joinName, NameRegistry, slug } from "./names.ts";
import { type Out, type OutEl, pushOut, serialize, trimChildren, VOID_TAGS } from "./output.ts";
import { dropRawText } from "./rawtext.ts";

export interface SimplifyOptions {
  /** Longest name, in characters (default 100). Outermost ancestor segments are dropped first. */
  maxNameLength?: number;
}

export const DEFAULT_MAX_NAME_LENGTH = 100;
const MAX_LABEL_CHARS = 100;
const MAX_ATTR_CHARS = 300;

// --- what is interactive, and as what ----------------------------------------------------------

// Maps, not objects: tag names and roles come from the page, and `constructor` must not find Object.
const ROLE_KINDS = new Map<string, ElementKind>([
  ["button", "button"],
  ["link", "link"],
  ["checkbox", "checkbox"],
  ["switch", "checkbox"],
  ["menuitemcheckbox", "checkbox"],
  ["radio", "radio"],
  ["menuitemradio", "radio"],
  ["option", "option"],
  ["treeitem", "option"],
  ["menuitem", "button"],
  ["tab", "button"],
  ["textbox", "text_input"],
  ["searchbox", "text_input"],
  ["combobox", "button"],
  ["spinbutton", "text_input"],
]);

const BUTTON_INPUTS = new Set(["submit", "button", "reset", "image", "file"]);

function firstRole(el: DomElement): string {
  const role = el.attribs.role;
  if (!role) return "";
  return role.trim().toLowerCase().split(/\s+/, 1)[0] ?? "";
}

function inputType(el: DomElement): string {
  return (el.attribs.type ?? "text").trim().toLowerCase() || "text";
}

/** The kind of control an element is, or null when a shopper cannot act on it. */
export function interactiveKind(el: DomElement, role: string = firstRole(el)): ElementKind | null {
  switch (el.name) {
    case "input": {
      const type = inputType(el);
      if (type === "hidden") return null;
      if (type === "checkbox" || type === "radio") return type;
      return BUTTON_INPUTS.has(type) ? "button" : "text_input";
    }
    case "select":
      return "select";
    case "textarea":
      return "textarea";
    case "button":
      return "button";
    case "summary":
      return "button";
  }
  const byRole = role ? ROLE_KINDS.get(role) : undefined;
  if (byRole) return byRole;
  if (el.name === "a" && el.attribs.href !== undefined) return "link";
  const editable = el.attribs.contenteditable;
  if (editable !== undefined && editable.trim().toLowerCase() !== "false") return "text_input";
  return null;
}

// --- scopes: ancestors whose names prefix their controls' names --------------------------------

interface Scope {
  tag: string;
  parent: Scope | null;
  /** The resolved name segment, or null when this scope adds nothing to names. */
  seg: string | null;
  /** Strong scopes (section, li, form, …) take the first heading inside them; weak ones (div) only a lone one. */
  strong: boolean;
  /** Named at entry (aria-label, aria-labelledby, legend, caption): headings inside are ignored. */
  fixed: boolean;
  heading: string | null;
  headingLevel: number;
  headingCount: number;
  /** Interactive elements inside, outside headings. */
  interactive: number;
  fallback: (() => string) | null;
  /** The first link directly in this scope: its label names an unheaded list item or row with several controls. */
  firstLink: Control | null;
  /**
   * An element whose aria-labelledby names an element further down: whether it names this scope is
   * known when the scope closes. Until then it collects headings as an unnamed scope would.
   */
  pending: DomElement | null;
  prefix: string;
}

const STRONG_TAGS = new Set([
  "section",
  "article",
  "aside",
  "nav",
  "form",
  "fieldset",
  "li",
  "tr",
  "table",
  "dialog",
]);
const STRONG_ROLES = new Set([
  "region",
  "dialog",
  "alertdialog",
  "group",
  "radiogroup",
  "navigation",
  "search",
  "complementary",
  "form",
  "listitem",
  "row",
  "tablist",
  "toolbar",
  "menu",
  "menubar",
  "listbox",
  "tree",
  "grid",
  "tabpanel",
  "article",
]);
const LANDMARK_TAGS = new Set(["form", "nav", "aside", "section", "dialog"]);
const LANDMARK_ROLES = new Set(["search", "navigation", "complementary", "dialog", "region", "form"]);
const WEAK_TAGS = new Set(["div", "header", "footer"]);
const GENERIC_WORDS = new Set([
  "container",
  "wrapper",
  "wrap",
  "row",
  "col",
  "column",
  "flex",
  "grid",
  "clearfix",
  "inner",
  "outer",
  "content",
  "block",
  "box",
  "section",
  "main",
  "form",
  "nav",
  "card",
  "panel",
  "hidden",
  "active",
  "visible",
  "show",
  "open",
  "left",
  "right",
  "center",
  "relative",
  "absolute",
  // The words of CSS frameworks' utility classes (`d-inline`, `form-inline`, `mx-auto`, `list-group-item`):
  // a class made only of these says how a box looks, not what it is.
  "d",
  "inline",
  "fluid",
  "top",
  "bottom",
  "buffer",
  "spacer",
  "auto",
  "mx",
  "my",
  "mt",
  "mb",
  "ms",
  "me",
  "px",
  "py",
  "pt",
  "pb",
  "text",
  "float",
  "pull",
  "push",
  "group",
  "list",
  "item",
  "items",
  "control",
  "horizontal",
  "vertical",
  "xs",
  "sm",
  "md",
  "lg",
  "xl",
  "xxl",
  "full",
  "width",
  "justify",
  "align",
  "start",
  "end",
  "between",
  "fixed",
  "sticky",
  "static",
  "fade",
  "collapse",
  "wide",
  "narrow",
  "default",
]);

/** A readable word from a landmark's id or classes (`search-bar` → "search_bar"), for unnamed landmarks. */
function idClassToken(el: DomElement): string {
  const candidates = [el.attribs.id ?? "", ...(el.attribs.class ?? "").slice(0, 500).split(/\s+/)];
  for (const c of candidates) {
    if (!/^[a-z][a-z_-]{2,30}$/i.test(c) || c.includes("__") || c.includes("--")) continue;
    if (
      c.startsWith("js-") ||
      c
        .toLowerCase()
        .split(/[-_]+/)
        .every((w) => w === "" || GENERIC_WORDS.has(w))
    )
      continue;
    const s = slug(c.replace(/([a-z])([A-Z])/g, "$1 $2"));
    if (s) return s;
  }
  return "";
}

function headingLevel(el: DomElement, role: string): number {
  const n = el.name;
  if (n.length === 2 && n[0] === "h" && n[1]! >= "1" && n[1]! <= "6") return Number(n[1]);
  if (role === "heading") return Number(el.attribs["aria-level"]) || 2;
  return 0;
}

// --- output attributes -------------------------------------------------------------------------

const BOOLEAN_ATTRS = new Set([
  "checked",
  "selected",
  "disabled",
  "required",
  "readonly",
  "multiple",
  "open",
]);
const ARIA_STATE = new Set([
  "aria-checked",
  "aria-current",
  "aria-pressed",
  "aria-disabled",
  "aria-invalid",
  "aria-expanded",
  "aria-selected",
  "aria-label",
]);
const RENAME = new Map([
  ["plaintext", "pre"],
  ["xmp", "pre"],
  ["listing", "pre"],
]);
/** Inline wrappers: unwrapped even around text, as a browser renders them. */
const INLINE_GENERIC = new Set([
  "span",
  "font",
  "b",
  "i",
  "u",
  "small",
  "big",
  "s",
  "abbr",
  "mark",
  "bdi",
  "bdo",
  "time",
  "data",
  "cite",
  "tt",
  "strike",
  "nobr",
]);
/** Wrappers that carry no meaning of their own. */
const GENERIC = new Set(["div", "center", ...INLINE_GENERIC]);

/**
 * Tags a parser will not nest: a DOM can hold a form in a form (`<form><label><form></form><form>`
 * reopens one), a heading in a heading or a p in a p, but written out and parsed again they come
 * apart, so the inner one is unwrapped.
 */
const NO_NEST = new Map([
  ["form", 1],
  ["p", 2],
  ["h1", 4],
  ["h2", 4],
  ["h3", 4],
  ["h4", 4],
  ["h5", 4],
  ["h6", 4],
]);

/** Start tags that close an open p (in a parser's button scope), and the elements that end that scope. */
const CLOSES_P = new Set(
  "address article aside blockquote center details dialog dir div dl dd dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li listing main menu nav ol p plaintext pre search section summary table ul xmp".split(
    " ",
  ),
);
const P_SCOPE_ENDS = new Set([
  "applet",
  "button",
  "caption",
  "html",
  "marquee",
  "object",
  "table",
  "td",
  "th",
  "template",
]);

const KEEP_EMPTY = new Set(["img", "input", "textarea", "select", "td", "th", "option", "br", "area"]);

function cap(s: string, n = MAX_ATTR_CHARS): string {
  return s.length > n ? s.slice(0, n) : s;
}

/** What an attribute is to the output, by name: most (class, href, src, data-*) are nothing, found in one lookup. */
const A_BOOLEAN = 1;
const A_ARIA = 2;
const A_ROLE = 3;
const A_ALT = 4;
const A_TYPE = 5;
const A_VALUE = 6;
const A_PLACEHOLDER = 7;
const A_LABEL = 8;
const A_SPAN = 9;
const ATTR_KINDS = new Map<string, number>([
  ...[...BOOLEAN_ATTRS].map((k): [string, number] => [k, A_BOOLEAN]),
  ...[...ARIA_STATE].map((k): [string, number] => [k, A_ARIA]),
  ["role", A_ROLE],
  ["alt", A_ALT],
  ["type", A_TYPE],
  ["value", A_VALUE],
  ["placeholder", A_PLACEHOLDER],
  ["label", A_LABEL],
  ["colspan", A_SPAN],
  ["rowspan", A_SPAN],
]);

function outAttrs(
  el: DomElement,
  kind: ElementKind | null,
  inheritedDisabled: boolean,
): [string, string | null][] {
  const attrs: [string, string | null][] = [];
  const tag = el.name;
  const a = el.attribs;
  for (const key in a) {
    const what = ATTR_KINDS.get(key);
    if (what === undefined) continue;
    const raw = a[key]!;
    switch (what) {
      case A_BOOLEAN:
        if (key === "selected" && tag !== "option") continue;
        if (key === "checked" && tag !== "input") continue;
        attrs.push([key, null]);
        break;
      case A_ARIA: {
        const v = collapse(cap(raw)).trim();
        if (v) attrs.push([key, v]);
        break;
      }
      case A_ROLE: {
        const r = firstRole(el);
        if (r && r !== "presentation" && r !== "none" && r !== "generic") attrs.push(["role", r]);
        break;
      }
      case A_ALT:
        if (tag === "img" || tag === "area" || (tag === "input" && kind === "button"))
          attrs.push(["alt", collapse(cap(raw)).trim()]);
        break;
      case A_TYPE:
        // "text" is what an input is by default; saying so costs tokens and tells nothing.
        if (tag === "input") {
          const type = inputType(el);
          if (type !== "text") attrs.push(["type", type]);
        }
        break;
      case A_VALUE:
        if (tag !== "input" && tag !== "option") break;
        // Boxes are clicked, not filled: their value is the server's business (their label names them).
        if (kind === "checkbox" || kind === "radio") break;
        // An option is chosen by its text (a select action accepts the text or the value), so one with
        // text shows only that: codes such as "CA" or "sku-1187" cost tokens and tell a shopper nothing.
        if (tag === "option" && (a.label?.trim() || textOf(el, { limit: 1, budget: 20 }))) break;
        // An empty field shows no value (a missing value attribute reads as empty).
        if (raw === "" && kind === "text_input") break;
        attrs.push(["value", cap(raw, 1000)]);
        break;
      case A_PLACEHOLDER:
        if (tag === "input" || tag === "textarea") attrs.push([key, collapse(cap(raw)).trim()]);
        break;
      case A_LABEL:
        if (tag === "option" || tag === "optgroup") attrs.push([key, collapse(cap(raw)).trim()]);
        break;
      case A_SPAN:
        if ((tag === "td" || tag === "th") && raw.trim() !== "1") attrs.push([key, cap(raw.trim(), 10)]);
        break;
    }
  }
  if (kind !== null && inheritedDisabled && a.disabled === undefined) attrs.push(["disabled", null]);
  return attrs;
}

const normWords = (s: string) => collapse(s).trim().toLowerCase();

/**
 * Whether an aria-label only repeats the element's visible text (a product card labelled with the
 * title it shows): then the text says it already. Reads the start of the element's simplified output.
 */
function saysWhatItShows(children: readonly Out[], label: string): boolean {
  const want = normWords(label);
  let shown = "";
  let budget = 40;
  const stack: Out[] = [];
  for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  while (stack.length > 0 && budget-- > 0 && shown.length < want.length + 80) {
    const c = stack.pop()!;
    if (typeof c === "string") {
      shown += c;
      continue;
    }
    for (const [k, v] of c.attrs) if ((k === "alt" || k === "aria-label") && v) shown += ` ${v} `;
    for (let i = c.children.length - 1; i >= 0; i--) stack.push(c.children[i]!);
  }
  return normWords(shown).includes(want);
}

// --- the walk ----------------------------------------------------------------------------------

interface Frame {
  el: DomElement | null;
  parent: Frame | null;
  /** The element's id: when unique in the page, its locator starts there. */
  id: string;
  /** The html element: locators start there at the latest. */
  anchor: boolean;
  out: OutEl | null;
  /** Where children's output goes (the parent's list for transparent html/body). */
  sink: Out[];
  scope: Scope;
  ownScope: Scope | null;
  next: number;
  /** CSS steps of this element's element children, computed on first need (only for controls' ancestors). */
  childSegs: string[] | null;
  /** This element's CSS path, computed on first need. */
  path: string | null;
  /** How many element children share each tag-and-class signature, computed on first need. */
  kinds: Map<string, number> | null;
  /** Controls inside this element. */
  controls: number;
  /** Position among the parent's child nodes. */
  childIndex: number;
  label: DomElement | null;
  disabled: boolean;
  inHeading: boolean;
  /** Written ancestors a parser will not nest inside themselves (NO_NEST bits). */
  within: number;
  /** The nearest written `<p>` a block written here would close, as a parser reads it (or null). */
  openP: OutEl | null;
}

interface Control {
  frame: Frame;
  scope: Scope;
  kind: ElementKind;
  label: string;
  segment: string;
  disabled: boolean;
  out: OutEl;
}

/**
 * Ids (to know which are unique), label[for] targets and the title. The walk fills it as it goes (one
 * pass over the page, not two); a lookup it cannot answer yet, a reference to an element further down,
 * either waits for the end of the walk or, where it cannot wait, completes the index with a pass of its own.
 */
interface DocIndex {
  idCount: Map<string, number>;
  byId: Map<string, DomElement>;
  labelFor: Map<string, DomElement>;
  title: string | null;
  /** Every element of the page is in it. */
  complete: boolean;
}

function newIndex(): DocIndex {
  return { idCount: new Map(), byId: new Map(), labelFor: new Map(), title: null, complete: false };
}

function indexElement(index: DocIndex, node: DomElement): void {
  if (index.complete) return;
  const id = node.attribs.id;
  if (id) {
    const n = index.idCount.get(id);
    index.idCount.set(id, (n ?? 0) + 1);
    if (n === undefined) index.byId.set(id, node);
  }
  const name = node.name;
  if (name === "label") {
    const f = node.attribs.for;
    if (f && !index.labelFor.has(f)) index.labelFor.set(f, node);
  } else if (name === "title" && index.title === null) {
    index.title = textOf(node, { limit: 300 });
  }
}

/** Indexes an element and its subtree. Template contents are not in the DOM a browser queries. */
function indexSubtree(index: DocIndex, top: DomElement): void {
  const stack: DomElement[] = [top];
  while (stack.length > 0) {
    const node = stack.pop()!;
    indexElement(index, node);
    if (node.name === "template" || node.name === "svg") continue;
    const kids = node.children;
    for (let i = kids.length - 1; i >= 0; i--) {
      const k = kids[i]!;
      if (isElement(k)) stack.push(k);
    }
  }
}

/** Replaces a partial index with one of the whole page. */
function completeIndex(index: DocIndex, root: DomParent): void {
  if (index.complete) return;
  const full = newIndex();
  for (const k of root.children) if (isElement(k)) indexSubtree(full, k);
  index.idCount = full.idCount;
  index.byId = full.byId;
  index.labelFor = full.labelFor;
  index.title = full.title;
  index.complete = true;
}

/** Whether every id an element's aria-labelledby names is known (or can no longer turn up). */
function labelledByKnown(el: DomElement, index: DocIndex): boolean {
  if (index.complete) return true;
  const ids = el.attribs["aria-labelledby"];
  if (!ids) return true;
  for (const id of ids.trim().split(/\s+/).slice(0, 5)) if (id && !index.byId.has(id)) return false;
  return true;
}

function labelledByText(el: DomElement, index: DocIndex): string {
  const ids = el.attribs["aria-labelledby"];
  if (!ids) return "";
  const parts: string[] = [];
  for (const id of ids.trim().split(/\s+/).slice(0, 5)) {
    const target = index.byId.get(id);
    if (target) parts.push(textOf(target, { limit: 80 }));
  }
  return parts.join(" ").trim();
}

function humanize(s: string): string {
  return s.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[[\]]/g, " ");
}

/** A `<label>` that belongs to another control: one it names with `for`, or one inside it. */
function labelsAnother(n: DomElement): boolean {
  if (n.name !== "label") return false;
  if (n.attribs.for) return true;
  const stack: DomNode[] = [...n.children];
  for (let budget = 60; stack.length > 0 && budget > 0; budget--) {
    const c = stack.pop()!;
    if (!isElement(c)) continue;
    if (c.name === "input" || c.name === "select" || c.name === "textarea" || c.name === "button")
      return true;
    stack.push(...c.children);
  }
  return false;
}

/** Text next to a control that has no label: the sibling before it (after it for boxes), or the cell to its left. */
function adjacentText(el: DomElement, kind: ElementKind): string {
  const read = (n: DomNode | null, forward: boolean): string => {
    for (let i = 0; n !== null && i < 3; i++, n = forward ? n.next : n.prev) {
      if (isText(n)) {
        const t = collapse(n.data).trim();
        if (t) return t;
      } else if (isElement(n)) {
        if (isRemoved(n) || interactiveKind(n) !== null || labelsAnother(n)) return "";
        const t = textOf(n, { limit: 60, budget: 60, skipControls: true });
        if (t) return t;
      }
    }
    return "";
  };
  const boxes = kind === "checkbox" || kind === "radio";
  const t = boxes ? read(el.next, true) || read(el.prev, false) : read(el.prev, false);
  if (t) return t;
  const cell = el.parent;
  if (cell && isElement(cell) && (cell.name === "td" || cell.name === "th")) return read(cell.prev, false);
  return "";
}

/** The readable label of a control, from the most to the least explicit source. */
function ownLabel(el: DomElement, kind: ElementKind, frame: Frame, index: DocIndex): string {
  const a = el.attribs;
  const tag = el.name;
  const candidates: (() => string)[] = [
    () => labelledByText(el, index),
    () => collapse(a["aria-label"] ?? "").trim(),
  ];
  const labelable = tag === "input" || tag === "select" || tag === "textarea" || tag === "button";
  if (labelable) {
    candidates.push(() => {
      const id = a.id;
      const byFor = id && index.byId.get(id) === el ? index.labelFor.get(id) : undefined;
      if (byFor) return textOf(byFor, { skip: el, skipControls: true });
      const wrap = frame.label;
      if (wrap && (wrap.attribs.for === undefined || wrap.attribs.for === id)) {
        return textOf(wrap, { skip: el, skipControls: true });
      }
      return "";
    });
  }
  if (tag === "input" && kind === "button") {
    const type = inputType(el);
    candidates.push(() => (type === "image" ? collapse(a.alt ?? "").trim() : collapse(a.value ?? "").trim()));
    candidates.push(() => (type === "submit" ? "Submit" : type === "reset" ? "Reset" : ""));
  }
  const field = tag === "input" || tag === "select" || tag === "textarea" || kind === "text_input";
  if (!field) candidates.push(() => textOf(el));
  candidates.push(() => collapse(a.title ?? "").trim());
  if (tag === "input" || tag === "textarea") candidates.push(() => collapse(a.placeholder ?? "").trim());
  if (field || kind === "checkbox" || kind === "radio") candidates.push(() => adjacentText(el, kind));
  if (kind === "checkbox" || kind === "radio") candidates.push(() => collapse(a.value ?? "").trim());
  candidates.push(() => humanize(a.name ?? ""));
  candidates.push(() => humanize(a.id ?? ""));
  for (const candidate of candidates) {
    const label = candidate();
    if (slug(label)) return label.length > MAX_LABEL_CHARS ? label.slice(0, MAX_LABEL_CHARS) : label;
  }
  return "";
}

const ITEM_TAGS = new Set(["li", "tr", "article"]);

function newScope(parent: Scope | null, strong: boolean, tag = ""): Scope {
  return {
    tag,
    parent,
    seg: null,
    strong,
    fixed: false,
    heading: null,
    headingLevel: 0,
    headingCount: 0,
    interactive: 0,
    fallback: null,
    firstLink: null,
    pending: null,
    prefix: "",
  };
}

/** A scope's name given by the element itself: aria-labelledby, aria-label, a fieldset's legend, a table's caption. */
function fixedSegOf(el: DomElement, index: DocIndex): string {
  const tag = el.name;
  const aria = labelledByText(el, index) || collapse(el.attribs["aria-label"] ?? "").trim();
  let fixedSeg = slug(aria);
  if (!fixedSeg && tag === "fieldset") {
    const legend = el.children.find((c): c is DomElement => isElement(c) && c.name === "legend");
    if (legend) fixedSeg = slug(textOf(legend, { limit: 80 }));
  }
  if (!fixedSeg && tag === "table") {
    const caption = el.children.find((c): c is DomElement => isElement(c) && c.name === "caption");
    if (caption) fixedSeg = slug(textOf(caption, { limit: 80 }));
  }
  return fixedSeg;
}

/** Decides whether `el` is a scope and, if named at entry, its segment. */
function openScope(
  el: DomElement,
  role: string,
  parent: Scope,
  index: DocIndex,
  root: DomParent,
): Scope | null {
  const tag = el.name;
  const strong = STRONG_TAGS.has(tag) || STRONG_ROLES.has(role);
  const weak = !strong && (WEAK_TAGS.has(tag) || tag.includes("-"));
  // `<section aria-labelledby="h">…<h2 id="h">`: the name comes later. A scope can wait for it; an
  // element that is a scope only if named cannot, and has the index completed now.
  let pending = false;
  if (!labelledByKnown(el, index)) {
    if (strong || weak) pending = true;
    else completeIndex(index, root);
  }
  const fixedSeg = pending ? "" : fixedSegOf(el, index);
  if (fixedSeg) {
    const s = newScope(parent, true);
    s.seg = fixedSeg;
    s.fixed = true;
    return s;
  }
  if (strong) {
    const s = newScope(parent, true, tag);
    if (pending) s.pending = el;
    if (tag === "tr") {
      s.fallback = () => {
        const th = el.children.find((c): c is DomElement => isElement(c) && c.name === "th");
        return th && el.parent && isElement(el.parent) && el.parent.name !== "thead"
          ? textOf(th, { limit: 60 })
          : "";
      };
    } else if (LANDMARK_TAGS.has(tag) || LANDMARK_ROLES.has(role)) {
      s.fallback = () => idClassToken(el) || (role === "search" ? "search" : "");
    }
    return s;
  }
  if (weak) {
    const s = newScope(parent, false);
    if (pending) s.pending = el;
    return s;
  }
  return null;
}

function deliverHeading(s: Scope, text: string, level: number, count: number): void {
  if (s.fixed) return;
  if (s.strong) {
    if (s.heading === null) s.heading = text;
    return;
  }
  s.headingCount += count;
  if (s.heading === null) {
    s.heading = text;
    s.headingLevel = level;
  }
}

/** Closes a scope at the end of its element: a pending name is settled, an unnamed weak scope names itself or passes its heading up. */
function closeScope(s: Scope, index: DocIndex, root: DomParent): void {
  const parent = s.parent;
  if (s.pending !== null) {
    // The scope's content is indexed now; a name further down still needs the whole page.
    if (!labelledByKnown(s.pending, index)) completeIndex(index, root);
    const fixedSeg = fixedSegOf(s.pending, index);
    s.pending = null;
    if (fixedSeg) {
      s.seg = fixedSeg;
      s.fixed = true;
      s.strong = true;
    }
  }
  if (!s.fixed && !s.strong) {
    if (s.heading !== null && s.headingCount === 1 && s.interactive > 0 && s.headingLevel >= 2) {
      s.seg = slug(s.heading) || null;
    } else if (s.heading !== null && parent) {
      deliverHeading(parent, s.heading, s.headingLevel, s.headingCount);
    }
  }
  if (parent) parent.interactive += s.interactive;
}

/** A strong scope's name, once its controls are labelled: its heading, a fallback, or its first link. */
function nameStrongScope(s: Scope): void {
  if (s.fixed || !s.strong) return;
  s.seg =
    slug(s.heading ?? "") ||
    (s.fallback ? slug(s.fallback()) : "") ||
    (s.firstLink !== null && s.interactive >= 2 ? slug(s.firstLink.label) : "") ||
    null;
}

/** Hands a finished element to its parent's list: itself, its children (unwrapped), or nothing. */
function finish(frame: Frame, parentSink: Out[]): void {
  const out = frame.out!;
  const children = trimChildren(out.tag, frame.sink);
  out.children = children;
  const labelAt = out.attrs.findIndex(([k]) => k === "aria-label");
  if (labelAt >= 0 && saysWhatItShows(children, out.attrs[labelAt]![1] ?? "")) out.attrs.splice(labelAt, 1);
  let elements = 0;
  let texts = 0;
  for (const c of children) {
    if (typeof c !== "string") elements++;
    else if (c.trim()) texts++;
  }
  const isControl = frame.el !== null && out.name === "";
  if (
    elements === 0 &&
    texts === 0 &&
    !isControl &&
    !KEEP_EMPTY.has(out.tag) &&
    // An element that says what it is only by its label (stars drawn in CSS: role=img, aria-label
    // "4.5 out of 5 stars") is kept with the label.
    !out.attrs.some(([k, v]) => k === "aria-label" && v)
  ) {
    if (children.length > 0 && !BLOCK_LIKE(out.tag)) pushOut(parentSink, " ");
    return;
  }
  if (!isControl && out.attrs.length === 0 && (GENERIC.has(out.tag) || out.tag.includes("-"))) {
    if (INLINE_GENERIC.has(out.tag) && !(texts === 0 && elements === 1)) {
      for (const c of children) pushOut(parentSink, c);
      return;
    }
    if (texts === 0 && !(elements > 1 && isRecord(frame, children))) {
      // A bare box around elements only (a label and its field, a card's parts, one lone child):
      // its children say everything; a space keeps several neighbours apart.
      if (elements > 1) pushOut(parentSink, " ");
      for (const c of children) if (typeof c !== "string") pushOut(parentSink, c);
      if (elements > 1) pushOut(parentSink, " ");
      return;
    }
  }
  pushOut(parentSink, out);
}

/** A record is a card, not a region: a box with more controls than this is a menu or a page part. */
const MAX_RECORD_CONTROLS = 6;

/** The tag and classes of an element: siblings that share them are items of one kind. */
function kindOf(el: DomElement): string {
  const cls = el.attribs.class;
  return cls ? `${el.name} ${collapse(cls).trim()}` : el.name;
}

/**
 * Whether a bare box is one record of a list written in boxes (a result card among result cards):
 * it holds a few controls and something to read beside them (a title, a price) but no list or table
 * of its own, and a sibling has the same tag and classes. Its box is kept, so a reader sees which title, price and link go together. A lone
 * box, or a label with its field, is still unwrapped.
 */
function isRecord(frame: Frame, children: readonly Out[]): boolean {
  const parent = frame.parent;
  const el = frame.el;
  if (frame.controls === 0 || frame.controls > MAX_RECORD_CONTROLS || parent === null || el === null)
    return false;
  // Boxes without classes are layout (a page's columns); a list's items share a class.
  if (!el.attribs.class?.trim()) return false;
  let content = false;
  for (const c of children) {
    if (typeof c === "string" || c.name !== null) continue;
    // A box holding a list or a table is a page's section (a sidebar widget), not one record.
    if (c.tag === "ul" || c.tag === "ol" || c.tag === "table") return false;
    if (c.tag !== "label" && c.tag !== "form") content = true;
  }
  if (!content) return false;
  const siblings = parent.el ? parent.el.children : null;
  if (siblings === null || siblings.length < 2) return false;
  if (parent.kinds === null) {
    const kinds = new Map<string, number>();
    for (const k of siblings) if (isElement(k)) kinds.set(kindOf(k), (kinds.get(kindOf(k)) ?? 0) + 1);
    parent.kinds = kinds;
  }
  return (parent.kinds.get(kindOf(el)) ?? 0) >= 2;
}

function BLOCK_LIKE(tag: string): boolean {
  return tag === "div" || tag === "p" || tag === "li" || tag === "section" || tag === "tr" || tag === "table";
}

/**
 * Simplifies one page for a policy to read: junk removed, structure and text kept, and every interactive
 * element named (`search_results.acme_headphones.add_to_cart`) with a CSS locator back into the page.
 * Pure and deterministic; never throws on malformed HTML; linear in the size of the page.
 */
export function simplify(html: string, url: string, opts: SimplifyOptions = {}): SimplifiedPage {
  const maxName = Math.max(10, opts.maxNameLength ?? DEFAULT_MAX_NAME_LENGTH);
  // What scripts and styles hold is dropped unread; cutting it first spares the parser most of a storefront.
  const $ = load(dropRawText(typeof html === "string" ? html : String(html)));
  const root = $.root()[0] as unknown as DomParent;
  const index = newIndex();

  const rootScope: Scope = { ...newScope(null, true), fixed: true };
  const scopes: Scope[] = [];
  const controls: Control[] = [];
  const top: Out[] = [];
  const rootFrame: Frame = {
    el: null,
    parent: null,
    id: "",
    anchor: true,
    out: null,
    sink: top,
    scope: rootScope,
    ownScope: null,
    next: 0,
    childSegs: null,
    path: null,
    kinds: null,
    controls: 0,
    childIndex: 0,
    label: null,
    disabled: false,
    inHeading: false,
    within: 0,
    openP: null,
  };
  const stack: Frame[] = [rootFrame];

  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const kids = f.el ? f.el.children : root.children;
    if (f.next >= kids.length) {
      stack.pop();
      if (f.parent) f.parent.controls += f.controls;
      if (f.ownScope) closeScope(f.ownScope, index, root);
      if (f.out) {
        finish(f, f.parent!.sink);
      }
      continue;
    }
    const node = kids[f.next++]!;
    if (isText(node)) {
      pushOut(f.sink, collapse(node.data));
      continue;
    }
    if (!isElement(node)) continue;

    if (node.name === "svg") {
      indexElement(index, node);
      if (!isHidden(node)) {
        const label = svgLabel(node);
        if (label) pushOut(f.sink, ` ${label} `);
      }
      continue;
    }
    if (isRemoved(node) || node.name === "title") {
      indexSubtree(index, node);
      continue;
    }
    indexElement(index, node);

    const transparent = node.name === "html" || node.name === "body";
    const role = firstRole(node);
    const kind = f.el?.name === "select" ? null : interactiveKind(node, role);
    const disabledCtx = f.disabled || (node.name === "fieldset" && node.attribs.disabled !== undefined);
    const level = f.inHeading ? 0 : headingLevel(node, role);

    let ownScope: Scope | null = null;
    if (kind === null && !transparent && level === 0) {
      ownScope = openScope(node, role, f.scope, index, root);
      if (ownScope) scopes.push(ownScope);
    }
    // A scope named at entry, or a strong one already headed, ignores further headings: no need to read them.
    if (level > 0 && !f.scope.fixed && !(f.scope.strong && f.scope.heading !== null)) {
      const text = textOf(node, { limit: 80 });
      if (slug(text)) deliverHeading(f.scope, text, level, 1);
    }

    let out: OutEl | null = null;
    const noNest = NO_NEST.get(node.name) ?? 0;
    // A control that cannot be written as itself here (a heading with role=button in a heading) is
    // written as a span, so it is still shown and named.
    const clash = (noNest & f.within) !== 0;
    if (!transparent && (!clash || kind !== null)) {
      out = {
        tag: clash ? "span" : (RENAME.get(node.name) ?? node.name),
        name: kind === null ? null : "",
        attrs: outAttrs(node, kind, disabledCtx),
        children: [],
      };
    }
    let openP = f.openP;
    if (out !== null) {
      // A page parsed in quirks mode can hold a table in a p, and unwrapping can bring a block into one;
      // written out, a parser would close the p before the block. The p is written as a div instead.
      if (openP !== null && CLOSES_P.has(out.tag)) openP.tag = "div";
      if (out.tag === "p") openP = out;
      else if (P_SCOPE_ENDS.has(out.tag)) openP = null;
    }
    const frame: Frame = {
      el: node,
      parent: f,
      id: node.attribs.id ?? "",
      anchor: node.name === "html",
      out,
      sink: out ? [] : f.sink,
      scope: ownScope ?? f.scope,
      ownScope,
      next: 0,
      childSegs: null,
      path: null,
      kinds: null,
      controls: 0,
      childIndex: f.next - 1,
      label: node.name === "label" ? node : f.label,
      disabled: disabledCtx,
      inHeading: f.inHeading || level > 0,
      within: out && !clash ? f.within | noNest : f.within,
      openP,
    };
    if (kind !== null && out !== null) {
      const ariaDisabled = (node.attribs["aria-disabled"] ?? "").trim().toLowerCase() === "true";
      // Labelled after the walk: a label may name its control from further down the page.
      const control: Control = {
        frame,
        scope: f.scope,
        kind,
        label: "",
        segment: "",
        disabled: node.attribs.disabled !== undefined || ariaDisabled || disabledCtx,
        out,
      };
      controls.push(control);
      f.controls++;
      if (!f.inHeading) f.scope.interactive++;
      if (kind === "link" && f.scope.firstLink === null && ITEM_TAGS.has(f.scope.tag))
        f.scope.firstLink = control;
    }
    if (VOID_TAGS.has(node.name) && out) {
      // Void elements have no children worth walking; finish them now.
      const parentSink = f.sink;
      if (ownScope) closeScope(ownScope, index, root);
      if (out.tag === "img" && !out.attrs.some(([key, v]) => key === "alt" && v)) continue;
      if (out.tag === "br") {
        pushOut(parentSink, " ");
        continue;
      }
      pushOut(parentSink, out);
      continue;
    }
    stack.push(frame);
  }

  // Every element has been indexed now.
  index.complete = true;
  for (const c of controls) {
    c.label = ownLabel(c.frame.el!, c.kind, c.frame, index);
    // A link with nothing to read (an image without alt) is named after where it goes, else its kind.
    c.segment =
      slug(c.label) || (c.kind === "link" ? slug(hrefWords(c.frame.el!.attribs.href)) : "") || c.kind;
  }
  // Scope prefixes, outermost first (scopes were opened in document order, parents before children).
  for (const s of scopes) {
    nameStrongScope(s);
    const parentPrefix = s.parent?.prefix ?? "";
    s.prefix = s.seg ? joinName(parentPrefix, s.seg, maxName) : parentPrefix;
  }

  const registry = new NameRegistry(maxName);
  const elements: Record<string, ElementLocator> = {};
  for (const c of controls) {
    const prefix = c.scope.prefix;
    const lastDot = prefix.lastIndexOf(".");
    const last = lastDot < 0 ? prefix : prefix.slice(lastDot + 1);
    const base = prefix && last === c.segment ? prefix : joinName(prefix, c.segment, maxName);
    const name = registry.claim(base);
    c.out.name = name;
    elements[name] = {
      css: cssPath(c.frame, root, index),
      kind: c.kind,
      label: c.label,
      disabled: c.disabled,
    };
  }

  const title = index.title ?? "";
  const head = title ? `<title>${escapeTitle(title)}</title>` : "";
  return { url, title, html: serialize(trimChildren("", top), head), elements };
}

function escapeTitle(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `#anchor > tag:nth-of-type(k) > …` from the nearest ancestor with a unique id (or from html). */
function cssPath(frame: Frame, root: DomParent, index: DocIndex): string {
  // Controls in one list share their ancestors' path: each ancestor's is built once. Iterative:
  // pages may nest thousands deep.
  const todo: Frame[] = [];
  const unique = (t: Frame): boolean => t.id !== "" && index.idCount.get(t.id) === 1;
  let f: Frame | null = frame;
  while (f !== null && f.el !== null && f.path === null) {
    todo.push(f);
    if (f.anchor || unique(f)) break;
    f = f.parent;
  }
  let path = f !== null && f.el !== null && f.path !== null ? f.path : "";
  for (let i = todo.length - 1; i >= 0; i--) {
    const t = todo[i]!;
    const byId = unique(t);
    const step = byId ? `#${cssEscape(t.id)}` : stepOf(t, root);
    path = byId || t.anchor || path === "" ? step : `${path} > ${step}`;
    t.path = path;
  }
  return path;
}

const PLAIN_TAG = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const plainTags = new Map<string, boolean>();
function isPlainTag(name: string): boolean {
  let plain = plainTags.get(name);
  if (plain === undefined) {
    plain = PLAIN_TAG.test(name);
    if (plainTags.size < 1000) plainTags.set(name, plain);
  }
  return plain;
}

/** Parents with more children than this have their children's steps computed once, for all of them. */
const SMALL_PARENT = 24;

/** `tag` when the element is the only one of its tag among its siblings, else `tag:nth-of-type(k)`. */
function stepOf(frame: Frame, root: DomParent): string {
  const parent = frame.parent!;
  const kids = parent.el ? parent.el.children : root.children;
  if (parent.childSegs === null && kids.length <= SMALL_PARENT) {
    // Few siblings: count them in place rather than building every sibling's step.
    const me = kids[frame.childIndex]!;
    if (!isElement(me)) return `:nth-child(1)`;
    let position = 0;
    let before = 0;
    let same = 0;
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i]!;
      if (!isElement(k)) continue;
      if (i <= frame.childIndex) position++;
      if (k.name === me.name) {
        same++;
        if (i < frame.childIndex) before++;
      }
    }
    // Odd tag names (`<a<div>` from broken markup) are matched by position: selector engines disagree on escaped type selectors.
    if (!isPlainTag(me.name)) return `:nth-child(${position})`;
    return same === 1 ? me.name : `${me.name}:nth-of-type(${before + 1})`;
  }
  if (parent.childSegs === null) {
    const counts = new Map<string, number>();
    for (const k of kids) if (isElement(k)) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
    const seen = new Map<string, number>();
    const segs: string[] = new Array(kids.length).fill("");
    let position = 0;
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i]!;
      if (!isElement(k)) continue;
      position++;
      const n = (seen.get(k.name) ?? 0) + 1;
      seen.set(k.name, n);
      if (!isPlainTag(k.name)) segs[i] = `:nth-child(${position})`;
      else segs[i] = counts.get(k.name) === 1 ? k.name : `${k.name}:nth-of-type(${n})`;
    }
    parent.childSegs = segs;
  }
  return parent.childSegs[frame.childIndex] || `:nth-child(1)`;
}
