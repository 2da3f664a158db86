import { describe, expect, it } from "vitest";
import { planFor, singular } from "../src/policy/heuristic/plan.ts";

/** How the built-in shopper reads an open-ended intent (src/policy/heuristic/plan.ts). */
const plan = (instruction: string) => {
  const p = planFor({ instruction });
  return {
    queries: p.queries,
    kinds: p.kinds,
    department: p.department,
    buys: p.buys,
    compares: p.compares,
    maxPrice: p.maxPrice,
    minRating: p.minRating,
  };
};

describe("reading a browsing intent", () => {
  it("takes the kinds of product it names, any of which will do, without the words a title cannot confirm", () => {
    expect(
      plan(
        "Treat yourself to something from Beauty & Personal Care. You're open to a serum, a moisturizer or a new hair dryer, and price is not a big concern.",
      ),
    ).toEqual({
      queries: ["serum", "moisturizer", "hair dryer"],
      kinds: ["serum", "moisturizer", "hair dryer"],
      department: "Beauty & Personal Care",
      buys: true,
      compares: false,
      maxPrice: null,
      minRating: null,
    });
    expect(
      plan(
        "Your home office needs work. Browse keyboards, mice, webcams and desk organizers, and buy the one item that would help most if it costs under $60.",
      ),
    ).toMatchObject({
      kinds: ["keyboards", "mice", "webcams", "desk organizers"],
      compares: true,
      maxPrice: 60,
    });
  });

  it("searches named kinds for whom the intent is for, and reads “good reviews” as four stars", () => {
    expect(
      plan(
        "See what the shop has for dogs. If there is a durable chew toy or a comfortable bed with good reviews under $40, buy it.",
      ),
    ).toEqual({
      queries: ["dog chew toy", "dog bed"],
      kinds: ["chew toy", "bed"],
      department: null,
      buys: true,
      compares: false,
      maxPrice: 40,
      minRating: 4,
    });
  });

  it("does not say whom a kind is for twice", () => {
    expect(
      plan("See what the shop has for dogs. If there is a dog bed or a chew toy, buy it.").queries,
    ).toEqual(["dog bed", "dog chew toy"]);
  });

  it("takes a department named in the shop's words, and gives a rough budget some room", () => {
    expect(
      plan(
        "Your nephew turns seven next week. Look around Toys & Games for a gift around $30, something educational or fun for the whole family, and buy the one you like best.",
      ),
    ).toEqual({
      queries: ["toys games"],
      kinds: [],
      department: "Toys & Games",
      buys: true,
      compares: true,
      maxPrice: 36,
      minRating: null,
    });
    expect(
      plan(
        "you need a birthday gift from the Home & Kitchen department for about $40; browse until something feels right, then buy it",
      ),
    ).toMatchObject({ department: "Home & Kitchen", kinds: [], maxPrice: 48 });
    expect(
      plan(
        "Restock the pantry. Browse Grocery & Gourmet Food for coffee, tea or snacks, and buy whatever looks like good value per ounce.",
      ),
    ).toMatchObject({ department: "Grocery & Gourmet Food", kinds: ["coffee", "tea", "snacks"] });
  });

  it("knows window-shopping buys nothing, and that criteria to compare on are not products", () => {
    expect(
      plan(
        "Just window-shopping for headphones and earbuds today. Compare a few on price, battery life and reviews, and don't buy anything.",
      ),
    ).toEqual({
      queries: ["headphones", "earbuds"],
      kinds: ["headphones", "earbuds"],
      department: null,
      buys: false,
      compares: true,
      maxPrice: null,
      minRating: null,
    });
    expect(
      plan(
        "just window-shopping for bath towel sets today: look at a few, compare prices and features, and don't buy anything",
      ),
    ).toMatchObject({ kinds: ["bath towel sets"], buys: false });
    expect(plan("I'm just browsing laptops, not going to buy anything today.")).toMatchObject({
      kinds: ["laptops"],
      buys: false,
    });
    // A limit is not a refusal, and neither is "or nothing".
    expect(plan("Browse desk lamps and don't buy anything over $40.")).toMatchObject({
      kinds: ["desk lamps"],
      buys: true,
    });
    expect(
      plan(
        "money is tight this month: look around the floor lamps options and buy the best-reviewed one under $40, or nothing if none is good enough",
      ),
    ).toMatchObject({ kinds: ["floor lamps"], buys: true, compares: true, maxPrice: 40 });
  });

  it("keeps a hyphenated kind whole: “over-ear” is not the word “over”", () => {
    expect(
      plan(
        "treat yourself: find the nicest over-ear headphones in Electronics; price is not a big concern, but read enough to be sure it is good before buying",
      ),
    ).toMatchObject({ kinds: ["over-ear headphones"], department: "Electronics", compares: true });
  });

  it("reads intents about other shops' goods the same way", () => {
    expect(
      plan("Look around Garden & Outdoor and compare planters or watering cans under $25."),
    ).toMatchObject({
      department: "Garden & Outdoor",
      kinds: ["planters", "watering cans"],
      compares: true,
      maxPrice: 25,
    });
    expect(
      plan(
        "Browse the Electronics section for wireless chargers, such as a charging pad or a stand, and buy one if it is highly rated.",
      ),
    ).toMatchObject({ department: "Electronics", kinds: ["charging pad", "stand"], minRating: 4 });
  });

  it("knows when only a bargain will do", () => {
    const bargain = (instruction: string) => planFor({ instruction }).bargain;
    expect(
      bargain(
        "You don't need anything in particular today. Browse around and buy something only if it is a real bargain with at least 4 stars.",
      ),
    ).toBe(true);
    expect(
      bargain(
        "you're curious what's new in Pet Supplies; browse for a while and only buy something if it is a real bargain",
      ),
    ).toBe(true);
    expect(
      bargain(
        "Browse running shoes and see what's on offer. Buy a pair only if something under $80 really stands out.",
      ),
    ).toBe(false);
  });

  it("leaves a product request alone: it is not a browsing intent", () => {
    const p = planFor({ instruction: "i need a red mug for my office, under $20" });
    expect(p).toMatchObject({ kinds: [], department: null, buys: true, compares: false, maxPrice: 20 });
  });
});

describe("singular", () => {
  it("folds the common English plurals, and leaves singulars alone", () => {
    const cases: [string, string][] = [
      ["bottles", "bottle"],
      ["mice", "mouse"],
      ["boxes", "box"],
      ["brushes", "brush"],
      ["batteries", "battery"],
      ["knives", "knife"],
      ["headphones", "headphone"],
      ["glass", "glass"],
      ["dress", "dress"],
      ["cactus", "cactus"],
      ["bed", "bed"],
      ["toys", "toy"],
    ];
    for (const [plural, one] of cases) expect(singular(plural)).toBe(one);
  });
});
