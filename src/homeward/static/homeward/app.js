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
