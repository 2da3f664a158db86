import { describe, expect, it } from "vitest";
import { loadYamlFile } from "../src/config/files.ts";
import type { Action } from "../src/contracts/action.ts";
import { type Persona, PersonaFileSchema, type Scenario, US_STATES } from "../src/contracts/scenario.ts";
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

const scenario = {
  id: "headphones-large",
  goal: {
    instruction: "Find wireless headphones in size large under $100.",
    target: {
      product_type: "headphones",
      attributes: ["wireless"],
      options: { size: "large" },
      max_price: 100,
    },
  },
  start: "/",
  max_steps: 30,
} as unknown as Scenario;

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
});
