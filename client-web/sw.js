// The service worker (a module worker, scope /): it lets the client open with
// no network at all, and sends the outbox when a signal comes back.
//
// - The app shell (index.html and every file it names: the stylesheet, the
//   bundle it loads, the manifest and icons) is fetched at install into a
//   cache of its own version, "suara-shell-<tag>", where the tag is made from
//   the files' ETags. Pages and files are answered from it at once; after
//   each page load the worker revalidates the shell (conditional requests,
//   mostly 304s) and, when anything changed, builds the next version's
//   cache, drops the old one and tells the pages (message "update-ready"),
//   which offer "versi baru: muat ulang". A file outside the shell (a module
//   loaded on demand) joins the shell cache the first time it is fetched.
// - The election's reference data that a witness needs offline (contests,
//   regions: fixed while the election runs) is stored; a stored copy is
//   answered at once, marked with the header "suara-stored-at" (never passed
//   off as fresh), and refreshed from the network behind it. Every other API
//   request (tallies, forms, whoami, the live feed) is never touched.
// - Background Sync ("suara-outbox"): the outbox is sent from here, even with
//   no Suara page open (outbox-core.js, the same sender as the pages).

import { sendDue, SYNC_TAG } from './js/outbox-core.js';

const SHELL_PREFIX = 'suara-shell-';
const DATA_CACHE = 'suara-data-v1';
const META_CACHE = 'suara-meta';
const META_KEY = '/__suara/shell';
const STORED_AT = 'suara-stored-at';
const EXTRA_SHELL = ['/', '/index.html', '/manifest.webmanifest'];
// What the server takes for a file rather than a view (server/net/files.c).
const FILE = /\.(html|js|mjs|css|json|svg|png|ico|webmanifest|txt|woff2)$/;
const CACHED_API = [/^\/api\/v1\/contests$/, /^\/api\/v1\/regions\/[0-9.]+$/];

// Same-origin files named in index.html (href="/..." and src="/...").
function shellUrls(html) {
  const urls = new Set(EXTRA_SHELL);
  for (const m of html.matchAll(/\b(?:href|src)="(\/[^"#?]*)"/g)) {
    if (!m[1].startsWith('/api/') && FILE.test(m[1])) urls.add(m[1]);
  }
  return [...urls];
}

// The current shell's cache name, kept in memory once read (every file a
// page loads asks for it).
let shellName = null;

async function currentShellName() {
  if (shellName) return shellName;
  const meta = await caches.open(META_CACHE);
  const res = await meta.match(META_KEY);
  shellName = res ? await res.text() : null;
  return shellName;
}

async function setCurrentShell(name) {
  const meta = await caches.open(META_CACHE);
  await meta.put(META_KEY, new Response(name));
  shellName = name;
  for (const key of await caches.keys()) {
    if (key.startsWith(SHELL_PREFIX) && key !== name) await caches.delete(key);
  }
}

// A short, stable tag for a set of responses (their URLs and ETags).
async function tagOf(pairs) {
  const text = pairs.map(([url, res]) => `${url} ${res.headers.get('etag') || res.headers.get('last-modified') || ''}`).sort().join('\n');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].slice(0, 8).map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Fetches the shell afresh, revalidating against `old` (a cache or null):
// answers {name, pairs, changed}. Throws when any file cannot be fetched.
async function fetchShell(old) {
  const revalidate = async (url) => {
    const cached = old && await old.match(url);
    const headers = {};
    if (cached?.headers.get('etag')) headers['If-None-Match'] = cached.headers.get('etag');
    const res = await fetch(url, { cache: 'no-store', headers });
    if (res.status === 304 && cached) return [url, cached, false];
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return [url, res, true];
  };
  const [, index, indexChanged] = await revalidate('/index.html');
  const html = await index.clone().text();
  const rest = await Promise.all(shellUrls(html).filter((u) => u !== '/index.html' && u !== '/').map(revalidate));
  const pairs = [['/index.html', index], ['/', index], ...rest.map(([u, r]) => [u, r])];
  const changed = indexChanged || rest.some(([, , c]) => c);
  return { name: SHELL_PREFIX + await tagOf(pairs), pairs, changed };
}

async function storeShell({ name, pairs }) {
  const cache = await caches.open(name);
  await Promise.all(pairs.map(([url, res]) => cache.put(url, res.clone())));
  await setCurrentShell(name);
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    await storeShell(await fetchShell(null));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

async function tellPages(msg) {
  for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) client.postMessage(msg);
}

let checking = null;

// Builds the next shell version when the server's files changed.
function checkForUpdate() {
  checking ??= (async () => {
    try {
      const name = await currentShellName();
      const old = name ? await caches.open(name) : null;
      const next = await fetchShell(old);
      if (!next.changed || next.name === name) return;
      await storeShell(next);
      await tellPages({ type: 'update-ready' });
    } catch { /* offline or a server mid-deploy: try again at the next load */ } finally {
      checking = null;
    }
  })();
  return checking;
}

// Which shell version each page was opened from (client id -> cache name),
// so that a page that asks ("hello") learns of a newer one even when the
// update finished before the page could listen.
const servedBy = new Map();

let openShell = null; // [name, Cache] of the last shell opened

async function fromShell(request, url, clientId) {
  const name = await currentShellName();
  if (clientId && name) servedBy.set(clientId, name);
  if (name && openShell?.[0] !== name) openShell = [name, await caches.open(name)];
  const cache = name && openShell[1];
  const key = request.mode === 'navigate' && !FILE.test(url.pathname) ? '/index.html' : url.pathname;
  const hit = cache && await cache.match(key);
  if (hit) return hit;
  const res = await fetch(request);
  if (cache && res.ok && request.mode !== 'navigate' && res.type === 'basic') cache.put(url.pathname, res.clone());
  return res;
}

// Reference data of the election (contests, regions: fixed while it runs):
// a stored copy is answered at once, marked with when it was stored, and
// refreshed from the network behind it; without one, the network's answer
// is stored. Nothing else of the API is ever stored.
async function storedThenRefresh(event) {
  const { request } = event;
  const cache = await caches.open(DATA_CACHE);
  const refresh = fetch(request).then(async (res) => {
    if (res.ok) {
      const headers = new Headers(res.headers);
      headers.set(STORED_AT, new Date().toISOString());
      await cache.put(request.url, new Response(await res.clone().blob(), { status: res.status, headers }));
    }
    return res;
  });
  const stored = await cache.match(request.url);
  if (stored) {
    event.waitUntil(refresh.catch(() => null));
    return stored;
  }
  return refresh;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) {
    if (CACHED_API.some((re) => re.test(url.pathname))) event.respondWith(storedThenRefresh(event));
    return; // every other API request goes to the network untouched
  }
  if (url.pathname === '/sw.js' || ['/healthz', '/readyz', '/metrics'].includes(url.pathname)) return;
  event.respondWith(fromShell(request, url, request.mode === 'navigate' ? event.resultingClientId : null));
  if (request.mode === 'navigate') event.waitUntil(checkForUpdate());
});

self.addEventListener('message', (event) => {
  if (event.data?.type !== 'hello' || !event.source) return;
  event.waitUntil((async () => {
    const served = servedBy.get(event.source.id);
    const current = await currentShellName();
    if (served && current && served !== current) event.source.postMessage({ type: 'update-ready' });
  })());
});

// Rejecting asks the browser to try the sync again later (with its own backoff).
self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(sendDue().then((r) => {
    if (r.waiting && !r.busy) throw new Error('forms still waiting');
  }));
});
