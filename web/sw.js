// Dala's service worker: the app works offline once it has been opened. The build fills in
// VERSION (a hash of every file), ASSETS (what the app needs to start and run interviews) and
// LATER (the XLSForm importer and the whole app with the Design workspace, fetched after
// installing so they do not slow the first start, and still there offline).
const VERSION = '__VERSION__';
const ASSETS = __ASSETS__;
const LATER = __LATER__;
const CACHE = 'dala-' + VERSION;

self.addEventListener('install', (event) => {
  // A new version downloads in the background and then waits: it is applied only when the
  // enumerator accepts it (the page posts 'skip-waiting'), never in the middle of an interview.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('dala-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
      .then(() => caches.open(CACHE))
      .then((cache) => cache.addAll(LATER).catch(() => {})));
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

// Background Sync: the browser wakes the worker when the network is back after a drain of
// the outbox failed, and the worker asks the open pages to drain (the outbox and its
// receipts live in the page's code; with no page open, the records wait for the next start).
self.addEventListener('sync', (event) => {
  if (event.tag !== 'dala-outbox') return;
  event.waitUntil(self.clients.matchAll({ type: 'window' })
    .then((pages) => pages.forEach((page) => page.postMessage('dala-drain'))));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // Pages: design.html, or else the app shell index.html (routes live in the fragment);
  // everything else by its URL.
  const page = new URL(request.url).pathname.endsWith('/design.html') ? 'design.html' : 'index.html';
  const lookup = request.mode === 'navigate' ? caches.match(page, { cacheName: CACHE })
                                             : caches.match(request, { cacheName: CACHE });
  event.respondWith(lookup.then((cached) => cached || fetch(request)));
});
