// The scanner page's passenger list (/scan/, #manifest): GET /api/v1/scans/manifest for the chosen
// vehicle (an escort's own, a station's arrivals), drawn as one card per rider with the counts by
// state. Every list fetched is kept in localStorage (per user, per vehicle): without a network the
// last one is shown with the time it was fetched. It is fetched again after every scan answer and
// every 30 s. A rider in observation gets the hand-over form (rear seat, health post, receiver),
// posted to /api/v1/observations/handover (one per observation scan: a resend is answered with the
// first hand-over).
(function () {
  "use strict";

  const box = document.getElementById("manifest");
  const words = document.getElementById("scan-messages");
  if (!box || !words) return;
  const T = JSON.parse(words.textContent);
  const labelled = (label, text) => T.labelled.replace("{label}", label).replace("{text}", text);
  const select = box.querySelector("[data-manifest-select]");
  const list = box.querySelector("[data-manifest-list]");
  const counts = box.querySelector("[data-manifest-counts]");
  const fetched = box.querySelector("[data-manifest-fetched]");
  const offline = box.querySelector("[data-manifest-offline]");
  const template = document.getElementById("handover-template");
  const STATES = ["expected", "boarded", "arrived", "observation", "handed_over", "cleared", "isolated", "no_show", "declined"];
  const cacheKey = (vehicle) => `homeward-manifest:${box.dataset.user}:${vehicle || ""}`;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function options(m) {
    const chosen = m.vehicle ? m.vehicle.key : "";
    if (select.options.length === m.vehicles.length && select.value === chosen) return;
    select.replaceChildren(...m.vehicles.map((v) => {
      const o = el("option", "", v.label || v.name);
      o.value = v.key;
      o.selected = v.key === chosen;
      return o;
    }));
  }

  function handoverForm(p) {
    const form = template.content.firstElementChild.cloneNode(true);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = form.elements;
      const body = {
        scan_id: p.observation.scan_id, rear_seat: f.rear_seat.value.trim(),
        health_post: f.health_post.value.trim(), received_by: f.received_by.value.trim(),
        handed_at: new Date().toISOString(),
      };
      try {
        const response = await fetch(box.dataset.handoverApi, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf },
          body: JSON.stringify(body),
        });
        const answer = await response.json();
        if (!response.ok) throw new Error(answer.localized_message || answer.message || String(response.status));
        await load(select.value);
      } catch (error) {
        form.append(el("p", "invalid", labelled(T.handover_failed, error.message)));
      }
    });
    return form;
  }

  function draw(m, stale) {
    options(m);
    offline.hidden = !stale;
    offline.textContent = stale ? T.offline_manifest : "";
    fetched.textContent = `${T.fetched_at} ${m.fetched_at_text}`;
    const shown = STATES.filter((s) => m.counts[s]).map((s) => `${T[`state_${s}`]} ${m.counts[s]}`);
    counts.textContent = [`${T.total} ${m.total} ${T.people}`, ...shown].join(" · ");
    if (!m.vehicle) {
      list.replaceChildren(el("li", "muted", T.no_vehicle));
      return;
    }
    list.replaceChildren(...m.passengers.map((p) => {
      const li = el("li");
      li.dataset.state = p.state;
      li.dataset.worker = String(p.worker);
      const rider = el("div", "rider");
      rider.append(el("span", "seat", p.seat), el("span", "holder", p.holder), el("span", "state", T[`state_${p.state}`] || p.state));
      li.append(rider);
      li.append(el("div", "detail", [p.pickup, p.pickup_at].filter(Boolean).join(" · ")));
      const health = [T[`code_${p.health_code}`] || p.health_code, p.temperature ? `${p.temperature} °C` : ""];
      li.append(el("div", "detail", health.filter(Boolean).join(" · ")));
      if (p.handover) {
        const h = p.handover;
        li.append(el("div", "detail handover", labelled(T.handed_over, `${h.rear_seat} → ${h.health_post} · ${h.received_by} · ${h.handed_at}`)));
      } else if (p.observation && box.hasAttribute("data-handover") && !stale) {
        const reason = T[p.observation.reason] || "";
        li.append(el("div", "detail", [reason, p.observation.temperature ? `${p.observation.temperature} °C` : ""].filter(Boolean).join(" · ")));
        li.append(handoverForm(p));
      }
      return li;
    }));
  }

  async function load(vehicle) {
    const url = vehicle ? `${box.dataset.api}?vehicle_key=${encodeURIComponent(vehicle)}` : box.dataset.api;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const m = await response.json();
      const text = JSON.stringify(m);
      window.localStorage.setItem(cacheKey(vehicle), text);
      if (m.vehicle) window.localStorage.setItem(cacheKey(m.vehicle.key), text);
      window.localStorage.setItem(cacheKey("last"), m.vehicle ? m.vehicle.key : "");
      draw(m, false);
    } catch (error) {
      const kept = window.localStorage.getItem(cacheKey(vehicle || window.localStorage.getItem(cacheKey("last")) || ""));
      if (kept) draw(JSON.parse(kept), true);
    }
  }

  select.addEventListener("change", () => load(select.value));
  const result = document.getElementById("scan-result");
  if (result) {  // a scan answered (not merely sent or queued): the list moves with it
    new MutationObserver(() => {
      if (["recorded", "conflict", "duplicate", "refused"].includes(result.dataset.answer)) load(select.value);
    }).observe(result, { attributes: true, attributeFilter: ["data-answer"] });
  }
  window.addEventListener("online", () => load(select.value));
  window.setInterval(() => load(select.value), 30000);
  load("");
})();
