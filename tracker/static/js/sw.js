// The sale screen's service worker: the screen opens without a connection.
//
// It keeps two things, and touches no other request:
// - the assets the screen needs (its styles, its script, the icon, the manifest), kept
//   when the worker installs under a version that changes with them, served from here;
// - each sale screen's page as it was last loaded, served when the network fails or
//   does not answer within a few seconds (marked as a kept copy, so that the page's
//   script says its figures may be out of date).
// The sales themselves wait in the page's outbox (IndexedDB), not here. Logging out
// forgets the kept pages (they hold stock and takings); the outbox stays.
// The server puts `self.TRACKER` (version, assets, start page, logout) before this.
"use strict";

const CONFIG = self.TRACKER || { version: "dev", assets: [], start: "", logout: "" };
const ASSETS = `tracker-assets-${CONFIG.version}`;
const PAGES = "tracker-pages-v1";
const SALE_SCREEN = /\/(events|sections)\/\d+\/sell$/;
const NETWORK_WAIT_MS = 4000;
const assetPaths = new Set(CONFIG.assets.map((a) => new URL(a, self.location).pathname));

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(ASSETS)
      .then((cache) => cache.addAll(CONFIG.assets))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("tracker-assets-") && name !== ASSETS)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

const pageKey = (url) => {
  const u = new URL(url);
  return u.origin + u.pathname;
};

// A page is kept as it came, but says it is a kept copy.
const keep = async (url, response) => {
  const text = await response.text();
  const copy = new Response(text.replace('data-copy="live"', 'data-copy="kept"'), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  const cache = await caches.open(PAGES);
  await cache.put(pageKey(url), copy);
};

const keepable = (response) =>
  response.ok &&
  response.type === "basic" &&
  !response.redirected &&
  (response.headers.get("Content-Type") || "").startsWith("text/html");

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A sale screen: the network's page when it answers in time (kept for next time), else
// the kept copy.
const salePage = async (event) => {
  const request = event.request;
  const network = fetch(request).then((response) => {
    if (keepable(response)) event.waitUntil(keep(request.url, response.clone()));
    return response;
  });
  event.waitUntil(network.catch(() => null));
  const cached = await caches.match(pageKey(request.url), { cacheName: PAGES });
  if (!cached) return network;
  const answer = network.then(
    (response) => (response.status >= 500 ? cached : response),
    () => cached,
  );
  return Promise.race([answer, wait(NETWORK_WAIT_MS).then(() => cached)]);
};

// The app's start page (its manifest's start_url): without a connection, the last sale
// screen kept.
const startPage = async (event) => {
  try {
    return await fetch(event.request);
  } catch (error) {
    const cache = await caches.open(PAGES);
    const pages = await cache.keys();
    if (!pages.length) throw error;
    return Response.redirect(pages[pages.length - 1].url, 302);
  }
};

const asset = async (request) => {
  const cached = await caches.match(request, { cacheName: ASSETS });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    caches.open(ASSETS).then((cache) => cache.put(request, copy));
  }
  return response;
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === CONFIG.logout) {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate" && SALE_SCREEN.test(url.pathname)) {
    event.respondWith(salePage(event));
  } else if (request.mode === "navigate" && CONFIG.start && url.pathname === CONFIG.start) {
    event.respondWith(startPage(event));
  } else if (assetPaths.has(url.pathname)) {
    event.respondWith(asset(request));
  }
});

// The page asks for itself to be kept (its first load came before this worker) and
// hears back whether a copy is kept.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  const port = event.ports && event.ports[0];
  if (data.type !== "keep-page" || !port) return;
  const url = new URL(data.url, self.location);
  if (url.origin !== self.location.origin || !SALE_SCREEN.test(url.pathname)) return;
  event.waitUntil(
    (async () => {
      let kept = await caches.match(pageKey(data.url), { cacheName: PAGES });
      if (!kept) {
        try {
          const response = await fetch(data.url, { credentials: "same-origin" });
          if (keepable(response)) {
            await keep(data.url, response);
            kept = true;
          }
        } catch (error) {
          kept = false;
        }
      }
      port.postMessage({ kept: Boolean(kept) });
    })(),
  );
});
