// Behaviour that pages would otherwise write inline (the Content-Security-Policy allows no inline
// handlers): selects that submit their form, forms that ask before submitting, and the marker on
// background polling, which does not keep an idle session alive (homeward.apps.ops.middleware).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("htmx:configRequest", (event) => {
  const trigger = event.detail.elt.getAttribute("hx-trigger") || "";
  if (/^\s*every\s/.test(trigger)) event.detail.headers["X-Homeward-Background"] = "1";
});

// The phone menu: the button in the top bar opens and closes it; Escape closes it.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-menu-toggle]");
  if (!toggle) return;
  const bar = toggle.closest(".topbar");
  const open = !bar.classList.contains("menu-open");
  bar.classList.toggle("menu-open", open);
  toggle.setAttribute("aria-expanded", String(open));
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const bar = document.querySelector(".topbar.menu-open");
  if (!bar) return;
  bar.classList.remove("menu-open");
  const toggle = bar.querySelector("[data-menu-toggle]");
  toggle.setAttribute("aria-expanded", "false");
  toggle.focus();
});

// Tables scroll sideways inside their own box (.table-scroll) instead of widening the page; tables
// already inside a box that scrolls or clips are left alone. Runs on the page and on every piece of
// content htmx swaps in.
function wrapTables(root) {
  const tables = root.matches && root.matches("table") ? [root] : root.querySelectorAll("table");
  for (const table of tables) {
    const parent = table.parentElement;
    if (!parent || parent.classList.contains("table-scroll")) continue;
    if (getComputedStyle(parent).overflowX !== "visible") continue;
    const box = document.createElement("div");
    box.className = "table-scroll";
    parent.insertBefore(box, table);
    box.appendChild(table);
  }
}
document.addEventListener("DOMContentLoaded", () => wrapTables(document.body));
document.addEventListener("htmx:load", (event) => wrapTables(event.target));
