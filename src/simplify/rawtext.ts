/**
 * Cuts the text out of the raw-text elements the simplifier drops anyway (script, style, noscript,
 * iframe, noembed, noframes) before the page is parsed. On a storefront most of the HTML is inline
 * script and JSON state; an HTML parser reads it one character at a time, only for the simplifier
 * to throw it away. Here it is skipped with `indexOf`.
 *
 * The cut must not change the tree the parser builds, apart from those elements' text. So this scans
 * the page with the HTML tokenizer's own rules for what decides where such text starts and ends: tags
 * and their quoted attribute values, comments, doctypes, bogus comments, RCDATA (`textarea`, `title`),
 * RAWTEXT, script data with its escape states, and foreign content (`svg`, `math`), where `<script>`
 * and `<style>` are not raw text. Where the tree builder could make a start tag mean something else
 * (an integration point in SVG or MathML, a tag that breaks out of foreign content, anything unusual in
 * a `select`, a frameset, `plaintext`), the scan stops and the rest of the page is left as it is. So
 * the worst a strange page costs is the time saved, never a different page.
 *
 * Pure; never throws; linear in the length of the page.
 */

/** Raw-text elements whose text the simplifier never reads. */
const CUT = new Set(["script", "style", "noscript", "iframe", "noembed", "noframes"]);
/** Start tags after which the tokenizer reads text until the matching end tag (script has its own rules). */
const TEXT_UNTIL_END = new Set("style xmp iframe noembed noframes noscript textarea title".split(" "));
/** Start tags that take the parser out of SVG or MathML, or into HTML inside it. */
const LEAVES_FOREIGN = new Set(
  "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var font foreignobject desc title mi mo mn ms mtext annotation-xml".split(
    " ",
  ),
);

const LT = 60;
const GT = 62;
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;
const DASH = 45;
const EQUALS = 61;
const DQUOTE = 34;
const SQUOTE = 39;

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Tab, line feed, form feed, carriage return (a line feed once the input is normalized), space. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
}

/** Whether `html` has, at `at`, `name` (any case) followed by what ends a tag name. */
function nameAt(html: string, at: number, name: string): boolean {
  const end = at + name.length;
  if (end >= html.length) return false;
  for (let k = 0; k < name.length; k++) {
    const c = html.charCodeAt(at + k) | 0x20;
    if (c !== name.charCodeAt(k)) return false;
  }
  const c = html.charCodeAt(end);
  return isSpace(c) || c === SLASH || c === GT;
}

interface Tag {
  name: string;
  /** Index just past the tag's `>`. */
  end: number;
  selfClosing: boolean;
}

/**
 * Reads a start or end tag whose name starts at `at` (just past `<` or `</`), attributes included,
 * as the tokenizer does: a quote only opens a value right after `=`. Null when the page ends first.
 */
function readTag(html: string, at: number): Tag | null {
  const n = html.length;
  let i = at;
  while (i < n) {
    const c = html.charCodeAt(i);
    if (isSpace(c) || c === SLASH || c === GT) break;
    i++;
  }
  if (i >= n) return null;
  const name = html.slice(at, i).toLowerCase();
  let selfClosing = false;
  while (i < n) {
    const c = html.charCodeAt(i);
    if (c === GT) return { name, end: i + 1, selfClosing };
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === SLASH) {
      selfClosing = html.charCodeAt(i + 1) === GT;
      i++;
      continue;
    }
    selfClosing = false;
    // An attribute name: its first character may be `=`.
    i++;
    while (i < n) {
      const d = html.charCodeAt(i);
      if (isSpace(d) || d === SLASH || d === GT || d === EQUALS) break;
      i++;
    }
    while (i < n && isSpace(html.charCodeAt(i))) i++;
    if (html.charCodeAt(i) !== EQUALS) continue;
    i++;
    while (i < n && isSpace(html.charCodeAt(i))) i++;
    const q = html.charCodeAt(i);
    if (q === DQUOTE || q === SQUOTE) {
      const close = html.indexOf(q === DQUOTE ? '"' : "'", i + 1);
      if (close < 0) return null;
      i = close + 1;
    } else {
      while (i < n) {
        const d = html.charCodeAt(i);
        if (isSpace(d) || d === GT) break;
        i++;
      }
    }
  }
  return null;
}

/** Where the text of a `title`, `textarea` or RAWTEXT element ends: its `</name`, or -1 (the page's end). */
function textEnd(html: string, from: number, name: string): number {
  let i = from;
  for (;;) {
    const at = html.indexOf("</", i);
    if (at < 0) return -1;
    if (nameAt(html, at + 2, name)) return at;
    i = at + 2;
  }
}

/**
 * Where a script's text ends: the `</script` that closes it, or -1 (the page's end). Follows the
 * tokenizer's script data states, so `<!-- <script> … </script> -->` inside a script does not end it.
 */
function scriptEnd(html: string, from: number): number {
  const n = html.length;
  let i = from;
  let state = 0; // 0: script data, 1: escaped, 2: double escaped
  let dashes = 0;
  while (i < n) {
    if (state === 0) {
      const at = html.indexOf("<", i);
      if (at < 0) return -1;
      if (html.charCodeAt(at + 1) === SLASH && nameAt(html, at + 2, "script")) return at;
      if (html.startsWith("!--", at + 1)) {
        state = 1;
        dashes = 2;
        i = at + 4;
      } else {
        i = at + 1;
      }
      continue;
    }
    const c = html.charCodeAt(i);
    if (c === DASH) {
      dashes++;
      i++;
    } else if (c === GT && dashes >= 2) {
      state = 0;
      dashes = 0;
      i++;
    } else if (c === LT) {
      dashes = 0;
      if (html.charCodeAt(i + 1) === SLASH && nameAt(html, i + 2, "script")) {
        if (state === 1) return i;
        state = 1;
        i += 9; // past `</script` and the character that ended the name, which is text here
      } else if (state === 1 && nameAt(html, i + 1, "script")) {
        state = 2;
        i += 8;
      } else {
        i++;
      }
    } else {
      dashes = 0;
      i++;
    }
  }
  return -1;
}

/** Where a comment, doctype, CDATA section or bogus comment that starts at `at` (`<!`) ends, or -1. */
function declarationEnd(html: string, at: number, foreign: boolean): number {
  if (html.startsWith("--", at + 2)) {
    let j = at + 4;
    if (html.charCodeAt(j) === GT) return j + 1;
    if (html.charCodeAt(j) === DASH && html.charCodeAt(j + 1) === GT) return j + 2;
    for (;;) {
      const k = html.indexOf("--", j);
      if (k < 0) return -1;
      let m = k + 2;
      while (html.charCodeAt(m) === DASH) m++;
      if (html.charCodeAt(m) === GT) return m + 1;
      if (html.charCodeAt(m) === BANG && html.charCodeAt(m + 1) === GT) return m + 2;
      j = html.charCodeAt(m) === BANG ? m + 1 : m;
    }
  }
  if (foreign && html.startsWith("[CDATA[", at + 2)) {
    const k = html.indexOf("]]>", at + 9);
    return k < 0 ? -1 : k + 3;
  }
  const gt = html.indexOf(">", at + 2);
  return gt < 0 ? -1 : gt + 1;
}

/**
 * The page with the text of its script, style, noscript, iframe, noembed and noframes elements
 * removed, their tags kept; everything else exactly as it was.
 */
export function dropRawText(html: string): string {
  const n = html.length;
  const parts: string[] = [];
  let copied = 0;
  let i = 0;
  /** Open elements in SVG or MathML, innermost last; empty in HTML content. */
  const foreign: string[] = [];
  let inSelect = false;
  let templates = 0;
  while (i < n) {
    const at = html.indexOf("<", i);
    if (at < 0) break;
    const c = html.charCodeAt(at + 1);
    if (c === BANG) {
      i = declarationEnd(html, at, foreign.length > 0);
      if (i < 0) break;
      continue;
    }
    if (c === QUESTION) {
      const gt = html.indexOf(">", at + 2);
      if (gt < 0) break;
      i = gt + 1;
      continue;
    }
    if (c === SLASH) {
      const d = html.charCodeAt(at + 2);
      if (d === GT) {
        i = at + 3;
        continue;
      }
      if (!isAlpha(d)) {
        const gt = html.indexOf(">", at + 2);
        if (gt < 0) break;
        i = gt + 1;
        continue;
      }
      const tag = readTag(html, at + 2);
      if (tag === null) break;
      i = tag.end;
      if (foreign.length > 0) {
        const k = foreign.lastIndexOf(tag.name);
        // An end tag for an element outside SVG or MathML may close it: where that leaves the parser is
        // more than this scan follows.
        if (k < 0) break;
        foreign.length = k;
      } else if (inSelect) {
        if (tag.name === "select") inSelect = false;
        else if (tag.name !== "option" && tag.name !== "optgroup" && tag.name !== "script") break;
      } else if (tag.name === "template" && templates > 0) {
        templates--;
      }
      continue;
    }
    if (!isAlpha(c)) {
      i = at + 1;
      continue;
    }
    const tag = readTag(html, at + 1);
    if (tag === null) break;
    i = tag.end;
    const name = tag.name;
    if (foreign.length > 0) {
      if (LEAVES_FOREIGN.has(name)) break;
      if (!tag.selfClosing) foreign.push(name);
      continue;
    }
    if (inSelect) {
      // In a select the parser ignores most start tags, style and textarea among them.
      if (name === "option" || name === "optgroup") continue;
      if (name !== "script") break;
    } else if (name === "svg" || name === "math") {
      if (!tag.selfClosing) foreign.push(name);
      continue;
    } else if (name === "select") {
      inSelect = true;
      continue;
    } else if (name === "template") {
      templates++;
      continue;
    } else if (
      name === "frameset" ||
      name === "plaintext" ||
      // In a template's column group the parser ignores any start tag but col and template.
      (templates > 0 && (name === "col" || name === "colgroup"))
    ) {
      break;
    }
    let end: number;
    if (name === "script") end = scriptEnd(html, i);
    else if (TEXT_UNTIL_END.has(name)) end = textEnd(html, i, name);
    else continue;
    if (end < 0) end = n;
    if (CUT.has(name) && end > i) {
      parts.push(html.slice(copied, i));
      copied = end;
    }
    i = end;
  }
  if (copied === 0) return html;
  parts.push(html.slice(copied));
  return parts.join("");
}
