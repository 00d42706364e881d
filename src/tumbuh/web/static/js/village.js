/* Village team pages: visits recorded online or offline, never lost.
   A visit is put in an IndexedDB queue with a fresh client_id, then sent to /sync; the
   server stores each client_id once (created / duplicate) or reports a conflict, which is
   shown here and kept. Items the server refused stay queued with the reason. */
"use strict";
(function () {
  const DB_NAME = "tumbuh-village";
  const text = JSON.parse((document.getElementById("village-text") || {}).textContent || "{}");

  function say(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));
  }

  function word(outcome) {
    return (text.outcomes && text.outcomes[outcome]) || outcome;
  }

  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore("queue", { keyPath: "client_id" });
        req.result.createObjectStore("conflicts", { keyPath: "client_id" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function tx(store, mode, work) {
    return openDb().then((db) => new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const result = work(t.objectStore(store));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
    }));
  }

  const queue = {
    put: (item) => tx("queue", "readwrite", (s) => s.put(item)),
    all: () => tx("queue", "readonly", (s) => s.getAll()),
    remove: (id) => tx("queue", "readwrite", (s) => s.delete(id)),
    conflict: (item) => tx("conflicts", "readwrite", (s) => s.put(item)),
    conflicts: () => tx("conflicts", "readonly", (s) => s.getAll()),
  };

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
  }

  function csrf() {
    const field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function status(message) {
    const el = document.getElementById("sync-status");
    if (el) el.textContent = message;
  }

  async function showConflicts() {
    const items = await queue.conflicts();
    const el = document.getElementById("sync-status");
    if (!el || !items.length) return;
    const list = document.createElement("ul");
    list.id = "sync-conflicts";
    for (const c of items) {
      const li = document.createElement("li");
      li.textContent = say(text.conflict, {
        id: c.client_id.slice(0, 8),
        stored: c.stored.visited_on + " " + word(c.stored.outcome),
        mine: c.mine.visited_on + " " + word(c.mine.outcome),
      });
      list.appendChild(li);
    }
    const old = document.getElementById("sync-conflicts");
    if (old) old.remove();
    el.after(list);
  }

  let flushing = null;
  async function flush() {
    if (flushing) return flushing;
    flushing = (async () => {
      // In the order entered: the latest visit of a family is the last one sent.
      const items = (await queue.all()).sort((a, b) => (a.at || 0) - (b.at || 0));
      if (!items.length) return 0;
      let response;
      try {
        response = await fetch("/sync", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
          body: JSON.stringify({ visits: items.map((i) => i.visit) }),
        });
      } catch (err) {
        status(say(text.queued, { n: items.length }));
        return 0;
      }
      if (!response.ok) {
        status(say(text.error, { error: response.status }));
        return 0;
      }
      const body = await response.json();
      let sent = 0;
      for (const r of body.results) {
        const mine = items.find((i) => i.client_id === r.client_id);
        if (r.status === "created" || r.status === "duplicate") {
          await queue.remove(r.client_id);
          sent += 1;
        } else if (r.status === "conflict") {
          await queue.conflict({ client_id: r.client_id, stored: r.stored, mine: mine ? mine.visit : {} });
          await queue.remove(r.client_id);
        } else {
          status(say(text.error, { error: r.error }));
        }
      }
      if (sent) status(say(text.synced, { n: sent }));
      await showConflicts();
      document.dispatchEvent(new CustomEvent("tumbuh:synced", { detail: { sent } }));
      return sent;
    })();
    try { return await flushing; } finally { flushing = null; }
  }

  function enhance(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const visit = {
        client_id: String(data.get("client_id") || newId()),
        visited_on: String(data.get("visited_on")),
        outcome: String(data.get("outcome")),
        note: String(data.get("note") || "") || null,
      };
      if (form.dataset.family) visit.family_id = Number(form.dataset.family);
      if (form.dataset.person) visit.person_id = Number(form.dataset.person);
      await queue.put({ client_id: visit.client_id, visit, at: Date.now() + performance.now() % 1 });
      form.querySelector("input[name=client_id]").value = newId();  // the next visit is another one
      const pending = (await queue.all()).length;
      status(say(text.queued, { n: pending }));
      const sent = await flush();
      if (sent && navigator.onLine) window.location.reload();
    });
  }

  async function precache() {
    // Today's list and the family/child pages it links to, for use without a connection.
    if (!("caches" in window)) return;
    const links = Array.from(document.querySelectorAll("a[data-offline]"), (a) => a.getAttribute("href"));
    const cache = await caches.open("tumbuh-pages-v1");
    await cache.put(location.pathname, await fetch(location.pathname, { credentials: "same-origin" }));
    for (const href of links) {
      try {
        const response = await fetch(href, { credentials: "same-origin" });
        if (response.ok && !response.redirected) await cache.put(new URL(href, location.href).pathname, response);
      } catch (err) { return; }
    }
    document.documentElement.dataset.precached = String(links.length);
  }

  const form = document.getElementById("visit-form");
  if (form) enhance(form);
  window.addEventListener("online", flush);
  if (text.offline_home && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js?static=" + encodeURIComponent(text.static_base || "/static/"), { scope: "/" }).then(() => navigator.serviceWorker.ready)
      .then(() => (document.getElementById("today") && navigator.onLine ? precache() : null))
      .catch(() => null);
  }
  if (navigator.onLine) flush(); else queue.all().then((q) => q.length && status(say(text.queued, { n: q.length })));
  showConflicts();
  window.tumbuhVillage = { flush, queue };
})();
