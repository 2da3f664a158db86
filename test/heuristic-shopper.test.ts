import { describe, expect, it } from "vitest";
import { loadYamlFile } from "../src/config/files.ts";
import type { Action } from "../src/contracts/action.ts";
import {
  type Persona,
  PersonaFileSchema,
  type Scenario,
  TEST_CARD,
  US_STATES,
} from "../src/contracts/scenario.ts";
import { HeuristicShopper } from "../src/policy/heuristic/shopper.ts";
import type { Decision, Observation } from "../src/policy/types.ts";
import { simplify } from "../src/simplify/index.ts";
import { ROOT } from "./helpers/datasets.ts";

/**
 * The heuristic shopper on hand-written pages of a shop it has never seen, one decision at a time:
 * it reads only the observation, like any policy.
 */
const { personas } = await loadYamlFile(`${ROOT}/personas/default.yaml`, PersonaFileSchema);
const persona: Persona = personas[0]!;

/** A scenario starting at the home page, for a goal written as in a scenario file. */
function scenarioFor(id: string, goal: { instruction: string; target?: object }): Scenario {
  return {
    id,
    kind: goal.target ? "targeted" : "browse",
    goal,
    start: "/",
    max_steps: 30,
  } as unknown as Scenario;
}

const scenario = scenarioFor("headphones-large", {
  instruction: "Find wireless headphones in size large under $100.",
  target: {
    product_type: "headphones",
    attributes: ["wireless"],
    options: { size: "large" },
    max_price: 100,
  },
});

function observe(url: string, body: string): Observation {
  const page = simplify(`<html><head><title>Shop</title></head><body>${body}</body></html>`, url);
  return { url, title: page.title, html: page.html, names: Object.keys(page.elements) };
}

/** A product page whose price depends on the size chosen; `chosen` is the size in the URL. */
function productPage(chosen: "small" | "large" | null): Observation {
  const price = chosen === "large" ? "$129.00" : chosen === "small" ? "$79.00" : "$79.00 – $129.00";
  const radio = (size: string) =>
    `<a role="radio" aria-checked="${chosen === size}" href="/p/1?size=${size}">${size}</a>`;
  return observe(
    `https://shop.test/p/1${chosen ? `?size=${chosen}` : ""}`,
    `<main><h1>Acme Wireless Headphones</h1><p>Price: ${price}</p><p>Wireless, 30 hours of battery.</p>
     <div role="radiogroup" aria-label="size">${radio("small")}${radio("large")}</div>
     <form><button>Add to cart</button></form></main>`,
  );
}

async function decide(shopper: HeuristicShopper, observation: Observation): Promise<Decision> {
  return shopper.decide({
    persona,
    scenario,
    history: [],
    observation,
    signal: new AbortController().signal,
  });
}

describe("heuristic shopper", () => {
  it("chooses the wanted option, rejects the product when that option is over budget, and does not come back to it", async () => {
    const shopper = new HeuristicShopper(persona, scenario, 1);
    const first = await decide(shopper, productPage(null));
    expect(first.action).toMatchObject({ type: "click" });
    expect((first.action as Action & { name: string }).name).toMatch(/large$/);
    expect(first.rationale).toMatch(/size “large”/);

    const second = await decide(shopper, productPage("large"));
    expect(second.action).toEqual({ type: "back" });
    expect(second.rationale).toMatch(/\$129\.00, over my \$100 limit/);

    // Back lands on the same product before the choice: the shopper keeps going back rather than
    // choosing the size again, which would bounce between the two pages until a step limit.
    const third = await decide(shopper, productPage(null));
    expect(third.action).toEqual({ type: "back" });
    expect(third.rationale).toMatch(/already ruled out “Acme Wireless Headphones”/);
  });

  it("does not choose an option whose surcharge takes the price over its limit", async () => {
    const shopper = new HeuristicShopper(
      { ...persona, style: { ...persona.style, price_sensitivity: 0 } },
      scenario,
      1,
    );
    const page = (colors: string[]) =>
      observe(
        "https://shop.test/p/1?size=large",
        `<main><h1>Acme Wireless Headphones</h1><p>Price: $79.00</p><p>Wireless, 30 hours of battery.</p>
         <div role="radiogroup" aria-label="size"><a role="radio" aria-checked="true" href="/p/1?size=large">large</a></div>
         <div role="radiogroup" aria-label="color">${colors.map((c) => `<a role="radio" aria-checked="false" href="/p/1?c=${c}">${c}</a>`).join("")}</div>
         <form><button>Add to cart</button></form></main>`,
      );
    const pick = await decide(shopper, page(["Gold (+$40.00)", "Black", "Silver (+$25.00)"]));
    expect(pick.rationale).toBe(
      "The product needs a color and the goal does not say which; I pick “Black” (the others take it over my $100 limit).",
    );
    const none = await decide(
      new HeuristicShopper({ ...persona, style: { ...persona.style, price_sensitivity: 0 } }, scenario, 1),
      page(["Gold (+$40.00)", "Rose (+$30.00)"]),
    );
    expect(none.action).toEqual({ type: "back" });
    expect(none.rationale).toBe(
      "Every color of “Acme Wireless Headphones” takes it over my $100 limit, so I go back to the results.",
    );
  });

  it("chooses its state in a drop-down list that shows state names or codes", async () => {
    const a = persona.shipping_address;
    const field = (label: string, value: string | undefined) =>
      `<label>${label} <input name="${label.toLowerCase().replace(/ /g, "_")}" value="${value ?? ""}"></label>`;
    const checkout = (
      option: (code: string, name: string) => string,
      tag = (code: string, name: string) => `<option value="${code}">${option(code, name)}</option>`,
    ) =>
      observe(
        "https://shop.test/checkout",
        `<main><h1>Checkout</h1><form>${field("Full name", a.full_name)}${field("Email", a.email)}
         ${field("Street address", a.address1)}${field("City", a.city)}
         <label>State <select name="region"><option value="">Choose…</option>${Object.entries(US_STATES)
           .map(([code, name]) => tag(code, name))
           .join("")}</select></label>${field("ZIP code", a.zip)}<button>Place order</button></form></main>`,
      );
    const byName = checkout((_, name) => name);
    // The observation shows the names only: the codes are the shop's business.
    expect(byName.html).not.toContain(`value="${a.state}"`);
    const named = await decide(new HeuristicShopper(persona, scenario, 1), byName);
    expect(named.action).toEqual({ type: "select", name: "state", value: US_STATES[a.state] });
    expect(named.rationale).toContain(`I choose ${US_STATES[a.state]}`);

    const coded = await decide(
      new HeuristicShopper(persona, scenario, 1),
      checkout((code) => code),
    );
    expect(coded.action).toEqual({ type: "select", name: "state", value: a.state });

    // Options named by a label attribute, with no text: shown and chosen by that label.
    const labelled = checkout(
      () => "",
      (code, name) => `<option value="${code}" label="${name}"></option>`,
    );
    expect(labelled.html).toContain(`<option label="${US_STATES[a.state]}"></option>`);
    const viaLabel = await decide(new HeuristicShopper(persona, scenario, 1), labelled);
    expect(viaLabel.action).toEqual({ type: "select", name: "state", value: US_STATES[a.state] });
  });

  describe("on a shop laid out like WebShop", () => {
    const table = scenarioFor("oak-table", {
      instruction: "Find me an oak console table with a steel frame under $200.",
      target: {
        product_type: "console table",
        attributes: ["steel frame"],
        options: {},
        max_price: 200,
      },
    });
    const card = (asin: string, title: string, price: string) =>
      `<div class="list-group-item"><a href="/item/${asin}"><h4>${asin}</h4></a><h4>${title}</h4><h5>${price}</h5></div>`;
    const results = (cards: string, next = true) =>
      observe(
        "https://shop.test/search?q=oak",
        `<form class="d-inline"><button>Back to Search</button></form><h3>Page 1 (Total results: 30)</h3>
         ${next ? '<form class="d-inline"><button>Next &gt;</button></form>' : ""}<div class="row">${cards}</div>`,
      );
    const item = (details = true) =>
      observe(
        "https://shop.test/item/B02",
        `<form><button>Back to Search</button></form><h2>Oak Console Table for Entryway</h2><h4>Price: $149.00</h4>
         <form method="post"><button>Buy Now</button></form>
         ${details ? "<form><button>Description</button></form><form><button>Features</button></form>" : ""}`,
      );
    const shopper = (readingDepth: number) =>
      new HeuristicShopper(
        { ...persona, style: { ...persona.style, reading_depth: readingDepth } },
        table,
        3,
      );

    it("opens the product whose card title fits, though its link reads only a code", async () => {
      const d = await decide(
        shopper(0.5),
        results(
          card("B01", "Velvet Armchair for Bedrooms", "$90.00") +
            card("B02", "Oak Console Table for Entryway", "$149.00"),
        ),
      );
      expect(d.action).toEqual({ type: "click", name: "b02" });
      expect(d.rationale).toMatch(/^“Oak Console Table for Entryway” matches \d+% .*costs \$149\.00/);
    });

    it("pages on with a 'Next >' button, and goes back to the search page to search again", async () => {
      const s = shopper(0.5);
      const misses =
        card("B01", "Velvet Armchair for Bedrooms", "$90.00") + card("B03", "Wool Rug, Large", "$30.00");
      const next = await decide(s, results(misses));
      expect(next.action).toEqual({ type: "click", name: "next" });
      const again = await decide(s, results(misses, false));
      expect(again.action).toEqual({ type: "click", name: "back_to_search" });
      expect(again.rationale).toMatch(/go(ing)? back to the search page/);
    });

    it("reads the features page before ruling out a product whose page does not say enough", async () => {
      const careful = shopper(1);
      const open = await decide(careful, item());
      expect(open.action).toEqual({ type: "click", name: "description" });
      expect(open.rationale).toContain("does not say here whether it has steel frame");
      const back = await decide(
        careful,
        observe(
          "https://shop.test/item/B02/description",
          "<p>Solid oak top on a powder-coated steel frame.</p>",
        ),
      );
      expect(back.action).toEqual({ type: "back" });
      // Back on the product: what the description said counts, and a shop with no cart is bought from directly.
      const buy = await decide(careful, item());
      expect(buy.action).toEqual({ type: "click", name: "buy_now" });
      expect(buy.rationale).toMatch(/it has steel frame; this shop sells it with “Buy Now”/);

      // A hasty reader judges by the product page alone.
      const hasty = await decide(shopper(0), item());
      expect(hasty.action).toEqual({ type: "back" });
      expect(hasty.rationale).toContain("does not mention steel frame");
    });

    it("does not count an empty description against what it will read, and opens the features next", async () => {
      // A reader who reads one page beyond the product's: the description tab is empty (many
      // WebShop products have none), so the features tab is that page.
      const s = shopper(0.5);
      expect((await decide(s, item())).action).toEqual({ type: "click", name: "description" });
      const emptyTab = `<form><button>Back to Search</button></form><h2>Oak Console Table for Entryway</h2>
        <h4>Price: $149.00</h4><form><button>&lt; Prev</button></form><h3>Description</h3>`;
      const back = await decide(s, observe("https://shop.test/item/B02/description", emptyTab));
      expect(back.action).toEqual({ type: "back" });
      expect(back.rationale).toBe(
        "The description of “Oak Console Table for Entryway” says nothing the product page did not; I go back to the product.",
      );
      const features = await decide(s, item());
      expect(features.action).toEqual({ type: "click", name: "features" });
      await decide(
        s,
        observe(
          "https://shop.test/item/B02/features",
          "<ul><li>Sturdy steel frame holds 150 lbs</li><li>Rustic oak veneer top</li></ul>",
        ),
      );
      expect((await decide(s, item())).action).toEqual({ type: "click", name: "buy_now" });

      // A description with something in it is the one page this reader reads.
      const t = shopper(0.5);
      await decide(t, item());
      await decide(
        t,
        observe(
          "https://shop.test/item/B02/description",
          "<p>A console table for narrow hallways and entryways.</p>",
        ),
      );
      const judged = await decide(t, item());
      expect(judged.action).toEqual({ type: "back" });
      expect(judged.rationale).toContain("does not mention steel frame");
    });
  });

  describe("on a results page", () => {
    const ottomans = scenarioFor("ottoman", {
      instruction: "Find me ottomans with faux leather.",
      target: { product_type: "ottomans", attributes: ["faux leather"], options: {} },
    });
    const list = (titles: string[]) =>
      observe(
        "https://shop.test/search?q=ottomans",
        `<main><ul>${titles.map((t, i) => `<li><a href="/p/${i}">${t}</a> $40.00</li>`).join("")}</ul></main>`,
      );
    const titles = [
      "Velvet Armchair for Bedrooms",
      "Ottoman Footstool with Storage",
      "Pouf Footrest, Knitted",
    ];
    const shopper = (patience: number) =>
      new HeuristicShopper(
        { ...persona, style: { ...persona.style, patience, exploration: 0, impulsiveness: 0 } },
        ottomans,
        5,
      );

    it("compares titles with plurals folded: an “Ottoman Footstool” is one of the ottomans wanted", async () => {
      const d = await decide(shopper(0.5), list(titles));
      expect(d.action).toEqual({ type: "click", name: "ottoman_footstool_with_storage" });
      // The title says nothing of faux leather: it is the kind of product that matches, and the
      // rationale says so rather than claiming all of what is wanted.
      expect(d.rationale).toMatch(
        /^“Ottoman Footstool with Storage” matches 100% of “ottomans”, the kind of product I want, costs \$40\.00/,
      );
    });

    it("opens the one result of a search that found one, but takes no lone link elsewhere for a result", async () => {
      const one = (region: string, heading: string) =>
        observe(
          "https://shop.test/search?q=ottomans",
          `<header><form role="search"><input name="q" aria-label="Search"><button>Search</button></form></header>
           <main><h1>${heading}</h1><section aria-label="${region}"><ul><li><a href="/p/1">Ottoman Footstool with Storage</a> $40.00</li></ul></section></main>`,
        );
      for (const page of [one("Search results", "Ottomans"), one("Featured", "1 result for “ottomans”")]) {
        const s = shopper(0.5);
        await decide(s, page); // the first look at any page with a search box is a search
        const d = await decide(s, page);
        expect(d.action).toEqual({
          type: "click",
          name: expect.stringMatching(/ottoman_footstool_with_storage$/),
        });
      }
      const s = shopper(0.5);
      await decide(s, one("Featured", "Our picks"));
      expect((await decide(s, one("Featured", "Our picks"))).action).toMatchObject({
        type: "type_and_submit",
      });
    });

    it("leaves once it has opened as many products as its patience allows, and says so", async () => {
      // Patience 0 opens two products. Neither says "faux leather", so each is left again.
      const s = shopper(0);
      const more = [
        "Ottoman Footstool with Storage",
        "Round Ottoman, Tufted",
        "Storage Ottoman Bench, Linen",
      ];
      for (const title of more.slice(0, 2)) {
        const open = await decide(s, list(more));
        expect(open.rationale).toMatch(new RegExp(`^“${title}” matches`));
        const product = observe(
          "https://shop.test/p/x",
          `<main><h1>${title}</h1><p>$40.00</p><p>Linen cover.</p><form><button>Add to cart</button></form></main>`,
        );
        expect((await decide(s, product)).action).toEqual({ type: "back" });
      }
      const leave = await decide(s, list(more));
      expect(leave.action).toEqual({ type: "terminate" });
      expect(leave.rationale).toBe(
        "I have looked at 2 products, as many as I have patience for, and none had everything I want; “Storage Ottoman Bench, Linen” here might, but I leave without buying.",
      );
    });
  });

  it("browsing a department, judges a product by where the shop files it, not by its title alone", async () => {
    const browse = scenarioFor("browse-beauty", {
      instruction: "Browse beauty & personal care and buy something if it stands out.",
    });
    const shopper = () =>
      new HeuristicShopper({ ...persona, style: { ...persona.style, impulsiveness: 1 } }, browse, 2);
    const product = (title: string, crumbs: string[]) =>
      observe(
        "https://shop.test/p/1",
        `<header><nav aria-label="Categories"><a href="/c/beauty">Beauty &amp; Personal Care</a><a href="/c/pets">Pet Supplies</a></nav></header>
         <main><nav aria-label="Breadcrumb"><ol>${crumbs.map((c) => `<li><a href="/c">${c}</a></li>`).join("")}</ol></nav>
         <h1>${title}</h1><p>4.8 out of 5 stars</p><p>$22.00</p><form><button>Add to cart</button></form></main>`,
      );
    const sunscreen = await decide(
      shopper(),
      product("Mineral Sunscreen Lotion, Water Resistant", ["Beauty & Personal Care", "Sun Care"]),
    );
    expect(sunscreen.action).toEqual({ type: "click", name: "add_to_cart" });
    // The department's name is in the site's menu on every page; only the breadcrumb counts.
    const chewToy = await decide(
      shopper(),
      product("Durable Dog Chew Toy - Dental Care", ["Pet Supplies", "Dogs", "Toys"]),
    );
    expect(chewToy.action).toEqual({ type: "back" });
    expect(chewToy.rationale).toContain("it is filed under Pet Supplies › Dogs › Toys");
  });

  describe("with nothing in particular in mind", () => {
    const bargain = scenarioFor("browse-bargain", {
      instruction:
        "You don't need anything in particular today. Browse around and buy something only if it is a real bargain with at least 4 stars.",
    });
    const shopper = () =>
      new HeuristicShopper(
        { ...persona, style: { ...persona.style, impulsiveness: 1, patience: 0.5 } },
        bargain,
        4,
      );
    const menu = `<nav aria-label="Categories"><ul><li><a href="/c/kitchen">Home &amp; Kitchen</a></li><li><a href="/c/toys">Toys &amp; Games</a></li></ul></nav>`;
    const header = `<header><form role="search"><input name="q" aria-label="Search"><button>Search</button></form><a href="/cart">Cart</a></header>${menu}`;

    it("does not search for words of its instruction; it looks at what the shop shows, and around its departments", async () => {
      const s = shopper();
      const home = observe(
        "https://shop.test/",
        `${header}<main><h2>Featured products</h2><ul>
          <li><a href="/p/1">Steel Frying Pan, 10 inch</a> 3.9 out of 5 stars $25.00</li>
          <li><a href="/p/2">Bamboo Cutting Board Set</a> 4.8 out of 5 stars $19.00</li></ul></main>`,
      );
      const open = await decide(s, home);
      expect(open.action).toEqual({ type: "click", name: "bamboo_cutting_board_set" });
      expect(open.rationale).toBe("“Bamboo Cutting Board Set” costs $19.00, is rated 4.8, so I open it.");
      const product = (title: string, rating: string) =>
        observe(
          "https://shop.test/p/2",
          `${header}<main><h1>${title}</h1><p>${rating} out of 5 stars</p><p>$19.00</p><form><button>Add to cart</button></form></main>`,
        );
      expect((await decide(s, product("Bamboo Cutting Board Set", "4.8"))).action).toEqual({
        type: "click",
        name: "add_to_cart",
      });
      // Below the goal's 4 stars nothing stands out, however impulsive the shopper.
      expect((await decide(shopper(), product("Steel Frying Pan, 10 inch", "3.9"))).action).toEqual({
        type: "back",
      });

      // A home page with a "Shop all" button and no menu: the button is where to look.
      const banner = observe(
        "https://shop.test/",
        `<header><a href="/cart">Cart</a></header><main><h2>New season</h2><a href="/collections/all">Shop all</a></main>`,
      );
      const all = await decide(shopper(), banner);
      expect(all.action).toEqual({ type: "click", name: "shop_all" });
      const bare = await decide(
        shopper(),
        observe("https://shop.test/", `<header><a href="/cart">Cart</a></header>`),
      );
      expect(bare.action).toEqual({ type: "terminate" });
      expect(bare.rationale).toMatch(/the shop shows no departments to look around in/);

      const empty = observe("https://shop.test/", `${header}<main><h1>Welcome</h1></main>`);
      const around = await decide(shopper(), empty);
      expect(around.action).toMatchObject({ type: "click", name: expect.stringMatching(/^categories\./) });
      expect(around.rationale).toMatch(
        /I have nothing in particular in mind, so I look around “(Home & Kitchen|Toys & Games)”\.$/,
      );
    });
  });

  it("holds a product request to the star rating it asks for", async () => {
    const rated = scenarioFor("blender", {
      instruction: "Find me a blender with at least 4.5 stars.",
      target: { product_type: "blender", attributes: [], options: {} },
    });
    const page = (rating: string) =>
      observe(
        "https://shop.test/p/9",
        `<main><h1>Countertop Blender, 1200 W</h1><p>${rating} out of 5 stars</p><p>$59.00</p><form><button>Add to cart</button></form></main>`,
      );
    const low = await decide(new HeuristicShopper(persona, rated, 1), page("4.2"));
    expect(low.action).toEqual({ type: "back" });
    expect(low.rationale).toContain("is rated 4.2, below the 4.5 stars I want");
    expect((await decide(new HeuristicShopper(persona, rated, 1), page("4.6"))).action).toEqual({
      type: "click",
      name: "add_to_cart",
    });
  });

  it("loads more results with a 'Show more' button when the shop has no next page", async () => {
    const results = observe(
      "https://shop.test/search?q=headphones",
      `<main><ul>${["Plain Ceramic Mug", "Garden Hose 50 ft", "Leather Wallet Slim"]
        .map((t, i) => `<li><a href="/p/${i}">${t}</a> $12.00</li>`)
        .join("")}</ul><button>Show more products</button></main>`,
    );
    const d = await decide(new HeuristicShopper(persona, scenario, 1), results);
    expect(d.action).toEqual({ type: "click", name: "show_more_products" });
    expect(d.rationale).toMatch(
      /^None of the 3 results so far fits \(.*\), so I load more \(“Show more products”\)\.$/,
    );
  });

  describe("pop-ups", () => {
    const home = `<header><form role="search"><input type="search" name="q" aria-label="Search"><button>Search</button></form></header>
      <main><h2>Featured</h2><ul><li><a href="/products/x">Acme Wireless Headphones Large</a> $59.00</li></ul></main>`;

    it("closes a sign-up pop-up before it shops, and then searches", async () => {
      const popup = observe(
        "https://shop.test/",
        `${home}<div role="dialog" aria-label="POPUP Form"><h2>Get 10% off your first order</h2><form><input type="email" name="email" placeholder="Email">
         <button>Unlock 10% off</button></form><button aria-label="Close dialog">×</button><button>No, thanks</button></div>`,
      );
      const shopper = new HeuristicShopper(persona, scenario, 1);
      const first = await decide(shopper, popup);
      expect(first.action).toEqual({ type: "click", name: "popup_form.close_dialog" });
      expect(first.rationale).toBe(
        "A pop-up (“POPUP Form”) covers the page; I close it (“×”) and go on shopping.",
      );
      const next = await decide(shopper, observe("https://shop.test/", home));
      expect(next.action?.type).toBe("type_and_submit");
    });

    it("uses a dialog that is part of shopping instead of closing it", async () => {
      // A cart drawer: its "Continue shopping" is not the way on; checking out is.
      const drawer = observe(
        "https://shop.test/products/x",
        `${home}<div role="dialog" aria-label="Item added to your cart"><p>Acme Wireless Headphones Large</p><p>Subtotal $59.00</p>
         <a href="/cart">View cart (1)</a><form action="/checkout"><button>Check out</button></form><button>Continue shopping</button></div>`,
      );
      const d = await decide(new HeuristicShopper(persona, scenario, 1), drawer);
      expect(d.action).toEqual({ type: "click", name: "item_added_to_your_cart.check_out" });
      expect(d.rationale).toBe("My cart holds what I chose (Subtotal $59.00), so I proceed to checkout.");
      // Over the product page it was added from, too: it does not add the product again.
      const product = productPage("large");
      const over = observe(
        product.url,
        `${product.html}<div role="dialog" aria-label="Item added to your cart"><a href="/cart">View cart (1)</a><form action="/checkout"><button>Check out</button></form></div>`,
      );
      expect((await decide(new HeuristicShopper(persona, scenario, 1), over)).action).toEqual({
        type: "click",
        name: "item_added_to_your_cart.check_out",
      });
      // The search dialog a shopper opened is for typing in, not for closing.
      const search = observe(
        "https://shop.test/",
        `<div role="dialog" aria-label="Search"><form role="search"><input type="search" name="q" aria-label="Search"></form><button aria-label="Close">×</button></div>`,
      );
      expect((await decide(new HeuristicShopper(persona, scenario, 1), search)).action?.type).toBe(
        "type_and_submit",
      );
    });
  });

  describe("on a storefront-style shop", () => {
    it("opens a search box kept behind a magnifier icon rather than taking a featured product", async () => {
      const featured = `<main><h2>Featured</h2><ul><li><a href="/products/x">Acme Wireless Headphones Large</a> $59.00</li></ul></main>`;
      // As the browser shows it: a closed disclosure's content is not rendered, so it is not on the page.
      const closed = observe(
        "https://shop.test/",
        `<header><details><summary aria-label="Search"><svg></svg></summary></details><a href="/cart" aria-label="Cart"></a></header>${featured}`,
      );
      const open = observe(
        "https://shop.test/",
        `<header><details open><summary aria-label="Search"><svg></svg></summary><div role="dialog" aria-label="Search">
         <form role="search"><input type="search" name="q" aria-label="Search"><button aria-label="Search"></button></form></div></details></header>${featured}`,
      );
      const shopper = new HeuristicShopper(persona, scenario, 1);
      const first = await decide(shopper, closed);
      expect(first.action).toMatchObject({ type: "click" });
      expect(first.rationale).toMatch(/^I start by opening the search \(“Search”\) to search for “[^”]+”\.$/);
      const name = first.action?.type === "click" ? first.action.name : "";
      expect(closed.names).toContain(name);
      const second = await decide(shopper, open);
      expect(second.action).toMatchObject({ type: "type_and_submit", name: "search.search" });
      // A page with neither a box nor a way to open one: it does not click around looking for one.
      const none = await decide(
        new HeuristicShopper(persona, scenario, 1),
        observe("https://shop.test/", featured),
      );
      expect(none.action).toEqual({ type: "terminate" });
      expect(none.rationale).toMatch(/^I cannot find a search box on this page/);
    });

    it("fills first and last name, country and state, then pays with the test card", async () => {
      const a = persona.shipping_address;
      const info = (stateChosen: boolean) =>
        observe(
          "https://shop.test/checkout",
          `<main><h2>Contact</h2><label for="e">Email</label><input id="e" name="email" value="${a.email}">
         <h2>Shipping address</h2><label for="c">Country/region</label><select id="c" name="country"><option>Canada</option><option selected>Mexico</option><option>United States</option></select>
         <label for="f">First name</label><input id="f" name="first_name"><label for="l">Last name</label><input id="l" name="last_name">
         <label for="p">State</label><select id="p" name="province"><option value="">State</option>${Object.values(
           US_STATES,
         )
           .map((n) => `<option${stateChosen && n === US_STATES[a.state] ? " selected" : ""}>${n}</option>`)
           .join("")}</select>
         <button>Continue to shipping</button></main>`,
        );
      const shopper = new HeuristicShopper(persona, scenario, 1);
      const first = await decide(shopper, info(false));
      expect(first.action).toEqual({
        type: "type",
        name: "first_name",
        text: a.full_name.split(" ")[0],
      });
      const last = await decide(shopper, info(false));
      expect(last.action).toEqual({
        type: "type",
        name: "last_name",
        text: a.full_name.split(" ").slice(1).join(" "),
      });
      const state = await decide(shopper, info(false));
      expect(state.action).toEqual({
        type: "select",
        name: "state",
        value: US_STATES[a.state],
      });
      const country = await decide(shopper, info(true));
      expect(country.action).toEqual({
        type: "select",
        name: "country_region",
        value: "United States",
      });

      const pay = observe(
        "https://shop.test/checkout/payment",
        `<main><h2>Payment</h2><fieldset><legend>Credit card</legend><label for="n">Card number</label><input id="n" name="number">
         <label for="h">Name on card</label><input id="h" name="name"><label for="x">Expiration date (MM / YY)</label><input id="x" name="expiry">
         <label for="v">Security code</label><input id="v" name="cvv"></fieldset><button>Pay now</button></main>`,
      );
      const typed: Record<string, string> = {};
      for (let i = 0; i < 4; i++) {
        const d = await decide(shopper, pay);
        expect(d.action?.type).toBe("type");
        if (d.action?.type === "type") typed[d.action.name] = d.action.text;
      }
      expect(typed).toEqual({
        "credit_card.card_number": TEST_CARD.number,
        "credit_card.name_on_card": a.full_name,
        "credit_card.expiration_date_mm_yy": TEST_CARD.expiry,
        "credit_card.security_code": TEST_CARD.cvc,
      });
      const paying = await decide(shopper, pay);
      expect(paying.action).toEqual({ type: "click", name: "pay_now" });
      expect(paying.rationale).toBe("My card details are filled in, so I pay (“Pay now”).");
    });

    it("checks out as a guest at a sign-in wall, and agrees to the terms but not to marketing", async () => {
      const wall = observe(
        "https://shop.test/checkout/login",
        `<main><h1>Checkout</h1><form><h2>Returning customer</h2><label for="e">Email</label><input id="e" type="email" name="email">
         <label for="p">Password</label><input id="p" type="password" name="password"><button>Sign in</button></form>
         <section><h2>New customer</h2><form><button>Continue as guest</button></form></section></main>`,
      );
      const shopper = new HeuristicShopper(persona, scenario, 1);
      const guest = await decide(shopper, wall);
      expect(guest.action).toEqual({ type: "click", name: "new_customer.continue_as_guest" });
      expect(guest.rationale).toBe(
        "I have no account with this shop, so I check out as a guest (“Continue as guest”).",
      );
      const card = persona.payment_card;
      const pay = (agreed: boolean) =>
        observe(
          "https://shop.test/checkout/payment",
          `<main><h1>Checkout</h1><h2>Payment</h2><label for="n">Card number</label><input id="n" name="number" value="${card.number}">
           <label for="x">Expiry</label><input id="x" name="expiry" value="${card.expiry}"><label for="v">CVC</label><input id="v" name="cvc" value="${card.cvc}">
           <input type="checkbox" id="m" name="marketing"><label for="m">Email me with news and offers</label>
           <input type="checkbox" id="t" name="terms"${agreed ? " checked" : ""}><label for="t">I agree to the Terms of Service</label>
           <button>Pay now</button></main>`,
        );
      const tick = await decide(shopper, pay(false));
      expect(tick.action).toEqual({ type: "click", name: "i_agree_to_the_terms" });
      expect(tick.rationale).toBe(
        "The checkout asks me to agree to its terms before it takes the order; I tick the box.",
      );
      expect((await decide(shopper, pay(true))).action).toEqual({ type: "click", name: "pay_now" });
    });

    it("pays with the persona's own card, and leaves when the shop declines it", async () => {
      const card = { number: "4000 0000 0000 0002", expiry: "09/31", cvc: "4567" };
      const own: Persona = { ...persona, payment_card: card };
      const payment = (error: string) =>
        observe(
          "https://shop.test/checkout/payment",
          `<main><h1>Checkout</h1>${error ? `<div role="alert"><p>${error}</p></div>` : ""}<p>All transactions are secure.</p>
           <label for="n">Card number</label><input id="n" name="number"><label for="x">Expiration date</label><input id="x" name="expiry">
           <label for="v">CVC</label><input id="v" name="cvc"><button>Pay now</button></main>`,
        );
      const shopper = new HeuristicShopper(own, scenario, 1);
      const typed = [];
      for (let i = 0; i < 3; i++) typed.push((await decide(shopper, payment(""))).action);
      expect(typed).toEqual([
        { type: "type", name: "card_number", text: card.number },
        { type: "type", name: "expiration_date", text: card.expiry },
        { type: "type", name: "cvc", text: card.cvc },
      ]);
      expect((await decide(shopper, payment(""))).action).toEqual({ type: "click", name: "pay_now" });
      const declined = await decide(shopper, payment("Your card was declined. Try another payment method."));
      expect(declined.action).toEqual({ type: "terminate" });
      expect(declined.rationale).toBe(
        "The shop did not take my card (“Your card was declined.”), so I leave without buying.",
      );
      // Said outside an alert, the words themselves are quoted.
      const again = new HeuristicShopper(own, scenario, 1);
      for (let i = 0; i < 4; i++) await decide(again, payment(""));
      const page = payment("").html.replace(
        "All transactions are secure.",
        "Payment failed: insufficient funds.",
      );
      expect((await decide(again, { ...payment(""), html: page })).rationale).toBe(
        "The shop did not take my card (“insufficient funds”), so I leave without buying.",
      );
      // Before it paid, a page that talks of declined cards is just a page.
      const fresh = new HeuristicShopper(own, scenario, 1);
      expect((await decide(fresh, payment("Cards may be declined by your bank."))).action?.type).toBe("type");
    });

    it("chooses the wanted option from a drop-down list, and never takes the cart link for a product", async () => {
      const product = observe(
        "https://shop.test/products/acme",
        `<header><a href="/cart" aria-label="Cart, 0 items"></a></header><main><h1>Acme Wireless Headphones</h1><p>$79.00</p><p>Wireless.</p>
         <form><label for="o">Size</label><select id="o" name="options[size]"><option selected>small</option><option>large</option></select>
         <button>Add to cart</button></form></main>`,
      );
      const d = await decide(new HeuristicShopper(persona, scenario, 1), product);
      expect(d.action).toEqual({ type: "select", name: "size", value: "large" });
      expect(d.rationale).toMatch(/the goal wants size “large”, so I choose it/);

      const grid = observe(
        "https://shop.test/search?q=headphones",
        `<header><a href="/cart" aria-label="Cart, 3 items, headphones inside"></a></header><main><ul>
         <li><a href="/products/a"><h3>Acme Wireless Headphones Large</h3></a><div role="img" aria-label="4.5 out of 5 stars"></div><span>$89.00</span></li>
         <li><a href="/products/b"><h3>Zeta Wired Earbuds</h3></a><span>$19.00</span></li></ul></main>`,
      );
      expect(grid.html).toContain('aria-label="4.5 out of 5 stars"');
      const open = await decide(new HeuristicShopper(persona, scenario, 1), grid);
      expect(open.action).toEqual({ type: "click", name: "acme_wireless_headphones_large" });
      expect(open.rationale).toContain("is rated 4.5");
    });
  });

  describe("on an open-ended intent", () => {
    /** A deterministic shopper: never opens the runner-up, price plays no part in its choice. */
    const steady = (instruction: string, style: Partial<Persona["style"]> = {}) =>
      new HeuristicShopper(
        {
          ...persona,
          style: {
            ...persona.style,
            patience: 0.5,
            exploration: 0,
            price_sensitivity: 0,
            impulsiveness: 1,
            ...style,
          },
        },
        scenarioFor("browse", { instruction }),
        3,
      );
    const header = `<header><form role="search"><input name="q" aria-label="Search"><button>Search</button></form>
      <nav aria-label="Departments"><a href="/c/furniture">Furniture</a><a href="/c/pets">Pet Supplies</a></nav></header>`;
    const home = observe("https://shop.test/", `${header}<main><h1>Welcome</h1></main>`);
    const results = (items: [string, number, number][]) =>
      observe(
        "https://shop.test/search?q=x",
        `${header}<main><section aria-label="Results"><ul>${items
          .map(
            ([title, rating, price], k) =>
              `<li><a href="/p/${k}">${title}</a> ${rating} out of 5 stars $${price.toFixed(2)}</li>`,
          )
          .join("")}</ul></section></main>`,
      );
    const product = (title: string, rating: number, price: number) =>
      observe(
        "https://shop.test/p/1",
        `${header}<main><h1>${title}</h1><p>${rating} out of 5 stars</p><p>$${price.toFixed(2)}</p><form><button>Add to cart</button></form></main>`,
      );

    it("judges titles by the kinds of product it names: a dog leash is not a chew toy", async () => {
      const intent =
        "See what the shop has for dogs. If there is a durable chew toy or a comfortable bed with good reviews under $40, buy it.";
      const s = steady(intent);
      const search = await decide(s, home);
      expect(search.action).toEqual({ type: "type_and_submit", name: "search", text: "dog chew toy" });
      const open = await decide(
        s,
        results([
          ["Reflective Dog Leash, Padded Handle", 4.9, 12],
          ["Beef Dog Chew Treats, Grain Free", 4.9, 15],
          ["Rope Dog Chew Toy for Aggressive Chewers", 4.6, 9],
        ]),
      );
      expect(open.action).toEqual({ type: "click", name: "results.rope_dog_chew_toy_for" });
      expect(open.rationale).toBe(
        "“Rope Dog Chew Toy for Aggressive Chewers” matches 100% of “chew toy”, one of the things I came for, costs $9.00, is rated 4.6, so I open it.",
      );
      const leash = await decide(steady(intent), product("Reflective Dog Leash, Padded Handle", 4.9, 12));
      expect(leash.action).toEqual({ type: "back" });
      expect(leash.rationale).toBe(
        "“Reflective Dog Leash, Padded Handle” is not one of the things I came for (chew toy, bed), so I go back to the results.",
      );
      // Chew treats share a word with chew toys, but they are not toys.
      const treats = await decide(steady(intent), product("Beef Dog Chew Treats, Grain Free", 4.9, 15));
      expect(treats.action).toEqual({ type: "back" });
      const bed = await decide(steady(intent), product("Orthopedic Dog Bed, Washable Cover", 4.7, 35));
      expect(bed.action).toEqual({ type: "click", name: "add_to_cart" });
    });

    it("opens a department the shop's menu has instead of searching for it, and takes what it lists as on topic", async () => {
      const s = steady("Browse furniture and buy something if it stands out.");
      const first = await decide(s, home);
      expect(first.action).toEqual({ type: "click", name: "departments.furniture" });
      expect(first.rationale).toBe(
        "I start by opening the shop's “Furniture” department rather than searching, to look around it.",
      );
      const open = await decide(
        s,
        results([
          ["Oak Nightstand, Two Drawers", 4.7, 89],
          ["Linen Accent Chair", 4.2, 140],
        ]),
      );
      expect(open.action).toEqual({ type: "click", name: "results.oak_nightstand_two_drawers" });
      expect(open.rationale).toBe(
        "“Oak Nightstand, Two Drawers” is in “Furniture”, costs $89.00, is rated 4.7, so I open it.",
      );
    });

    it("window-shopping, compares a few and leaves without buying, however good they are", async () => {
      const s = steady(
        "Just window-shopping for headphones today. Compare a few on price, battery life and reviews, and don't buy anything.",
      );
      const seen: [string, number, number][] = [
        ["Acme Over-Ear Headphones", 4.9, 50],
        ["Bolt Wireless Headphones", 4.7, 80],
        ["Crest Studio Headphones", 4.4, 120],
      ];
      const first = await decide(s, product(...seen[0]!));
      expect(first.action).toEqual({ type: "back" });
      expect(first.rationale).toBe(
        "“Acme Over-Ear Headphones” ($50.00, rated 4.9): I note it and go back to compare it with others; I am only looking today.",
      );
      expect((await decide(s, product(...seen[1]!))).action).toEqual({ type: "back" });
      const last = await decide(s, product(...seen[2]!));
      expect(last.action).toEqual({ type: "terminate" });
      expect(last.rationale).toBe(
        "I have compared 3 products, as many as I wanted to: “Acme Over-Ear Headphones” ($50.00, rated 4.9); “Bolt Wireless Headphones” ($80.00, rated 4.7); “Crest Studio Headphones” ($120.00, rated 4.4). I came only to look, so I leave without buying.",
      );
    });

    it("after a bargain, buys only well under what the listing it found the product in costs", async () => {
      const s = steady(
        "You're curious what's new in Furniture; browse for a while and only buy something if it is a real bargain.",
      );
      expect((await decide(s, home)).action).toEqual({ type: "click", name: "departments.furniture" });
      const listing = results([
        ["Oak Nightstand, Two Drawers", 4.8, 44],
        ["Pine Bookshelf, Five Tiers", 4.6, 12],
        ["Linen Accent Chair", 4.4, 45],
        ["Walnut Coffee Table", 4.5, 60],
        ["Metal Bed Frame, Queen", 4.3, 50],
      ]);
      expect((await decide(s, listing)).action).toEqual({
        type: "click",
        name: "results.oak_nightstand_two_drawers",
      });
      const dear = await decide(s, product("Oak Nightstand, Two Drawers", 4.8, 44));
      expect(dear.action).toEqual({ type: "back" });
      expect(dear.rationale).toBe(
        "“Oak Nightstand, Two Drawers” at $44.00 is no bargain: the products I found it among cost $45.00 at the median, so I go back to the results.",
      );
      expect((await decide(s, listing)).action).toEqual({
        type: "click",
        name: "results.pine_bookshelf_five_tiers",
      });
      expect((await decide(s, product("Pine Bookshelf, Five Tiers", 4.6, 12))).action).toEqual({
        type: "click",
        name: "add_to_cart",
      });
    });

    it("told to compare, keeps contenders, goes back to the one it likes best and buys that", async () => {
      const s = steady(
        "Have a look at desk lamps and compare a few; if one is well reviewed and costs less than $50, buy it.",
      );
      expect((await decide(s, home)).action).toEqual({
        type: "type_and_submit",
        name: "search",
        text: "desk lamps",
      });
      const listing = results([
        ["Arc Desk Lamp, Dimmable", 4.2, 30],
        ["Beam LED Desk Lamp with USB Port", 4.8, 45],
        ["Cove Clamp Desk Lamp", 4.5, 20],
      ]);
      expect((await decide(s, listing)).action).toEqual({
        type: "click",
        name: "results.beam_led_desk_lamp_with",
      });
      const beam = await decide(s, product("Beam LED Desk Lamp with USB Port", 4.8, 45));
      expect(beam.action).toEqual({ type: "back" });
      expect(beam.rationale).toBe(
        "“Beam LED Desk Lamp with USB Port” ($45.00, rated 4.8) is a contender; I go back to compare it with others.",
      );
      expect((await decide(s, listing)).action).toEqual({
        type: "click",
        name: "results.cove_clamp_desk_lamp",
      });
      expect((await decide(s, product("Cove Clamp Desk Lamp", 4.5, 20))).action).toEqual({ type: "back" });
      expect((await decide(s, listing)).action).toEqual({
        type: "click",
        name: "results.arc_desk_lamp_dimmable",
      });
      const third = await decide(s, product("Arc Desk Lamp, Dimmable", 4.2, 30));
      expect(third.action).toEqual({ type: "back" });
      expect(third.rationale).toBe(
        "Of the 3 products I compared, I like “Beam LED Desk Lamp with USB Port” ($45.00, rated 4.8) best, so I go back to it.",
      );
      expect((await decide(s, listing)).action).toEqual({
        type: "click",
        name: "results.beam_led_desk_lamp_with",
      });
      const buy = await decide(s, product("Beam LED Desk Lamp with USB Port", 4.8, 45));
      expect(buy.action).toEqual({ type: "click", name: "add_to_cart" });
      expect(buy.rationale).toBe(
        "“Beam LED Desk Lamp with USB Port” at $45.00 is what I want, the best of the 3 I compared; I add it to the cart.",
      );
    });
  });
});
