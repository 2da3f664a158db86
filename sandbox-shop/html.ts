/**
 * A tiny tagged-template HTML builder: every interpolated value is escaped unless it is already
 * `SafeHtml` (the result of another `html` template or `raw`). Arrays are joined; null, undefined
 * and false render nothing, so `${cond && html`…`}` works.
 */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

const SPECIAL = /[&<>"']/;
const SPECIAL_ALL = /[&<>"']/g;

export function escapeHtml(text: string): string {
  // Most text has nothing to escape; testing first avoids building a new string.
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] ?? c) : text;
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) {
    out += render(values[i]) + (strings[i + 1] ?? "");
  }
  return new SafeHtml(out);
}

/** Marks trusted markup as safe. Never pass user input. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** Formats dollars the way a US shop does: $1,234.50 (toLocaleString is ~50x slower on a hot path). */
export function money(amount: number): string {
  const cents = Math.round(Math.abs(amount) * 100);
  const frac = cents % 100;
  return `${amount < 0 ? "-" : ""}$${count(Math.floor(cents / 100))}.${frac < 10 ? "0" : ""}${frac}`;
}

/** 1234567 → "1,234,567" */
export function count(n: number): string {
  const digits = String(Math.trunc(n));
  if (digits.length <= 4 && n >= 0) return digits.length === 4 ? `${digits[0]},${digits.slice(1)}` : digits;
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
