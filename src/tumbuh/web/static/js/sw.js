/* Tumbuh service worker: the village team's pages work without a connection.
   Pages (today's list, family and child pages, the desa page): network first, the last
   copy from the cache when offline. Static files: cache first. Nothing else is kept;
   POSTs are never touched (the page queues visits in IndexedDB and sends them to /sync). */
"use strict";
const PAGES = "tumbuh-pages-v1";
const STATIC = "tumbuh-static-v1";
// The versioned static base (/static/v/<hash>/) comes in the registration URL.
const BASE = new URL(self.location.href).searchParams.get("static") || "/static/";
const SHELL = ["css/tumbuh.css", "js/common.js", "js/village.js"].map((p) => BASE.replace(/\/?$/, "/") + p);
const PAGE_PATHS = [/^\/today$/, /^\/families\/\d+$/, /^\/children\/\d+$/, /^\/regions\/[\d.]+$/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") {  // logging out or another user: no personal pages stay
    event.waitUntil(caches.delete(PAGES));
  }
});

function isPage(url) {
  return PAGE_PATHS.some((re) => re.test(url.pathname));
}

async function networkFirst(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) {
      await cache.put(new URL(request.url).pathname, response.clone());
    }
    return response;
  } catch (err) {
    const hit = await cache.match(new URL(request.url).pathname);
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(STATIC);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (isPage(url)) {
    event.respondWith(networkFirst(request));
  }
});
