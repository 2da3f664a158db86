import { token_set_ratio, token_sort_ratio } from "fuzzball";
import type { Action } from "../../contracts/action.ts";
import { type Persona, type Scenario, US_STATES } from "../../contracts/scenario.ts";
import type { Step } from "../../contracts/trajectory.ts";
import { mulberry32 } from "../../random.ts";
import type { DecideInput, Decision, Policy } from "../types.ts";
import { type Control, groupOf, type PageModel, priceIn, ratingIn, readPage } from "./page.ts";
import { type Plan, planFor, singular } from "./plan.ts";

const RX = {
  /** A link to a shop's general showcase, for a shopper with nothing in particular in mind. */
  showcase:
    /^(shop|browse|view|see) (all|everything|now|the collection)$|^all products$|^(new arrivals|best ?sellers|deals|today's deals|sale|on sale|clearance)$/i,
  /** The name of a page region that lists products. */
  resultsRegion: /result|product|item|listing|collection|catalog|grid/,
  addToCart: /\badd to (cart|bag|basket)\b/i,
  buyNow: /\bbuy now\b/i,
  checkout: /\b(proceed to checkout|checkout|check out)\b/i,
  placeOrder: /\b(place (your )?order|complete (purchase|order)|pay now|confirm order)\b/i,
  continue: /\b(continue|next step)\b/i,
  next: /^(next( page)?|›|»|→)(\s*(>|›|»|→))?$/i,
  /** A checkout that offers to go on without an account. */
  guest: /\b((continue|check ?out|proceed|buy) as (a )?guest|guest check ?out)\b/i,
  /** A box a checkout wants ticked before it takes the order (not a newsletter opt-in). */
  terms:
    /\b(i agree|i accept|agree to|accept the|terms (of (service|sale|use)|and conditions|conditions))\b/i,
  /** What a shopper leaves unticked: marketing. */
  optIn: /\b(e-?mail|news|newsletters?|offers|marketing|promotions?|sms|text me)\b/i,
  /** A list that grows in place rather than paging. */
  loadMore: /^(load|show|see|view) more( (products|results|items))?$/i,
  /** A page that shows more about a product: read when the product page does not say enough. */
  details: /^(description|features|details|product details|specifications|specs|about this item)$/i,
  searchAgain: /\b(back to search|new search|search again|start over)\b/i,
  accept: /\b(accept( all)?( cookies)?|agree|got it|allow all)\b/i,
  confirmation:
    /\b(thank you|order (has been )?placed|order number|order confirmed|your order is confirmed)\b/i,
  search: /search/i,
  openSearch: /^(open |show |toggle )?search( the (store|shop|site))?$/i,
  /** What closes a pop-up without answering it. */
  dismiss:
    /^(close( (dialog|pop-?up|modal|window|form|this))?|[×✕✖x]|no,? thanks?|no thank you|not now|maybe later|dismiss|skip|continue shopping)$/i,
  sort: /\bsort\b/i,
  /** What a checkout says when the card was refused (a gateway's decline, or a card it could not check). */
  declined:
    /\b(card (was |has been )?declined|declined|insufficient funds|payment (failed|was unsuccessful|(could not|couldn['’]t) be (processed|completed))|(could not|couldn['’]t) be (verified|processed))\b/i,
};

const CARD_NUMBER = /card.?number|^number$|cc.?num|credit.?card$/;

/** Checkout fields, matched on the words of the control's name, and what the persona answers. */
interface CheckoutField {
  /** What the field asks for, in the rationale ("my ZIP code"). */
  words: string;
  rx: RegExp;
  /** Skip controls whose name also matches this (a country/region list is not the state). */
  not?: RegExp;
  value: (p: Persona) => string | undefined;
  /** Counts towards recognising an address form. */
  address: boolean;
}

const firstName = (p: Persona) => p.shipping_address.full_name.trim().split(/\s+/)[0];
const lastName = (p: Persona) =>
  p.shipping_address.full_name.trim().split(/\s+/).slice(1).join(" ") || undefined;

const CHECKOUT_FIELDS: CheckoutField[] = [
  {
    words: "full name",
    rx: /full.?name|^name$|your.?name|recipient/,
    value: (p) => p.shipping_address.full_name,
    address: true,
  },
  { words: "first name", rx: /first.?name|given.?name|^fname$/, value: firstName, address: true },
  { words: "last name", rx: /last.?name|family.?name|surname|^lname$/, value: lastName, address: true },
  { words: "email address", rx: /e.?mail/, value: (p) => p.shipping_address.email, address: true },
  {
    words: "street address",
    rx: /address.?(line.?)?1|street|^address$/,
    value: (p) => p.shipping_address.address1,
    address: true,
  },
  {
    words: "apartment number",
    rx: /address.?(line.?)?2|apartment|suite|apt/,
    value: (p) => p.shipping_address.address2,
    address: true,
  },
  { words: "city", rx: /city|town/, value: (p) => p.shipping_address.city, address: true },
  {
    words: "state",
    rx: /\bstate\b|province|^region$/,
    not: /country/,
    value: (p) => p.shipping_address.state,
    address: true,
  },
  { words: "country", rx: /country/, value: () => "United States", address: false },
  { words: "ZIP code", rx: /zip|postal|postcode/, value: (p) => p.shipping_address.zip, address: true },
  { words: "phone number", rx: /phone|tel/, value: (p) => p.shipping_address.phone, address: true },
  {
    words: "card number",
    rx: CARD_NUMBER,
    value: (p) => p.payment_card.number,
    address: false,
  },
  {
    words: "name on the card",
    rx: /name.?on.?card|card.?holder|^name.?on/,
    value: (p) => p.shipping_address.full_name,
    address: false,
  },
  {
    words: "card's expiry date",
    rx: /expir|exp.?date|mm.?yy/,
    value: (p) => p.payment_card.expiry,
    address: false,
  },
  {
    words: "card's security code",
    rx: /security.?code|cvv|cvc|csc|verification/,
    value: (p) => p.payment_card.cvc,
    address: false,
  },
];

/** A page reporting a single result ("1 result for …", "Showing one product"); page text may run words together. */
const ONE_RESULT = /(?<![\d.,])1 (result|product|item|match)|\bone (result|product|item|match)\b/i;

/** A bargain costs at most this share of the median price of the listing it was found in. */
const BARGAIN_SHARE = 0.7;

/** Fewer new words than this on a description or features page, and the page was empty of news. */
const NEW_WORDS_TO_COUNT = 3;

/** How a country list may spell the persona's country (addresses are in the United States). */
const UNITED_STATES = /^(united states( of america)?|usa?|u\.s\.a?\.?)$/i;

/** A product a comparing shopper looked at: what it costs and how it is rated. */
interface Seen {
  title: string;
  price: number | null;
  rating: number | null;
}

interface Candidate {
  control: Control;
  /** What the product is called: the link's text, or the card's heading when the link reads a code. */
  title: string;
  similarity: number;
  /** What the similarity was measured against: all I want, or the kind of product alone. */
  against: string;
  price: number | null;
  rating: number | null;
  score: number;
}

/**
 * The built-in shopper. It reads the goal, searches, scans results, opens promising products,
 * compares them with the goal, picks options, buys and checks out with the persona's address, or
 * refines, pages on, goes back, or gives up. Persona traits shape each choice through a seeded RNG.
 * It sees only the observation (the simplified page) and says why it does what it does.
 */
export class HeuristicShopper implements Policy {
  readonly kind = "heuristic";
  readonly model = null;
  readonly promptVersion = "heuristic-1";
  private readonly persona: Persona;
  private readonly plan: Plan;
  private readonly random: () => number;
  private queryIndex = 0;
  private pagesSeen = 0;
  private readonly opened: string[] = [];
  private readonly rejected = new Set<string>();
  private readonly typed = new Map<string, string>();
  private sorted = false;
  private shippingChosen = false;
  /** A checkout page that asked for the card has been submitted. */
  private paymentSent = false;
  /** Text read on a product's detail pages (description, features), by product title. */
  private readonly detailText = new Map<string, string>();
  /** Detail pages opened, as `title#label`. */
  private readonly detailsOpened = new Set<string>();
  /** Detail pages that said nothing the product page had not (an empty description tab), as `title#label`. */
  private readonly detailsEmpty = new Set<string>();
  /** The detail page the last click opened: which product, which link, and the words its product page had. */
  private reading: { title: string; label: string; known: ReadonlySet<string> } | null = null;
  /** The last step went back to a search page, or opened the search, from a page without a search box. */
  private soughtSearch = false;
  /** Departments looked around in by a shopper with nothing in particular to search for, by label. */
  private readonly departments = new Set<string>();
  private readonly limits: {
    products: number;
    pages: number;
    queries: number;
    departments: number;
    /** How many products a comparing or window-shopping shopper looks at before deciding. */
    compare: number;
  };
  private readonly wantFolded: string;
  private readonly typeFolded: string;
  /**
   * Each kind a browsing intent names, its words singular, and its head noun ("water bottles" →
   * "water bottle", head "bottle").
   */
  private readonly kinds: { kind: string; words: string; head: string }[];
  /** Departments opened from the shop's menu for what I browse for ("furniture"), as menu words. */
  private readonly departmentKinds = new Set<string>();
  /** The department whose listing I opened from the menu, while I look around it. */
  private inDepartment: string | null = null;
  /** Products compared so far (a comparing or window-shopping shopper), and those worth buying. */
  private readonly compared: Seen[] = [];
  private readonly contenders: Seen[] = [];
  /** The median price of the last listing of products I looked at, for telling a bargain. */
  private listingPrice: number | null = null;
  /** The contender chosen after comparing: reopened and bought. */
  private chosen: string | null = null;

  constructor(persona: Persona, scenario: Scenario, seed: number) {
    this.persona = persona;
    this.plan = planFor(scenario.goal);
    this.wantFolded = folded(this.plan.want);
    this.typeFolded = folded(this.plan.productType ?? "");
    this.kinds = this.plan.kinds.map((kind) => {
      const words = normalize(kind).split(" ").map(singular);
      return { kind, words: words.join(" "), head: words.at(-1) ?? "" };
    });
    this.random = mulberry32(seed);
    const s = persona.style;
    const products = 2 + Math.round(s.patience * 5 + s.exploration * 3);
    this.limits = {
      products,
      pages: 1 + Math.round(s.patience * 3),
      queries: Math.min(this.plan.queries.length, 1 + Math.round(s.patience * 2)),
      departments: 1 + Math.round(s.patience * 2),
      compare: Math.min(products, 2 + Math.round(s.patience * 2)),
    };
  }

  /**
   * Takes over a session someone else began (a recorded human's, in the next-action evaluation):
   * what the shopper would remember had it taken the earlier steps itself — how many searches were
   * made, which products were opened and which were left again, how far it paged, what it sorted,
   * typed and chose at checkout. Call it once on a fresh shopper, before its first decision.
   */
  resume(history: readonly Step[]): void {
    let lastProductTitle: string | null = null;
    for (const step of history) {
      const action = step.action;
      if (!action) continue;
      const page = step.observation
        ? readPage({ url: step.url, title: "", html: step.observation, names: namesOf(step.observation) })
        : null;
      const control = "name" in action ? page?.controls.find((c) => c.name === action.name) : undefined;
      const onProduct =
        page?.controls.some((c) => RX.addToCart.test(c.label) || RX.buyNow.test(c.label)) ?? false;
      if (onProduct && page) lastProductTitle = page.headings[0] ?? page.title;
      this.reading = null;
      switch (action.type) {
        case "type_and_submit":
          if (/checkout|shipping|address/.test(action.name)) break;
          this.queryIndex += 1;
          this.pagesSeen = 0;
          this.sorted = false;
          break;
        case "type":
          this.typed.set(`${step.url}#${action.name}`, action.text);
          break;
        case "select":
          if (RX.sort.test(action.name)) this.sorted = true;
          else this.typed.set(`${step.url}#${action.name}`, action.value);
          break;
        case "back":
          if (onProduct && lastProductTitle) this.rejected.add(lastProductTitle);
          break;
        case "click": {
          const label = control?.label ?? "";
          if (RX.next.test(label) || RX.loadMore.test(label) || /(^|\.)(next|next_page)$/.test(action.name))
            this.pagesSeen += 1;
          else if (/ship|deliver/i.test(`${action.name} ${label}`) && control?.type === "radio")
            this.shippingChosen = true;
          else if (onProduct && lastProductTitle && RX.details.test(label)) {
            this.detailsOpened.add(`${lastProductTitle}#${label}`);
            this.reading = { title: lastProductTitle, label, known: new Set() };
          } else if (control?.tag === "a" && !onProduct) {
            const title = wordy(label) ? label : wordy(control.itemTitle) ? control.itemTitle : null;
            if (title !== null) this.opened.push(title);
          }
          break;
        }
        default:
          break;
      }
    }
  }

  async decide(input: DecideInput): Promise<Decision> {
    const page = readPage(input.observation);
    const find = (rx: RegExp, tags?: string[]) =>
      page.controls.find((c) => !c.disabled && rx.test(c.label) && (!tags || tags.includes(c.tag)));

    const addToCart = find(RX.addToCart, ["button", "input", "a"]);
    const buyNow = find(RX.buyNow, ["button", "input", "a"]);
    if (this.reading !== null && !addToCart && !buyNow) {
      // A product's description or features page: remember what it says, then back to the product.
      const { title, label, known } = this.reading;
      this.reading = null;
      this.detailText.set(title, `${this.detailText.get(title) ?? ""} ${page.text}`);
      const fresh = new Set(wordsOf(page.text).filter((w) => !known.has(w)));
      if (fresh.size < NEW_WORDS_TO_COUNT) {
        // An empty tab costs the reader nothing: they will look at the next one if there is one.
        this.detailsEmpty.add(`${title}#${label}`);
        return this.act(
          `The ${label.toLowerCase()} of “${title}” says nothing the product page did not; I go back to the product.`,
          { type: "back" },
        );
      }
      return this.act(`I have read more about “${title}”; I go back to the product to decide.`, {
        type: "back",
      });
    }
    this.reading = null;
    const accept = find(RX.accept, ["button", "a"]);
    if (accept && /cookie|privacy|consent/i.test(page.text)) {
      return this.act(`A cookie notice covers the page; I click “${accept.label}” to get on with shopping.`, {
        type: "click",
        name: accept.name,
      });
    }
    if (
      RX.confirmation.test(page.headings.join(" ")) ||
      (RX.confirmation.test(page.text) && !find(RX.placeOrder))
    ) {
      return this.act("The order is confirmed, so my shopping is done.", { type: "terminate" });
    }
    const popup = this.popup(page);
    if (popup) return popup;
    const guest = find(RX.guest, ["button", "a", "input"]);
    if (guest) {
      return this.act(`I have no account with this shop, so I check out as a guest (“${guest.label}”).`, {
        type: "click",
        name: guest.name,
      });
    }
    if (this.isCheckout(page)) return this.checkout(page);
    // Many shops answer "Add to cart" with a drawer over the product page rather than a cart page.
    const drawer = page.controls.find(
      (c) =>
        c.dialog !== null &&
        !c.disabled &&
        ["a", "button", "input"].includes(c.tag) &&
        RX.checkout.test(c.label) &&
        page.controls.some(
          (d) => d.dialog === c.dialog && /\b(cart|bag|basket)\b/i.test(`${d.dialog} ${d.label}`),
        ),
    );
    if (drawer) {
      return this.act(`My cart holds what I chose (${this.cartSummary(page)}), so I proceed to checkout.`, {
        type: "click",
        name: drawer.name,
      });
    }
    if (addToCart || buyNow) return this.product(page, addToCart, buyNow);
    const checkout = find(RX.checkout, ["a", "button", "input"]);
    if (checkout && /subtotal|cart/i.test(page.text) && !/cart is empty/i.test(page.text)) {
      return this.act(`My cart holds what I chose (${this.cartSummary(page)}), so I proceed to checkout.`, {
        type: "click",
        name: checkout.name,
      });
    }
    // Start with a search: featured products on a landing page are not an answer to the goal.
    const topicless = this.plan.queries.length === 0;
    if (this.queryIndex === 0 && !topicless && (this.searchBox(page) || this.searchOpener(page)))
      return this.search(page, "I start");
    const candidates = this.candidates(page);
    if (candidates.length > 0) return this.results(page, candidates);
    if (topicless) return this.lookAround(page, "Nothing here catches my eye");
    return this.search(
      page,
      input.history.length === 0 ? "I start" : "Nothing here helps with my goal, so I start over",
    );
  }

  private act(rationale: string, action: Action): Decision {
    return { rationale, action };
  }

  /**
   * A pop-up over the page that is not part of shopping (a sign-up offer, a survey): closed, as most
   * shoppers close it. A dialog that holds a search box, a cart or checkout step is used, not closed.
   */
  private popup(page: PageModel): Decision | undefined {
    const inside = page.controls.filter((c) => c.dialog !== null && !c.disabled);
    const close = inside.find(
      (c) => ["button", "a", "input"].includes(c.tag) && RX.dismiss.test(c.label.trim()),
    );
    if (!close) return undefined;
    const shopping = inside.some(
      (c) =>
        [RX.addToCart, RX.buyNow, RX.checkout, RX.placeOrder].some((rx) => rx.test(c.label)) ||
        (c.tag === "input" && (RX.search.test(c.name) || c.type === "search")),
    );
    if (shopping) return undefined;
    const what = close.dialog ? `A pop-up (“${close.dialog}”)` : "A pop-up";
    return this.act(`${what} covers the page; I close it (“${close.label}”) and go on shopping.`, {
      type: "click",
      name: close.name,
    });
  }

  // --- searching -------------------------------------------------------------------------------

  private searchBox(page: PageModel): Control | undefined {
    const inputs = page.controls.filter(
      (c) => c.tag === "input" && !c.disabled && ["", "text", "search"].includes(c.type),
    );
    return (
      inputs.find((c) => RX.search.test(c.name) || RX.search.test(c.label)) ??
      (inputs.length === 1 ? inputs[0] : undefined)
    );
  }

  /** What opens a search box the page does not show yet: a "Search" button, icon or disclosure. */
  private searchOpener(page: PageModel): Control | undefined {
    return page.controls.find(
      (c) =>
        !c.disabled &&
        (["button", "summary", "a"].includes(c.tag) || c.role === "button") &&
        c.type !== "submit" &&
        RX.openSearch.test(c.label.trim()),
    );
  }

  private search(page: PageModel, lead: string): Decision {
    const box = this.searchBox(page);
    const query = this.plan.queries[this.queryIndex];
    const moreQueries = query !== undefined && this.queryIndex < this.limits.queries;
    if (!box && moreQueries && !this.soughtSearch) {
      // Some shops search only from their search page: results and products link back to it.
      const again = page.controls.find(
        (c) => !c.disabled && ["a", "button", "input"].includes(c.tag) && RX.searchAgain.test(c.label),
      );
      if (again) {
        this.soughtSearch = true;
        return this.act(
          `${lead} by going back to the search page (“${again.label}”) to search for “${query}”.`,
          { type: "click", name: again.name },
        );
      }
      // Others keep the search box behind a button or a magnifier icon that opens it.
      const opener = this.searchOpener(page);
      if (opener) {
        this.soughtSearch = true;
        return this.act(`${lead} by opening the search (“${opener.label}”) to search for “${query}”.`, {
          type: "click",
          name: opener.name,
        });
      }
    }
    this.soughtSearch = false;
    if (!moreQueries) return this.giveUp("I have tried every search I can think of");
    // Browsing for something the shop's menu has as a department ("furniture"): I open it, as people do.
    const department = this.plan.browse ? this.departmentLink(page, query) : undefined;
    if (department) {
      this.queryIndex += 1;
      this.pagesSeen = 0;
      this.sorted = false;
      this.inDepartment = department.label;
      this.departmentKinds.add(menuWords(department.label));
      return this.act(
        `${lead} by opening the shop's “${department.label}” department rather than searching, to look around it.`,
        { type: "click", name: department.name },
      );
    }
    if (!box) return this.giveUp("I cannot find a search box on this page");
    this.queryIndex += 1;
    this.pagesSeen = 0;
    this.sorted = false;
    this.inDepartment = null;
    const why = this.plan.browse
      ? `I want to ${page.url ? "look around for" : "find"} “${query}”`
      : `the goal asks for ${this.plan.want}${this.plan.maxPrice ? ` under $${this.plan.maxPrice}` : ""}`;
    return this.act(`${lead} by searching for “${query}” because ${why}.`, {
      type: "type_and_submit",
      name: box.name,
      text: query,
    });
  }

  /** A link of the site's menu named as the phrase is ("toys games" → “Toys & Games”). */
  private departmentLink(page: PageModel, phrase: string): Control | undefined {
    const want = menuWords(phrase);
    if (want === "") return undefined;
    return page.controls.find(
      (c) => (c.tag === "a" || c.role === "link") && c.chrome && !c.disabled && menuWords(c.label) === want,
    );
  }

  /**
   * With nothing in particular to search for, a shopper looks around a department of the shop: one of
   * the site's menu links it has not opened yet, chosen by chance. Leaves when there is none, or when
   * it has looked around as many as its patience allows.
   */
  private lookAround(page: PageModel, lead: string): Decision {
    const menus = page.controls.filter(
      (c) =>
        (c.tag === "a" || c.role === "link") &&
        !c.disabled &&
        !this.departments.has(c.label) &&
        // A department in the site's menu, or a showcase the page offers ("Shop all", "Deals").
        ((c.chrome &&
          /categor|department|collection|menu|nav|shop/.test(groupOf(c.name)) &&
          !/\b(cart|bag|basket|account|sign in|log in|help|contact|about|home)\b/i.test(c.label)) ||
          RX.showcase.test(c.label.trim())),
    );
    if (menus.length === 0 || this.departments.size >= this.limits.departments) {
      const why =
        this.departments.size > 0
          ? `I have looked around as much as I care to (${[...this.departments].join(", ")})`
          : "the shop shows no departments to look around in";
      return this.giveUp(`${lead}, and ${why}`);
    }
    const pick = menus[Math.floor(this.random() * menus.length)]!;
    this.departments.add(pick.label);
    this.pagesSeen = 0;
    return this.act(`${lead}; I have nothing in particular in mind, so I look around “${pick.label}”.`, {
      type: "click",
      name: pick.name,
    });
  }

  /**
   * How well a product title fits what I want, 0–1: the better of the whole want and the product
   * type, word sets compared with plurals folded ("Ottoman Footstool" is an ottoman); and which of
   * the two it was, so that a rationale says what matched.
   */
  private fit(title: string): { similarity: number; against: string } {
    // Nothing in particular wanted, or a department's own listing: any product is on topic, and
    // stands out or not by itself.
    if (this.wantFolded === "" || this.inDepartment !== null) return { similarity: 1, against: "" };
    if (this.kinds.length > 0) {
      // A browsing intent's kinds: a title is of a kind when it has the kind's head noun ("Dog Chew
      // Toys" is a chew toy, "Dog Leash" is not), and fits as well as its words match the kind's.
      const words = normalize(title).split(" ").map(singular);
      const have = new Set(words);
      let best = { similarity: 0, against: this.plan.kinds[0] ?? "" };
      for (const { kind, words: kindWords, head } of this.kinds) {
        if (!have.has(head)) continue;
        const similarity = token_set_ratio(kindWords, words.join(" ")) / 100;
        if (similarity > best.similarity) best = { similarity, against: kind };
      }
      return best;
    }
    const t = folded(title);
    const whole = token_set_ratio(this.wantFolded, t);
    const kind = this.plan.productType ? token_set_ratio(this.typeFolded, t) : 0;
    return kind > whole
      ? { similarity: kind / 100, against: this.plan.productType ?? "" }
      : { similarity: whole / 100, against: this.plan.want };
  }

  /** "matches 100% of “floor lamps”, the kind of product I want". */
  private matchText(c: { similarity: number; against: string }): string {
    const pct = `matches ${Math.round(c.similarity * 100)}%`;
    if (c.against === "") return pct;
    if (this.plan.kinds.length > 1) return `${pct} of “${c.against}”, one of the things I came for`;
    return c.against === this.plan.want
      ? `${pct} of “${c.against}”`
      : `${pct} of “${c.against}”, the kind of product I want`;
  }

  /** How similar a title must be to what I want for the product to be worth a look; impulsive shoppers settle sooner. */
  private fitThreshold(): number {
    return this.plan.browse ? 0.3 : 0.55 - 0.1 * this.persona.style.impulsiveness;
  }

  private giveUp(reason: string): Decision {
    if (!this.plan.buys) return this.leaveLooking(reason);
    const seen = this.opened.length > 0 ? ` after looking at ${this.opened.length} product(s)` : "";
    return this.act(`${reason}${seen}; nothing fits the goal well enough, so I leave without buying.`, {
      type: "terminate",
    });
  }

  /** A window-shopper leaves, saying what it compared; `reason` is why now, when not that it has compared enough. */
  private leaveLooking(reason: string | null): Decision {
    const list = this.compared.map(seenText).join("; ");
    const what =
      reason === null
        ? `I have compared ${this.compared.length} products, as many as I wanted to: ${list}`
        : this.compared.length > 0
          ? `${reason}. I compared ${this.compared.length}: ${list}`
          : `${reason}, and I found nothing worth a closer look`;
    return this.act(`${what}. I came only to look, so I leave without buying.`, { type: "terminate" });
  }

  /** The contender a comparing shopper likes best: the best rated, and for a price-conscious one the cheaper. */
  private best(): Seen | undefined {
    const dearest = Math.max(1, ...this.contenders.map((c) => c.price ?? 0));
    const ps = this.persona.style.price_sensitivity;
    const score = (c: Seen) => (c.rating ?? 0) + 0.5 * ps * (1 - (c.price ?? dearest) / dearest);
    return [...this.contenders].sort((a, b) => score(b) - score(a))[0];
  }

  /** Back on the results after comparing: the best contender, when it is listed here. */
  private toBest(candidates: Candidate[]): Decision | undefined {
    if (!this.plan.buys || this.contenders.length === 0) return undefined;
    const best = this.chosen !== null ? this.contenders.find((c) => c.title === this.chosen) : this.best();
    const here = best ? candidates.find((c) => c.title === best.title) : undefined;
    if (!best || !here) return undefined;
    this.chosen = best.title;
    return this.act(
      `Of the ${this.compared.length} products I compared, I like ${seenText(best)} best, so I go back to it.`,
      { type: "click", name: here.control.name },
    );
  }

  // --- results ---------------------------------------------------------------------------------

  /**
   * Product links in the page region that holds most of them: links that read a product's title, or
   * that read a code or "View" beside a card whose heading is the title.
   */
  private candidates(page: PageModel): Candidate[] {
    const links: { control: Control; title: string }[] = [];
    for (const c of page.controls) {
      if (c.tag !== "a" || c.disabled || c.chrome) continue;
      const title = wordy(c.label) ? c.label : wordy(c.itemTitle) ? c.itemTitle : null;
      if (title !== null) links.push({ control: c, title });
    }
    const regions = new Map<string, { control: Control; title: string }[]>();
    for (const l of links) {
      const region = l.control.name.includes(".") ? (l.control.name.split(".")[0] ?? "") : "";
      if (/categor|nav|breadcrumb|footer|header|menu|filter|refine/.test(region)) continue;
      regions.set(region, [...(regions.get(region) ?? []), l]);
    }
    const [region, best] = [...regions.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? ["", []];
    // One product link alone is a result only where the page says so: in a region named for results,
    // or on a page that reports a single result. Otherwise it is more likely a promotion or a link.
    const single = best.length === 1 && (RX.resultsRegion.test(region) || ONE_RESULT.test(page.text));
    if (best.length < 2 && !single) return [];
    const s = this.persona.style;
    return best.map(({ control, title }) => {
      const { similarity, against } = this.fit(title);
      const price = priceIn(control.context);
      const rating = ratingIn(control.context);
      let score = similarity;
      if (rating !== null) score += (rating - 4) * 0.08 * (0.5 + s.brand_loyalty);
      if (price !== null && this.plan.maxPrice !== null) {
        if (price > this.plan.maxPrice) score -= 0.5;
        else score += 0.1 * s.price_sensitivity * (1 - price / this.plan.maxPrice);
      }
      return { control, title, similarity, against, price, rating, score };
    });
  }

  private results(page: PageModel, candidates: Candidate[]): Decision {
    const s = this.persona.style;
    const prices = candidates.flatMap((c) => (c.price === null ? [] : [c.price])).sort((a, b) => a - b);
    if (prices.length >= 3) this.listingPrice = prices[Math.floor(prices.length / 2)]!;
    const sort = page.controls.find((c) => c.tag === "select" && RX.sort.test(c.name));
    const lowToHigh = sort?.options.find((o) => /low to high/i.test(o.label));
    if (
      sort &&
      lowToHigh &&
      !lowToHigh.selected &&
      !this.sorted &&
      s.price_sensitivity > 0.7 &&
      this.plan.maxPrice !== null
    ) {
      this.sorted = true;
      return this.act(
        `Price matters a lot to me and I have a $${this.plan.maxPrice} limit, so I sort the results from low to high price.`,
        {
          type: "select",
          name: sort.name,
          value: lowToHigh.value,
        },
      );
    }
    if (this.chosen !== null) {
      const chosen = this.toBest(candidates);
      if (chosen) return chosen;
      this.chosen = null;
    }
    const fresh = this.unopened(candidates).sort((a, b) => b.score - a.score);
    const threshold = this.fitThreshold();
    const good = fresh.filter(
      (c) =>
        c.similarity >= threshold &&
        (c.price === null || this.plan.maxPrice === null || c.price <= this.plan.maxPrice),
    );
    if (good.length > 0 && this.opened.length < this.limits.products) {
      // An exploring shopper sometimes opens the runner-up rather than the top match.
      const pick = good.length > 1 && this.random() < s.exploration * 0.35 ? good[1]! : good[0]!;
      this.opened.push(pick.title);
      const facts = [
        this.inDepartment !== null
          ? `is in “${this.inDepartment}”`
          : this.plan.want
            ? this.matchText(pick)
            : null,
        pick.price !== null ? `costs $${pick.price.toFixed(2)}` : null,
        pick.rating !== null ? `is rated ${pick.rating}` : null,
      ].filter(Boolean);
      return this.act(
        `“${pick.title}” ${facts.join(", ")}${pick !== good[0] ? "; the top result looks similar, so I open this one for comparison" : ", so I open it"}.`,
        { type: "click", name: pick.control.name },
      );
    }
    // A comparing shopper with nothing new worth opening here goes back to the best it has seen.
    const best = this.toBest(candidates);
    if (best) return best;
    if (this.opened.length >= this.limits.products) {
      if (!this.plan.buys) return this.leaveLooking("I have looked at as many products as I care to");
      // I have opened as many products as my patience allows; neither paging nor searching again.
      const maybe = good[0] ? `; “${good[0].title}” here might, but` : ", so";
      return this.act(
        `I have looked at ${this.opened.length} products, as many as I have patience for, and none had everything I want${maybe} I leave without buying.`,
        { type: "terminate" },
      );
    }
    const pager = (c: Control) => !c.disabled && ["a", "button", "input"].includes(c.tag);
    const next = page.controls.find(
      (c) => pager(c) && (RX.next.test(c.label) || /(^|\.)next(_page)?$/.test(c.name)),
    );
    const more = next ? undefined : page.controls.find((c) => pager(c) && RX.loadMore.test(c.label.trim()));
    if ((next || more) && this.pagesSeen + 1 < this.limits.pages) {
      this.pagesSeen += 1;
      return this.act(
        next
          ? `None of the ${candidates.length} results on this page fits (${this.whyNot(candidates)}), so I look at the next page.`
          : `None of the ${candidates.length} results so far fits (${this.whyNot(candidates)}), so I load more (“${more!.label}”).`,
        { type: "click", name: (next ?? more)!.name },
      );
    }
    if (this.queryIndex < this.limits.queries && this.queryIndex < this.plan.queries.length) {
      return this.search(page, `These results do not fit (${this.whyNot(candidates)}); I refine`);
    }
    if (this.plan.queries.length === 0) return this.lookAround(page, "Nothing here stands out");
    return this.giveUp(`The results do not fit (${this.whyNot(candidates)})`);
  }

  /** The results I have neither opened nor ruled out. */
  private unopened(candidates: Candidate[]): Candidate[] {
    return candidates.filter((c) => !this.opened.includes(c.title) && !this.rejected.has(c.title));
  }

  /** Why no result here is worth opening: the closest one not yet opened, and how many are over budget. */
  private whyNot(candidates: Candidate[]): string {
    const fresh = this.unopened(candidates);
    const over = candidates.filter(
      (c) => c.price !== null && this.plan.maxPrice !== null && c.price > this.plan.maxPrice,
    ).length;
    const budget = over > 0 ? `; ${over} are over my $${this.plan.maxPrice} limit` : "";
    const best = [...fresh].sort((a, b) => b.similarity - a.similarity)[0];
    if (!best)
      return candidates.length > 0 ? `I have already looked at every one of them${budget}` : "no products";
    // Everything here is on topic (a department's listing): only what I opened and the price rule them out.
    if (best.against === "") {
      const opened = candidates.length - fresh.length;
      return opened > 0
        ? `I have looked at ${opened} of them${budget}`
        : budget.slice(2) || "none stands out";
    }
    const which = fresh.length < candidates.length ? "the closest I have not opened" : "the closest";
    return `${which}, “${best.title}”, ${this.matchText(best)}${budget}`;
  }

  // --- product page ----------------------------------------------------------------------------

  private product(page: PageModel, addToCart: Control | undefined, buyNow: Control | undefined): Decision {
    const s = this.persona.style;
    const title = page.headings[0] ?? page.title;
    const afterTitle = page.text.slice(Math.max(0, page.text.indexOf(title)));
    const price = priceIn(afterTitle);
    const { similarity } = this.fit(title);
    // What the product page says, and what its description or features pages said when I read them.
    const read = `${page.text} ${this.detailText.get(title) ?? ""}`;
    const words = new Set(wordsOf(read));
    const flat = ` ${normalize(read)} `;
    // An attribute counts when it is on the page as a phrase, or all its words are (hyphens, plurals aside).
    const found = this.plan.attributes.filter(
      (a) =>
        flat.includes(` ${normalize(a)} `) ||
        normalize(a)
          .split(" ")
          .every((w) => words.has(stem(w))),
    );
    const missing = this.plan.attributes.filter((a) => !found.includes(a));
    const back = (why: string): Decision => {
      this.rejected.add(title);
      // A contender ruled out on a closer look (its only affordable option is gone) is no longer one.
      const at = this.contenders.findIndex((c) => c.title === title);
      if (at >= 0) this.contenders.splice(at, 1);
      if (this.chosen === title) this.chosen = null;
      return this.act(`${why}, so I go back to the results.`, { type: "back" });
    };
    // Going back from a product whose options I had chosen lands on the same product before the
    // choice; I already ruled it out, so I keep going back instead of choosing again.
    if (this.rejected.has(title)) {
      return this.act(`I already ruled out “${title}”, so I go back further to the results.`, {
        type: "back",
      });
    }

    if (
      this.plan.maxPrice !== null &&
      price !== null &&
      price > this.plan.maxPrice &&
      !/–|-\s*\$/.test(afterTitle.slice(0, 200))
    ) {
      return back(`“${title}” costs $${price.toFixed(2)}, over my $${this.plan.maxPrice} limit`);
    }
    // The same bar as on the results page: a product worth opening for its title is not ruled out for it.
    if (!this.plan.browse && similarity < this.fitThreshold()) {
      return back(
        `“${title}” is not the ${this.plan.productType ?? this.plan.want} I want (${Math.round(similarity * 100)}% match)`,
      );
    }
    const rated = ratingIn(afterTitle);
    if (
      !this.plan.browse &&
      this.plan.minRating !== null &&
      (rated === null || rated < this.plan.minRating)
    ) {
      return back(
        `“${title}” is rated ${rated ?? "by no one"}, below the ${this.plan.minRating} stars I want`,
      );
    }
    // A careful reader insists on every wanted attribute; a hasty one settles for most.
    const needed = Math.ceil(this.plan.attributes.length * (0.4 + 0.6 * s.reading_depth));
    if (found.length < needed) {
      // The description or features may be on a page of their own: a careful reader reads them (one
      // page, or two) before ruling the product out; a hasty one judges by what is in front of them.
      const willRead = Math.round(s.reading_depth * 2);
      const readAlready = [...this.detailsOpened].filter(
        (k) => k.startsWith(`${title}#`) && !this.detailsEmpty.has(k),
      ).length;
      const details = page.controls.find(
        (c) => !c.disabled && RX.details.test(c.label) && !this.detailsOpened.has(`${title}#${c.label}`),
      );
      if (details && readAlready < willRead) {
        this.detailsOpened.add(`${title}#${details.label}`);
        this.reading = { title, label: details.label, known: new Set(wordsOf(page.text)) };
        return this.act(
          `“${title}” does not say here whether it has ${missing.join(", ")}; I open its ${details.label.toLowerCase()} to check.`,
          { type: "click", name: details.name },
        );
      }
      return back(`“${title}” does not mention ${missing.join(", ")}`);
    }
    if (this.plan.browse) {
      const offTopic = this.offTopic(page, title, similarity);
      if (offTopic) return back(offTopic);
      const rating = ratingIn(afterTitle);
      if (!this.plan.buys) return this.windowShop({ title, price, rating });
      const rated =
        (rating ?? 0) >= Math.max(this.plan.minRating ?? 0, 4.5 - 0.5 * s.impulsiveness) &&
        (this.plan.maxPrice === null || (price ?? 0) <= this.plan.maxPrice);
      // A bargain costs well under what the listing it was found in typically costs.
      const typical = this.listingPrice;
      const bargain =
        !this.plan.bargain || typical === null || (price !== null && price <= BARGAIN_SHARE * typical);
      const standsOut = rated && bargain;
      if (this.plan.compares && this.chosen !== title) {
        const verdict = this.compare({ title, price, rating }, standsOut);
        if (verdict) return verdict;
      } else if (!rated) {
        if (this.opened.length >= this.limits.products)
          return this.giveUp(`“${title}” is fine but does not stand out (rated ${rating ?? "unrated"})`);
        return back(`“${title}” is rated ${rating ?? "nothing"} and does not stand out`);
      } else if (!bargain) {
        const why = `“${title}”${price !== null ? ` at $${price.toFixed(2)}` : ""} is no bargain: the products I found it among cost $${typical!.toFixed(2)} at the median`;
        if (this.opened.length >= this.limits.products) return this.giveUp(why);
        return back(why);
      }
    }

    // Options: choose the wanted values, then any still unchosen required ones.
    const groups = new Map<string, Control[]>();
    for (const c of page.controls) {
      if (c.role !== "radio" && c.type !== "radio" && c.role !== "option") continue;
      const g = groupOf(c.name);
      groups.set(g, [...(groups.get(g) ?? []), c]);
    }
    // Options offered as drop-down lists instead (a size list in the product form).
    const lists = page.controls.filter(
      (c) =>
        c.tag === "select" &&
        !c.disabled &&
        c.options.length > 1 &&
        !/qty|quantity|sort/.test(lastWords(c.name)),
    );
    for (const [optName, wanted] of Object.entries(this.plan.options)) {
      const group = [...groups.entries()].find(([g]) =>
        g.split(".").at(-1)?.replace(/_/g, " ").includes(optName.toLowerCase()),
      )?.[1];
      const list = group ? undefined : lists.find((l) => lastWords(l.name).includes(optName.toLowerCase()));
      if (list) {
        const match = list.options.find((o) => token_sort_ratio(optionValue(o.label), wanted) >= 85);
        if (!match || match.disabled) return back(`“${title}” has no ${optName} “${wanted}” available`);
        if (match.selected) continue;
        return this.act(`“${title}” fits; the goal wants ${optName} “${wanted}”, so I choose it.`, {
          type: "select",
          name: list.name,
          value: match.value,
        });
      }
      if (!group) continue;
      const match = group.find((c) => token_sort_ratio(optionValue(c.label), wanted) >= 85);
      if (!match || match.disabled) return back(`“${title}” has no ${optName} “${wanted}” available`);
      if (!match.checked) {
        return this.act(`“${title}” fits; the goal wants ${optName} “${wanted}”, so I select it.`, {
          type: "click",
          name: match.name,
        });
      }
    }
    for (const [g, group] of groups) {
      if (group.some((c) => c.checked)) continue;
      const what = g.split(".").at(-1)?.replace(/_/g, " ") ?? g;
      const inStock = group.filter((c) => !c.disabled);
      if (inStock.length === 0) return back(`“${title}” has no ${what} in stock`);
      // A surcharge that takes the price over my limit rules an option out.
      const available = inStock.filter((c) => this.withinBudget(price, c.label));
      if (available.length === 0)
        return back(`Every ${what} of “${title}” takes it over my $${this.plan.maxPrice} limit`);
      const cheapest = available.filter((c) => !/\+\s?\$/.test(c.label));
      const pool = s.price_sensitivity > 0.5 && cheapest.length > 0 ? cheapest : available;
      const pick = pool[Math.floor(this.random() * pool.length)] as Control;
      const note =
        pool === cheapest
          ? " (no surcharge)"
          : available.length < inStock.length
            ? ` (the others take it over my $${this.plan.maxPrice} limit)`
            : "";
      return this.act(
        `The product needs a ${what} and the goal does not say which; I pick “${optionValue(pick.label)}”${note}.`,
        { type: "click", name: pick.name },
      );
    }
    for (const list of lists) {
      // A list still on its prompt ("Select a size") needs a choice; one showing a value has one.
      const shown = list.options.find((o) => o.selected) ?? list.options[0];
      if (shown && shown.value !== "" && !/^(select|choose|pick)\b/i.test(shown.label)) continue;
      const offered = list.options.filter(
        (o) => o.value !== "" && !o.disabled && !/^(select|choose|pick)\b/i.test(o.label),
      );
      if (offered.length === 0) continue;
      const available = offered.filter((o) => this.withinBudget(price, o.label));
      if (available.length === 0)
        return back(
          `Every ${lastWords(list.name)} of “${title}” takes it over my $${this.plan.maxPrice} limit`,
        );
      const pick = available[Math.floor(this.random() * available.length)]!;
      const note =
        available.length < offered.length ? ` (the others take it over my $${this.plan.maxPrice} limit)` : "";
      return this.act(
        `The product needs a ${lastWords(list.name)} and the goal does not say which; I choose “${optionValue(pick.label)}”${note}.`,
        { type: "select", name: list.name, value: pick.value },
      );
    }
    const priceText = price !== null ? ` at $${price.toFixed(2)}` : "";
    const evidence =
      found.length > 0
        ? `; it has ${found.join(", ")}`
        : this.chosen === title
          ? `, the best of the ${this.compared.length} I compared`
          : "";
    if (buyNow && (s.impulsiveness > 0.6 || !addToCart)) {
      return this.act(
        `“${title}”${priceText} is what I want${evidence}; ${addToCart ? "I buy it now" : "this shop sells it with “Buy Now”, so I buy it"}.`,
        { type: "click", name: buyNow.name },
      );
    }
    if (!addToCart) return this.giveUp(`I cannot find how to buy “${title}”`);
    return this.act(`“${title}”${priceText} is what I want${evidence}; I add it to the cart.`, {
      type: "click",
      name: addToCart.name,
    });
  }

  /**
   * Why a product is not what a browsing intent is about, or null when it is. A title says little
   * about a department ("beauty personal care"); where the shop files the product says more, when
   * the page shows it.
   */
  private offTopic(page: PageModel, title: string, similarity: number): string | null {
    const filedUnder = ` ${folded(page.breadcrumb)} `;
    const filed = (phrase: string) =>
      page.breadcrumb !== "" &&
      folded(phrase.replace(/&/g, " "))
        .split(" ")
        .every((w) => filedUnder.includes(` ${w} `));
    const where = page.breadcrumb ? `; it is filed under ${page.breadcrumb}` : "";
    if (this.inDepartment !== null) {
      // Opened from a department's listing: on topic unless the shop files it elsewhere.
      if (page.breadcrumb === "" || filed(this.inDepartment)) return null;
      return `“${title}” is not in ${this.inDepartment}, where I am looking${where}`;
    }
    if (this.plan.kinds.length > 0) {
      // Of a named kind, or filed under a kind that the shop's menu has as a department.
      const departments = this.plan.kinds.filter(
        (k) => this.departmentKinds.has(menuWords(k)) || this.departmentLink(page, k) !== undefined,
      );
      if (similarity >= 0.5 || departments.some(filed)) return null;
      return `“${title}” is not ${this.plan.kinds.length > 1 ? "one of the things" : "what"} I came for (${this.plan.kinds.join(", ")})${where}`;
    }
    if (similarity >= 0.5 || filed(this.plan.want)) return null;
    return `“${title}” is not what I came to look at (${this.plan.want}${where})`;
  }

  /** A window-shopper notes the product and goes back for another, until it has compared enough. */
  private windowShop(seen: Seen): Decision {
    if (!this.compared.some((c) => c.title === seen.title)) this.compared.push(seen);
    if (this.compared.length >= this.limits.compare || this.opened.length >= this.limits.products)
      return this.leaveLooking(null);
    this.rejected.add(seen.title);
    return this.act(
      `${seenText(seen)}: I note it and go back to compare it with others; I am only looking today.`,
      { type: "back" },
    );
  }

  /**
   * A comparing shopper keeps the products that stand out as contenders and looks at a few before
   * choosing: undefined when this product is the one to buy now.
   */
  private compare(seen: Seen, standsOut: boolean): Decision | undefined {
    if (!this.compared.some((c) => c.title === seen.title)) this.compared.push(seen);
    if (standsOut && !this.contenders.some((c) => c.title === seen.title)) this.contenders.push(seen);
    const enough = this.compared.length >= this.limits.compare || this.opened.length >= this.limits.products;
    const best = enough ? this.best() : undefined;
    if (best?.title === seen.title) {
      this.chosen = seen.title;
      return undefined;
    }
    if (!standsOut) this.rejected.add(seen.title);
    if (best) {
      this.chosen = best.title;
      return this.act(
        `Of the ${this.compared.length} products I compared, I like ${seenText(best)} best, so I go back to it.`,
        { type: "back" },
      );
    }
    if (!standsOut) {
      if (this.opened.length >= this.limits.products)
        return this.giveUp(`“${seen.title}” does not stand out either (rated ${seen.rating ?? "by no one"})`);
      return this.act(`${seenText(seen)} does not stand out, so I go back to compare others.`, {
        type: "back",
      });
    }
    return this.act(`${seenText(seen)} is a contender; I go back to compare it with others.`, {
      type: "back",
    });
  }

  /** Whether an option's surcharge ("Deluxe (+$13.00)") keeps the price within my limit. */
  private withinBudget(price: number | null, label: string): boolean {
    const surcharge = /\+\s?\$\s?(\d+(?:\.\d+)?)/.exec(label.replace(/,/g, ""));
    if (!surcharge || price === null || this.plan.maxPrice === null) return true;
    return price + Number(surcharge[1]) <= this.plan.maxPrice;
  }

  private cartSummary(page: PageModel): string {
    const m = /(subtotal|estimated total|order total|total)[^$]{0,40}\$\s?[\d,.]+/i.exec(page.text);
    return m ? m[0].replace(/([a-z])\$/i, "$1 $") : "the item";
  }

  // --- checkout --------------------------------------------------------------------------------

  private isCheckout(page: PageModel): boolean {
    const fieldNames = page.controls.filter(isField).map((c) => c.name.toLowerCase());
    const hits = CHECKOUT_FIELDS.filter(
      (f) => f.address && fieldNames.some((n) => f.rx.test(lastWords(n)) && !f.not?.test(lastWords(n))),
    ).length;
    if (hits >= 3) return true;
    if (page.controls.some((c) => RX.addToCart.test(c.label))) return false;
    if (page.controls.some((c) => RX.placeOrder.test(c.label))) return true;
    // A later step of a multi-step checkout (delivery method, payment): no address fields, but a
    // checkout page with a way to continue, or delivery choices.
    const inCheckout = /check ?out/i.test(`${page.title} ${page.headings.join(" ")}`);
    const delivery = page.controls.some(
      (c) => (c.type === "radio" || c.role === "radio") && /ship|deliver/i.test(`${c.name} ${c.label}`),
    );
    const next = page.controls.some(
      (c) => !c.disabled && (c.tag === "button" || c.type === "submit") && RX.continue.test(c.label),
    );
    return inCheckout && (next || delivery);
  }

  private checkout(page: PageModel): Decision {
    if (this.paymentSent) {
      // Quoted from the page's alert when it has one, else just the words that say so.
      const said =
        page.alerts.flatMap((a) => a.split(/(?<=[.!])\s+/)).find((sentence) => RX.declined.test(sentence)) ??
        RX.declined.exec(page.text)?.[0];
      if (said) {
        return this.act(`The shop did not take my card (“${said}”), so I leave without buying.`, {
          type: "terminate",
        });
      }
    }
    const asksForCard = page.controls.some(
      (c) => ["input", "select"].includes(c.tag) && CARD_NUMBER.test(lastWords(c.name.toLowerCase())),
    );
    for (const field of CHECKOUT_FIELDS) {
      const control = page.controls.find((c) => {
        if (!isField(c) || c.disabled) return false;
        const words = lastWords(c.name.toLowerCase());
        return field.rx.test(words) && !field.not?.test(words);
      });
      const want = field.value(this.persona);
      if (!control || want === undefined || want === "") continue;
      if (control.tag === "select") {
        if (this.typed.has(`${page.url}#${control.name}`)) continue;
        // A shopper knows their state both by its code and by its name, whichever the list shows.
        const spelled = [
          want,
          field.words === "state" ? US_STATES[want as keyof typeof US_STATES] : undefined,
        ]
          .filter((w): w is string => Boolean(w))
          .map((w) => w.toLowerCase());
        const option = control.options.find(
          (o) =>
            o.value === want ||
            spelled.includes(o.label.trim().toLowerCase()) ||
            (field.words === "country" && UNITED_STATES.test(o.label.trim())),
        );
        if (option && !option.selected) {
          return this.act(`The checkout asks for my ${field.words}; I choose ${option.label}.`, {
            type: "select",
            name: control.name,
            value: option.value,
          });
        }
        continue;
      }
      const key = `${page.url}#${control.name}`;
      // A field already typed into (by me, or earlier in a session I took over) is left alone.
      if (control.value === want || this.typed.has(key)) continue;
      this.typed.set(key, want);
      return this.act(`The checkout asks for my ${field.words}; I type it.`, {
        type: "type",
        name: control.name,
        text: want,
      });
    }
    const terms = page.controls.find(
      (c) =>
        (c.type === "checkbox" || c.role === "checkbox") &&
        !c.checked &&
        !c.disabled &&
        RX.terms.test(`${c.label} ${lastWords(c.name)}`) &&
        !RX.optIn.test(`${c.label} ${lastWords(c.name)}`),
    );
    if (terms) {
      return this.act(
        "The checkout asks me to agree to its terms before it takes the order; I tick the box.",
        {
          type: "click",
          name: terms.name,
        },
      );
    }
    const radios = page.controls.filter(
      (c) => (c.type === "radio" || c.role === "radio") && /ship|deliver/i.test(`${c.name} ${c.label}`),
    );
    if (radios.length > 0 && !this.shippingChosen) {
      this.shippingChosen = true;
      const s = this.persona.style;
      const byPrice = [...radios].sort(
        (a, b) =>
          (priceIn(a.label) ?? (/free/i.test(a.label) ? 0 : 99)) -
          (priceIn(b.label) ?? (/free/i.test(b.label) ? 0 : 99)),
      );
      const fastest = radios.find((c) => /next.?day|overnight|express|expedited/i.test(c.label));
      const pick = s.patience < 0.3 && s.price_sensitivity < 0.5 && fastest ? fastest : byPrice[0]!;
      if (!pick.checked) {
        return this.act(
          pick === fastest
            ? `I do not want to wait, so I pick ${pick.label}.`
            : `I pick the cheapest delivery: ${pick.label}.`,
          { type: "click", name: pick.name },
        );
      }
    }
    const place = page.controls.find((c) => !c.disabled && RX.placeOrder.test(c.label));
    const next = page.controls.find(
      (c) => !c.disabled && (c.tag === "button" || c.type === "submit") && RX.continue.test(c.label),
    );
    if ((place || next) && asksForCard) this.paymentSent = true;
    if (place)
      return this.act(
        asksForCard
          ? `My card details are filled in, so I pay (“${place.label}”).`
          : "My address and delivery are filled in, so I place the order.",
        { type: "click", name: place.name },
      );
    if (next)
      return this.act(`The form is filled in; I continue (“${next.label}”).`, {
        type: "click",
        name: next.name,
      });
    return this.giveUp("I cannot find how to finish the checkout");
  }
}

/** A control one types or chooses an answer in: not a checkbox ("Email me with news"), radio or button. */
function isField(c: Control): boolean {
  if (c.tag === "select" || c.tag === "textarea") return true;
  return c.tag === "input" && !/^(checkbox|radio|submit|button|reset|image|file|hidden)$/.test(c.type);
}

/** “Title” ($12.99, rated 4.5). */
function seenText(seen: Seen): string {
  const facts = [
    seen.price !== null ? `$${seen.price.toFixed(2)}` : null,
    seen.rating !== null ? `rated ${seen.rating}` : "unrated",
  ].filter(Boolean);
  return `“${seen.title}” (${facts.join(", ")})`;
}

/** A menu label or phrase as words, for telling whether they name the same department. */
function menuWords(text: string): string {
  return folded(text.replace(/&|\band\b/gi, " "));
}

/** A label long enough to be a product's title, not a code or "View". */
function wordy(text: string): boolean {
  return text.split(/\s+/).length >= 3;
}

/** "White (+$5.00)" → "White"; "Red — out of stock" → "Red". */
function optionValue(label: string): string {
  return label
    .replace(/\s*\(\+?\$[^)]*\)\s*$/, "")
    .replace(/\s*—.*$/, "")
    .replace(/\s+-\s+(sold out|unavailable|out of stock)$/i, "")
    .trim();
}

function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/** Lowercase words with plurals folded, for comparing titles. */
function folded(text: string): string {
  return normalize(text).split(" ").map(stem).join(" ");
}

/** A page's distinct words, stemmed. */
function wordsOf(text: string): string[] {
  return [...new Set(normalize(text).split(" ").filter(Boolean).map(stem))];
}

/** Crude plural folding, enough to match "bags" with "bag". */
function stem(word: string): string {
  return word.length > 3 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word;
}

/** Names of the interactive elements of a stored simplified page (the `name` attributes). */
function namesOf(html: string): string[] {
  return [...html.matchAll(/\sname="([^"]+)"/g)].map((m) => m[1] as string);
}

function lastWords(name: string): string {
  return (name.split(".").at(-1) ?? name).replace(/_/g, " ");
}
