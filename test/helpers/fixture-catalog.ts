import { type Catalog, type Product, ProductSchema } from "../../sandbox-shop/catalog/types.ts";

const base = {
  bullets: [],
  description: "",
  reviews: [],
  image: null,
  options: [],
} satisfies Partial<Product>;

/** A small hand-written catalog whose every price, rating and option a test can reason about. */
export function fixtureCatalog(): Catalog {
  const products: Product[] = [
    {
      ...base,
      id: "HP1",
      title: "Acme Wireless Noise Cancelling Headphones",
      brand: "Acme",
      category: "electronics",
      category_path: ["Electronics", "Headphones"],
      product_type: "over-ear headphones",
      price: 59.99,
      rating: 4.5,
      review_count: 1200,
      bullets: ["Active noise cancelling blocks the commute", "30 hour battery"],
      description: "Wireless over-ear headphones with noise cancelling.",
      attributes: ["noise cancelling", "wireless", "long battery life"],
      options: [
        {
          name: "color",
          values: [
            { value: "Black", price_delta: 0, available: true },
            { value: "White", price_delta: 5, available: true },
            { value: "Red", price_delta: 0, available: false },
          ],
        },
      ],
      reviews: [
        {
          author: "Dana",
          rating: 5,
          title: "Quiet at last",
          body: "The noise cancelling works.",
          date: "2025-03-01",
          verified: true,
        },
      ],
    },
    {
      ...base,
      id: "HP2",
      title: "Acme Wired Headphones",
      brand: "Acme",
      category: "electronics",
      category_path: ["Electronics", "Headphones"],
      product_type: "over-ear headphones",
      price: 19.99,
      rating: 3.9,
      review_count: 80,
      attributes: ["wired"],
    },
    {
      ...base,
      id: "TS1",
      title: "Zen Organic Cotton T-Shirt",
      brand: "Zen",
      category: "clothing",
      category_path: ["Clothing", "Shirts"],
      product_type: "t-shirt",
      price: 12,
      rating: 4.1,
      review_count: 300,
      attributes: ["organic cotton", "machine washable"],
      options: [
        {
          name: "size",
          values: [
            { value: "S", price_delta: 0, available: true },
            { value: "M", price_delta: 0, available: true },
            { value: "L", price_delta: 2, available: true },
            { value: "XL", price_delta: 3, available: true },
          ],
        },
        {
          name: "color",
          values: [
            { value: "Navy", price_delta: 0, available: true },
            { value: "Gray", price_delta: 0, available: true },
          ],
        },
      ],
    },
    {
      ...base,
      id: "YM1",
      title: "Zen Non-Slip Yoga Mat <Pro>",
      brand: "Zen",
      category: "sports",
      category_path: ["Sports", "Yoga"],
      product_type: "yoga mat",
      price: 35.5,
      rating: null,
      review_count: 0,
      attributes: ["non slip"],
    },
  ];
  for (let i = 1; i <= 26; i++) {
    products.push({
      ...base,
      id: `MUG${String(i).padStart(2, "0")}`,
      title: `Stoneware Coffee Mug No. ${i}`,
      brand: i % 2 === 0 ? "Hearth" : "Kiln",
      category: "home-kitchen",
      category_path: ["Home & Kitchen", "Mugs"],
      product_type: "coffee mug",
      price: 5 + i,
      rating: 2 + (i % 4) * 0.8,
      review_count: i * 10,
      attributes: i % 3 === 0 ? ["dishwasher safe", "microwave safe"] : ["dishwasher safe"],
    });
  }
  return {
    source: "fixture",
    categories: [
      { slug: "electronics", name: "Electronics" },
      { slug: "clothing", name: "Clothing" },
      { slug: "sports", name: "Sports" },
      { slug: "home-kitchen", name: "Home & Kitchen" },
    ],
    products: products.map((p) => ProductSchema.parse(p)),
    reviewsFor: (p) => p.reviews,
  };
}
