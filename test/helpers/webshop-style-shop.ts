import type { IncomingMessage, ServerResponse } from "node:http";
import type { Catalog, Product } from "../../sandbox-shop/catalog/types.ts";
import { SearchIndex } from "../../sandbox-shop/search.ts";
import { SESSION_HEADER } from "../../src/contracts/shop.ts";
import { escapeHtml, listenLoopback, readForm } from "./http.ts";

/**
 * A shop that shopsim did not write: the page structure of the WebShop benchmark (Yao et al. 2022),
 * the field's standard shopping environment, rebuilt from its templates' layout. Nothing in it follows
 * the sandbox shop's markup, and it has no shopsim API:
 *
 * - result cards are Bootstrap `div`s, and the link to a product reads its ASIN (`B07…`), not its
 *   title, which is a separate heading beside it;
 * - paging, "Back to Search" and "< Prev" are buttons in forms, "Next >" included;
 * - a product page has options as radio inputs with labels, "Description" / "Features" / "Reviews"
 *   buttons, and "Buy Now" as the only way to buy (no cart, no checkout);
 * - buying lands on "Thank you for shopping with us!".
 *
 * It keeps what was bought, per session header, for the test to check; shopsim never asks it.
 */
export interface WebShopStyleOrder {
  session: string;
  product_id: string;
  options: Record<string, string>;
  price: number;
}

export interface WebShopStyleShop {
  url: string;
  orders: WebShopStyleOrder[];
  /** Every request's path, per session header. */
  visits: Map<string, string[]>;
  close(): Promise<void>;
}

const PER_PAGE = 10;

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/static/bootstrap.min.css"></head>
<body><div class="container py-5">${body}</div></body></html>`;
}

function money(n: number): string {
  return `$${n.toFixed(2)}`;
}

function searchPage(): string {
  return page(
    "WebShop",
    `<div class="row"><div class="col-md-6 mx-auto"><div id="logo"><h1 class="text-center">WebShop</h1></div>
<form method="get" action="/search" class="form-inline">
<input id="search_input" name="q" type="text" placeholder="Search..." class="form-control" required>
<button type="submit" class="btn btn-success" id="search_submit">Search</button></form></div></div>`,
  );
}

function navForm(action: string, label: string, hidden: Record<string, string | number>): string {
  const inputs = Object.entries(hidden)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(String(v))}">`)
    .join("");
  return `<form method="get" action="${action}" class="d-inline">${inputs}<button type="submit" class="btn btn-primary">${label}</button></form>`;
}

function resultsPage(index: SearchIndex, q: string, pageNo: number): string {
  const result = index.search({ q, filters: {}, sort: "relevance", page: pageNo, perPage: PER_PAGE });
  const cards = result.items
    .map(
      (p) => `<div class="col-lg-12 mx-auto list-group-item">
<div class="col-lg-4"><img src="/img/${p.id}.jpg" class="result-img"></div>
<div class="col-lg-8">
<a class="product-link" href="/item/${p.id}?q=${encodeURIComponent(q)}&amp;page=${pageNo}"><h4 class="product-asin">${p.id}</h4></a>
<h4 class="product-title">${escapeHtml(p.title)}</h4>
<h5 class="product-price">${money(p.price)}</h5></div></div>`,
    )
    .join("\n");
  return page(
    "WebShop",
    `<div class="row top-buffer">${navForm("/", "Back to Search", {})}</div>
<div class="row top-buffer"><div class="col-sm-8"><div class="display-4"><h3>Page ${pageNo} (Total results: ${result.total})</h3></div></div>
<div class="col-sm-4">${pageNo > 1 ? navForm("/search", "&lt; Prev", { q, page: pageNo - 1 }) : ""}${pageNo < result.pages ? navForm("/search", "Next &gt;", { q, page: pageNo + 1 }) : ""}</div></div>
<div class="row top-buffer" id="search-results">${cards}</div>`,
  );
}

function itemPage(p: Product, q: string, pageNo: number, chosen: Record<string, string>): string {
  const options = p.options
    .map(
      (o) =>
        `<div class="row top-buffer"><h4>${escapeHtml(o.name)}</h4><div class="radio-toolbar">${o.values
          .map(
            (v, i) =>
              `<input type="radio" id="radio_${escapeHtml(o.name)}${i}" name="${escapeHtml(o.name)}" value="${escapeHtml(v.value)}"${chosen[o.name] === v.value ? " checked" : ""}${v.available ? "" : " disabled"}><label for="radio_${escapeHtml(o.name)}${i}">${escapeHtml(v.value)}</label>`,
          )
          .join("")}</div></div>`,
    )
    .join("");
  const back = { q, page: pageNo };
  return page(
    "WebShop",
    `<div class="row top-buffer">${navForm("/", "Back to Search", {})} ${navForm("/search", "&lt; Prev", back)}</div>
<div class="row top-buffer"><div class="col-md-4 mb-4 mb-md-0"><img id="product-image" src="/img/${p.id}.jpg"></div>
<div class="col-md-6"><h2>${escapeHtml(p.title)}</h2><h4>Price: ${money(p.price)}</h4><h4>Rating: ${p.rating === null ? "N.A." : p.rating}</h4>
<form method="post" action="/buy/${p.id}">${options}
<div class="row top-buffer"><button type="submit" class="btn btn-lg purchase">Buy Now</button></div></form>
<div class="row top-buffer">${navForm(`/item/${p.id}/description`, "Description", back)} ${navForm(`/item/${p.id}/features`, "Features", back)} ${navForm(`/item/${p.id}/reviews`, "Reviews", back)}</div>
</div></div>`,
  );
}

function detailPage(p: Product, what: string, q: string, pageNo: number): string {
  const body =
    what === "description"
      ? `<p class="product-info">${escapeHtml(p.description)}</p>`
      : what === "features"
        ? `<ul>${p.bullets.map((b) => `<li><p class="product-info">${escapeHtml(b)}</p></li>`).join("")}</ul>`
        : p.reviews.length === 0
          ? "<p>No reviews yet.</p>"
          : p.reviews
              .map(
                (r) => `<div class="card"><h4>${escapeHtml(r.title)}</h4><p>${escapeHtml(r.body)}</p></div>`,
              )
              .join("");
  return page(
    "WebShop",
    `<div class="row top-buffer">${navForm("/", "Back to Search", {})} ${navForm(`/item/${p.id}`, "&lt; Prev", { q, page: pageNo })}</div>
<div class="row top-buffer">${body}</div>`,
  );
}

function donePage(order: WebShopStyleOrder, p: Product): string {
  const options = Object.entries(order.options)
    .map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(v)}`)
    .join(", ");
  return page(
    "WebShop",
    `<div class="row"><div class="col-md-6 mx-auto"><h1 id="thankyou">Thank you for shopping with us!</h1>
<h3>Your purchase</h3><h4 id="purchased-asin">${p.id}</h4><p>${escapeHtml(p.title)}</p><p>${options}</p>
${navForm("/", "Back to Search", {})}</div></div>`,
  );
}

/** Starts the WebShop-style shop on a free loopback port, selling `catalog`. */
export async function startWebShopStyleShop(catalog: Catalog): Promise<WebShopStyleShop> {
  const index = new SearchIndex(catalog);
  const byId = new Map(catalog.products.map((p) => [p.id, p]));
  const orders: WebShopStyleOrder[] = [];
  const visits = new Map<string, string[]>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://shop.local");
    const session = String(req.headers[SESSION_HEADER] ?? "");
    visits.set(session, [...(visits.get(session) ?? []), `${req.method} ${url.pathname}${url.search}`]);
    const html = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
      res.end(body);
    };
    const q = url.searchParams.get("q") ?? "";
    const pageNo = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
    const item = /^\/item\/([^/]+)(?:\/(description|features|reviews))?$/.exec(url.pathname);
    const buy = /^\/buy\/([^/]+)$/.exec(url.pathname);
    const done = /^\/done\/(\d+)$/.exec(url.pathname);
    if (req.method === "GET" && url.pathname === "/") return html(200, searchPage());
    if (req.method === "GET" && url.pathname === "/search") return html(200, resultsPage(index, q, pageNo));
    if (req.method === "GET" && item) {
      const p = byId.get(item[1] ?? "");
      if (!p) return html(404, page("WebShop", "<h1>No such product</h1>"));
      return html(200, item[2] ? detailPage(p, item[2], q, pageNo) : itemPage(p, q, pageNo, {}));
    }
    if (req.method === "POST" && buy) {
      const p = byId.get(buy[1] ?? "");
      if (!p) return html(404, page("WebShop", "<h1>No such product</h1>"));
      const form = await readForm(req);
      const options: Record<string, string> = {};
      for (const o of p.options) {
        const v = form.get(o.name);
        if (v !== null) options[o.name] = v;
      }
      orders.push({ session, product_id: p.id, options, price: p.price });
      res.writeHead(303, { location: `/done/${orders.length - 1}` });
      res.end();
      return;
    }
    if (req.method === "GET" && done) {
      const order = orders[Number(done[1])];
      const p = order ? byId.get(order.product_id) : undefined;
      if (!order || !p) return html(404, page("WebShop", "<h1>No such order</h1>"));
      return html(200, donePage(order, p));
    }
    // Images, stylesheets and anything else: absent, as on a shop whose assets are elsewhere.
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  };

  const server = await listenLoopback(handle);
  return {
    url: server.url,
    orders,
    visits,
    close: () => server.close(),
  };
}
