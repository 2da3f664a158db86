// Progressive enhancement only: every control also works without JavaScript.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  // Sorting and facet checkboxes apply at once, as on most shops.
  if (target.matches("form.sort select, form.facets input[type=checkbox]")) {
    target.closest("form")?.requestSubmit();
  }
});
