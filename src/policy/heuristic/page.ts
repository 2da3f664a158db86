import * as cheerio from "cheerio";
import type { Observation } from "../types.ts";

/** One named control of the observation, with what a shopper can read off it. */
export interface Control {
  name: string;
  tag: string;
  type: string;
  role: string;
  /** Visible text, or for inputs the words of their name (labels are folded into names). */
  label: string;
  value: string;
  checked: boolean;
  disabled: boolean;
  options: { value: string; label: string; selected: boolean; disabled: boolean }[];
  /** Text of the nearest enclosing item (list item, row, article, card…): price, rating, stock. */
  context: string;
  /**
   * The item's own heading when the control does not hold it: the title beside a link that reads only
   * a code (`B07Y81FQV3`) or "View". Empty when there is none.
   */
  itemTitle: string;
  /** In the page's header, footer or navigation: the site's chrome, not its content. */
  chrome: boolean;
  /** The dialog (pop-up) the control is in, by its label or heading ("" when unnamed); null outside one. */
  dialog: string | null;
}

export interface PageModel {
  url: string;
  title: string;
  /** All visible text, whitespace collapsed. */
  text: string;
  headings: string[];
  /** What the page announces: the text of each alert or status message (a form's errors, a decline). */
  alerts: string[];
  /** Where the page sits in the shop, from a navigation labelled as a breadcrumb ("Beauty & Personal Care Sun Care"); "" when none. */
  breadcrumb: string;
  controls: Control[];
}

/** What holds one item. A `div` is written out only around a record of a list (a card) or text. */
const ITEM =
  "li, tr, article, section, fieldset, form, div, [role=group], [role=radiogroup], dialog, [role=dialog]";

/** Where a site keeps what is on every page: logo, cart, account, menus, footer links. */
const CHROME = "header, footer, nav, [role=banner], [role=contentinfo], [role=navigation]";

/** What a pop-up sits in. */
const DIALOG = "dialog, [role=dialog], [role=alertdialog]";

/** Reads a simplified page into controls. Works on any shop's simplified HTML: no markup is assumed. */
export function readPage(obs: Observation): PageModel {
  const $ = cheerio.load(obs.html);
  // What a page shows only as a labelled image (stars drawn in CSS: "4.5 out of 5 stars") is read as text.
  $("[role=img][aria-label]").each((_, el) => {
    const $el = $(el);
    if (!clean($el.text())) $el.text(` ${$el.attr("aria-label")} `);
  });
  const controls: Control[] = [];
  // Most pages have no dialog: then no control needs to look for one around it.
  const dialogs = $(DIALOG).length > 0;
  $("[name]").each((_, el) => {
    const $el = $(el);
    const name = $el.attr("name") ?? "";
    if (!obs.names.includes(name)) return;
    const tag = el.tagName.toLowerCase();
    const text = clean($el.text());
    const words = name.split(".").at(-1)?.replace(/_/g, " ") ?? "";
    const item = $el.closest(ITEM);
    const dialog = dialogs ? $el.closest(DIALOG) : null;
    // Only a link that says little needs it (and reading it for every control would cost a pass per control).
    const heading =
      tag === "a" && item.length > 0 && text.split(" ").length < 3
        ? item
            .first()
            .find("h1, h2, h3, h4, h5, h6, [role=heading]")
            .toArray()
            .find((h) => !$(h).closest("[name]").is($el) && clean($(h).text()) !== text)
        : undefined;
    controls.push({
      name,
      tag,
      type: ($el.attr("type") ?? "").toLowerCase(),
      role: ($el.attr("role") ?? "").toLowerCase(),
      label: text || $el.attr("alt") || $el.attr("aria-label") || words,
      value: $el.attr("value") ?? "",
      checked: $el.is("[checked]") || $el.attr("aria-checked") === "true",
      disabled: $el.is("[disabled]") || $el.attr("aria-disabled") === "true",
      options: $el
        .find("option")
        .toArray()
        .map((o) => {
          // An option shows its text (or a label attribute); a value only when it has neither. The
          // attributes are read directly: cheerio's attr("value") returns the text when there is none.
          const label = clean($(o).text()) || clean(o.attribs.label ?? "");
          return {
            value: o.attribs.value ?? label,
            label,
            selected: o.attribs.selected !== undefined,
            disabled: o.attribs.disabled !== undefined,
          };
        }),
      context: item.length > 0 ? clean(item.first().text()).slice(0, 400) : "",
      itemTitle: heading ? clean($(heading).text()) : "",
      chrome: $el.closest(CHROME).length > 0,
      dialog:
        dialog === null || dialog.length === 0
          ? null
          : clean(dialog.attr("aria-label") ?? "") || clean(dialog.find("h1, h2, h3, h4").first().text()),
    });
  });
  return {
    url: obs.url,
    title: obs.title,
    text: clean($.root().text()),
    headings: $("h1, h2, h3")
      .toArray()
      .map((h) => clean($(h).text())),
    alerts: $("[role=alert], [role=status]")
      .toArray()
      .map((a) => clean($(a).text()))
      .filter(Boolean),
    breadcrumb: $("[aria-label]")
      .filter((_, el) => /breadcrumb/i.test(el.attribs["aria-label"] ?? ""))
      .find("*")
      .addBack()
      .contents()
      .toArray()
      .flatMap((n) => (n.type === "text" && clean(n.data) !== "" ? [clean(n.data)] : []))
      .filter((t) => !/^[›>/|»→-]$/.test(t))
      .join(" › "),
    controls,
  };
}

export function clean(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** First dollar amount in a text, e.g. "$1,299.00" → 1299. */
export function priceIn(text: string): number | null {
  const m = /\$\s?(\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)/.exec(text);
  return m?.[1] ? Number(m[1].replace(/,/g, "")) : null;
}

/** A star rating in a text, e.g. "4.5 out of 5 stars" → 4.5. */
export function ratingIn(text: string): number | null {
  const m = /(\d(?:\.\d)?)\s*out of\s*5/i.exec(text);
  return m?.[1] ? Number(m[1]) : null;
}

/** The part of a name before its last segment: the group it belongs to. */
export function groupOf(name: string): string {
  const i = name.lastIndexOf(".");
  return i === -1 ? "" : name.slice(0, i);
}
