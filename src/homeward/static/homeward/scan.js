// The scanner page (/scan/): a ticket's QR code read by the site's QR reader (permit-scan.js) or an
// ID number typed in becomes one scan — a nonce made on this device, the device's time, and the
// page's choices (checkpoint, vehicle, place, temperature, health code) — posted to /api/v1/scans.
// When the post cannot reach the server the scan waits in IndexedDB ("homeward-scans") and the
// queue is uploaded when the browser is back online (and every 15 s while anything waits). A scan
// is uploaded with the nonce it was made with, so an upload repeated after a lost answer is
// answered "duplicate" and stored once. The answer is shown big, in the page's language.
(function () {
  "use strict";

  const form = document.getElementById("scan-form");
  const result = document.getElementById("scan-result");
  const words = document.getElementById("scan-messages");
  if (!form || !result || !words || !window.indexedDB) return;
  const T = JSON.parse(words.textContent);
  const labelled = (label, text) => T.labelled.replace("{label}", label).replace("{text}", text);
  const verdict = result.querySelector("[data-result-verdict]");
  const detail = result.querySelector("[data-result-detail]");
  const queueCount = document.querySelector("[data-queue-count]");
  const DB = "homeward-scans";
  const STORE = "queue";
  let flushing = false;

  // A random UUID also on plain http (crypto.randomUUID needs a secure context).
  function nonce() {
    if (window.crypto.randomUUID && window.isSecureContext) return window.crypto.randomUUID();
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function store(mode, work) {
    return new Promise((resolve, reject) => {
      const opening = window.indexedDB.open(DB, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: "nonce" });
      opening.onerror = () => reject(opening.error);
      opening.onsuccess = () => {
        const db = opening.result;
        const tx = db.transaction(STORE, mode);
        const request = work(tx.objectStore(STORE));
        tx.oncomplete = () => {
          db.close();
          resolve(request ? request.result : undefined);
        };
        tx.onerror = () => reject(tx.error);
      };
    });
  }

  const enqueue = (scan) => store("readwrite", (s) => s.put(scan));
  const queued = () => store("readonly", (s) => s.getAll());
  const dequeue = (nonces) => store("readwrite", (s) => nonces.forEach((n) => s.delete(n)));

  async function showCount() {
    const items = await queued();
    queueCount.textContent = String(items.length);
    return items;
  }

  function show(answer, outcome, title, text) {
    result.hidden = false;
    result.dataset.answer = answer;
    result.dataset.outcome = outcome;
    verdict.textContent = title;
    detail.textContent = text || "";
  }

  // A duplicate (this scan was uploaded before, its answer lost) shows the answer it got then.
  function showResult(r) {
    const reason = T[r.reason] || (r.reason ? T.invalid : "");
    const who = [r.holder, r.vehicle, r.seat].filter(Boolean).join(" · ");
    if (r.first_answer === "conflict") {
      show("conflict", r.outcome, r.reason === "already_boarded" ? T.already_boarded : T.conflict, who);
    } else if (r.outcome === "refused") {
      show(r.answer, "refused", labelled(T.refused, reason), who);
    } else {
      const title = r.outcome === "observation" ? T.observation : T.ok;
      const extra = r.answer === "duplicate" ? T.duplicate : reason;
      show(r.answer, r.outcome, title, [who, extra].filter(Boolean).join(" · "));
    }
  }

  class Offline extends Error {}

  async function post(scans) {
    let response;
    try {
      response = await fetch(form.dataset.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
        body: JSON.stringify({ scans }),
      });
    } catch (error) {
      throw new Offline(String(error));
    }
    if (response.status >= 500 || response.status === 0) throw new Offline(String(response.status));
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || String(response.status));
    return body.results;
  }

  // The typed temperature: null when none; a number (a comma read as the decimal point) within the
  // input's range; NaN for anything else, which the page refuses before sending (a reading must
  // never be dropped silently: a fever would board as "no reading").
  function temperature() {
    const input = form.elements.temperature_c;
    const text = input.value.trim().replace(",", ".");
    if (!text) return null;
    const t = Number(text);
    const inRange = Number.isFinite(t) && t >= Number(input.dataset.min) && t <= Number(input.dataset.max);
    return inRange ? t : NaN;
  }

  function temperatureRefused() {
    if (!Number.isNaN(temperature())) return false;
    show("error", "refused", T.failed, T.bad_temperature);
    form.elements.temperature_c.focus();
    return true;
  }

  function scanOf(read) {
    const f = form.elements;
    return {
      nonce: nonce(),
      client_at: new Date().toISOString(),
      checkpoint: f.checkpoint.value,
      vehicle_key: f.vehicle_key.value,
      place: f.place.value.trim(),
      temperature_c: temperature(),
      health_code: f.health_code.value,
      ...read,
    };
  }

  // One scan of ``read`` with the page's choices: false (nothing sent) when the typed temperature
  // is refused, else true while it is posted or queued.
  function submit(read) {
    if (temperatureRefused()) return false;
    send(scanOf(read));
    return true;
  }

  async function send(scan) {
    form.elements.temperature_c.value = "";
    form.elements.health_code.value = "";
    show("sending", "", T.sending, "");
    try {
      showResult((await post([scan]))[0]);
    } catch (error) {
      if (error instanceof Offline) {
        await enqueue(scan);
        show("queued", "", T.queued, "");
        await showCount();
      } else {
        show("error", "refused", T.failed, error.message);
      }
    }
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      const items = await showCount();
      if (!items.length) return;
      const results = await post(items.slice(0, 200));
      await dequeue(results.map((r) => r.nonce));
      await showCount();
      show("uploaded", "", T.uploaded, `${results.length}`);
    } catch (error) {
      // still offline (or refused as a whole): the queue stays for the next try
    } finally {
      flushing = false;
    }
  }

  const box = document.getElementById("ticket-scanner");
  if (box && typeof window.homewardQrReader === "function") {
    window.homewardQrReader(box, (text) => submit({ token: text.trim() }));
  }
  const manual = document.getElementById("manual-form");
  manual.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.target.elements.id_number;
    const id = input.value.trim().toUpperCase();
    if (id && submit({ id_number: id })) input.value = ""; // refused: the ID stays for the correction
  });
  manual.querySelector("[data-needs-script]").disabled = false; // only now can it be sent, and only here
  window.addEventListener("online", flush);
  window.setInterval(flush, 15000);
  flush();
})();
