/** Turning readable labels into snake_case name segments, and CSS identifier escaping. */

const TRANSLIT: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  Æ: "ae",
  œ: "oe",
  Œ: "oe",
  ø: "o",
  Ø: "o",
  ł: "l",
  Ł: "l",
  đ: "d",
  Đ: "d",
  ð: "d",
  þ: "th",
  Þ: "th",
  ı: "i",
  "&": " and ",
  "+": " plus ",
  "%": " percent ",
  "@": " at ",
  "½": " 1_2 ",
  "¼": " 1_4 ",
  "¾": " 3_4 ",
};
const TRANSLIT_RE = /[ßæÆœŒøØłŁđĐðþÞı&+%@½¼¾]/g;

export const MAX_SEGMENT_WORDS = 5;
export const MAX_SEGMENT_CHARS = 40;

/**
 * A label as a lowercase ascii snake_case segment: accents stripped, `&` → `and`, currency signs and
 * other punctuation dropped (`$25` → `25`, `men's` → `mens`), at most 5 words and 40 characters.
 * A count in parentheses at the end is left out (`Officio (9)` → `officio`, `Reviews (1,204)` →
 * `reviews`): counts change as the shopper filters or adds to the cart, and a name should not.
 * Returns "" when nothing readable is left.
 */
export function slug(label: string): string {
  if (!label) return "";
  // Pages repeat their labels ("Add to cart", brand names, facet values): remember recent ones.
  const known = SLUG_CACHE.get(label);
  if (known !== undefined) return known;
  const out = computeSlug(label);
  if (SLUG_CACHE.size >= SLUG_CACHE_SIZE) SLUG_CACHE.clear();
  SLUG_CACHE.set(label, out);
  return out;
}
const SLUG_CACHE = new Map<string, string>();
const SLUG_CACHE_SIZE = 20_000;

/** A trailing count: `(9)`, `( 1,204 )`, `(12.5k)` is not one. */
const TRAILING_COUNT = /\s*\(\s*\d[\d,.]*\s*\)\s*$/;

function computeSlug(label: string): string {
  const head = label.slice(0, 400);
  const uncounted = head.replace(TRAILING_COUNT, "");
  const s = (/[\p{L}\p{N}]/u.test(uncounted) ? uncounted : head)
    .replace(TRANSLIT_RE, (c) => TRANSLIT[c] ?? " ")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’`´]/g, "")
    .replace(/(\d),(\d)/g, "$1$2")
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!s) return "";
  const words = s.split("_").slice(0, MAX_SEGMENT_WORDS);
  let out = words.join("_");
  if (out.length > MAX_SEGMENT_CHARS) {
    out = out.slice(0, MAX_SEGMENT_CHARS);
    const cut = out.lastIndexOf("_");
    if (cut >= MAX_SEGMENT_CHARS / 2) out = out.slice(0, cut);
    out = out.replace(/_+$/, "");
  }
  return out;
}

/**
 * Words for a link that has no label at all (an image without alt, an icon): where it goes. The last
 * path segment that reads as words (`/world/fish-move-north.html` → `fish move north`, `/WSJ` → `WSJ`),
 * skipping ids, dates and hashes (`/dp/B0CX23V2ZK`, `/2013/05/`, `730292e8-bcd7`); else the host
 * without `www.` (`https://twitter.com/` → `twitter.com`); `mailto:help@…` → `email help`; else "".
 */
export function hrefWords(href: string | undefined): string {
  if (!href) return "";
  const h = href.trim().slice(0, 2000);
  if (/^(?:javascript|data|blob|about|vbscript):/i.test(h)) return "";
  const contact = /^(mailto|tel|sms):([^?]*)/i.exec(h);
  if (contact)
    return `${contact[1]!.toLowerCase() === "mailto" ? "email" : "call"} ${contact[2]!.split("@")[0]}`;
  const withHost = /^(?:[a-z][a-z0-9+.-]*:)?\/\/([^/?#]*)(.*)$/i.exec(h);
  const host = withHost ? withHost[1]!.replace(/^www\./i, "").replace(/:\d+$/, "") : "";
  const path = (withHost ? withHost[2]! : h).split(/[?#]/)[0]!;
  const segs = path.split("/");
  for (let i = segs.length - 1; i >= 0; i--) {
    let seg = segs[i]!;
    try {
      seg = decodeURIComponent(seg);
    } catch {
      // A malformed escape: read the segment as it is.
    }
    seg = seg.replace(/\.(?:s?html?|php\d?|aspx?|jspx?|cfm|cgi)$/i, "");
    if (seg.includes("=") || !/[a-z]{3}/i.test(seg)) continue;
    const letters = seg.replace(/[^a-z]/gi, "").length;
    if (letters * 2 < seg.length) continue;
    return seg.replace(/[-_+.]+/g, " ").trim();
  }
  return host;
}

/**
 * Joins a dotted prefix and a segment, keeping the name within `max` characters by dropping the
 * outermost prefix segments first, then truncating the segment itself.
 */
export function joinName(prefix: string, segment: string, max: number): string {
  if (!prefix) return segment.length > max ? trimEnd(segment.slice(0, max)) : segment;
  if (!segment) return joinName("", prefix, max);
  let p = prefix;
  while (p.length + 1 + segment.length > max) {
    const dot = p.indexOf(".");
    if (dot < 0) return segment.length > max ? trimEnd(segment.slice(0, max)) : segment;
    p = p.slice(dot + 1);
  }
  return `${p}.${segment}`;
}

function trimEnd(s: string): string {
  return s.replace(/[._]+$/, "") || s;
}

/**
 * Makes names unique in document order: the first keeps `base`, later ones get `_2`, `_3`, … (kept
 * within `max` characters). Remembers the next free suffix per base, so many duplicates stay linear.
 */
export class NameRegistry {
  private readonly used = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  claim(base: string): string {
    if (!this.used.has(base)) {
      this.used.add(base);
      return base;
    }
    for (let k = this.nextSuffix.get(base) ?? 2; ; k++) {
      const suffix = `_${k}`;
      const stem =
        base.length + suffix.length > this.max ? trimEnd(base.slice(0, this.max - suffix.length)) : base;
      const candidate = stem + suffix;
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        this.nextSuffix.set(base, k + 1);
        return candidate;
      }
    }
  }
}

/** CSS.escape from CSSOM (https://drafts.csswg.org/cssom/#serialize-an-identifier). */
export function cssEscape(value: string): string {
  let out = "";
  const first = value.charCodeAt(0);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const ch = value.charAt(i);
    if (code === 0) out += "\ufffd";
    else if (
      (code >= 0x1 && code <= 0x1f) ||
      code === 0x7f ||
      (i === 0 && code >= 0x30 && code <= 0x39) ||
      (i === 1 && code >= 0x30 && code <= 0x39 && first === 0x2d)
    ) {
      out += `\\${code.toString(16)} `;
    } else if (i === 0 && value.length === 1 && code === 0x2d) {
      out += `\\${ch}`;
    } else if (
      code >= 0x80 ||
      code === 0x2d ||
      code === 0x5f ||
      (code >= 0x30 && code <= 0x39) ||
      (code >= 0x41 && code <= 0x5a) ||
      (code >= 0x61 && code <= 0x7a)
    ) {
      out += ch;
    } else {
      out += `\\${ch}`;
    }
  }
  return out;
}
