/* On the login page (after logging out, or a session that ended): no personal page stays
   in the offline cache for the next user. Queued visits stay in IndexedDB until sent. */
"use strict";
if ("caches" in window) { caches.delete("tumbuh-pages-v1"); }
if ("serviceWorker" in navigator && navigator.serviceWorker.controller) {
  navigator.serviceWorker.controller.postMessage("forget");
}
