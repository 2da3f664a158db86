// Progressive enhancement only: every control also works without JavaScript.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  // Sorting and facet checkboxes apply at once, as on most shops.
  if (target.matches("form.sort select, form.facets input[type=checkbox]")) {
    target.closest("form")?.requestSubmit();
  }
});

// "Load more" (the load_more variant): fetch the next page and append the products it adds, in
// place, as infinite-list shops do. The link still works as a plain link: the server renders page N
// as the first N pages in one list, so a reload or going back shows what had been loaded.
document.addEventListener("click", async (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.load-more-button") : null;
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  link.setAttribute("aria-busy", "true");
  try {
    const res = await fetch(link.href, { headers: { accept: "text/html" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const next = new DOMParser().parseFromString(await res.text(), "text/html");
    const list = document.querySelector(".search-results .results");
    const more = next.querySelector(".search-results .results");
    if (!list || !more) throw new Error("no result list");
    list.append(...Array.from(more.children).slice(list.children.length));
    for (const part of [".result-range", ".load-more"]) {
      const now = document.querySelector(`.search-results ${part}`);
      const then = next.querySelector(`.search-results ${part}`);
      if (now && then) now.replaceWith(then);
      else now?.remove();
    }
    history.pushState({ loadMore: true }, "", link.href);
  } catch {
    location.assign(link.href);
  }
});

// Back and forward between the states "Load more" pushed (even after a reload, when the browser may
// keep them in this document): the server renders each of them.
window.addEventListener("popstate", () => {
  if (document.querySelector('[data-paging="load_more"]')) location.reload();
});
