// The installable app on the page's side: registers the service worker
// (sw.js: the client opens offline, the outbox is sent in the background),
// offers "versi baru" when the worker has fetched a new version of the
// client, and asks the browser to keep this site's storage (the outbox)
// even when the phone runs short of space.

import { h } from './dom.js';

function showUpdate() {
  if (document.getElementById('update-banner')) return;
  const banner = h('div.update-banner', { id: 'update-banner', role: 'status' },
    h('span', { text: 'Versi baru Suara tersedia.' }), ' ',
    h('button', { type: 'button', text: 'Muat ulang', onclick: () => location.reload() }));
  document.querySelector('header.top')?.after(banner);
}

export function startAppShell() {
  if (!('serviceWorker' in navigator)) return; // not a secure context, or an old browser
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data?.type === 'update-ready') showUpdate();
  });
  navigator.serviceWorker.startMessages(); // what the worker said before this ran
  navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' }).catch(() => {
    /* without a worker the client still works online, and the page sends the outbox */
  });
  // Was this page opened from an older version than the worker now holds?
  navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller?.postMessage({ type: 'hello' }));
}

// Resolves true once a service worker controls this page (its fetches then
// pass through the worker and are kept for offline use), false when none
// does within the wait.
export function controlled(waitMs = 60000) {
  if (!('serviceWorker' in navigator)) return Promise.resolve(false);
  if (navigator.serviceWorker.controller) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    navigator.serviceWorker.addEventListener('controllerchange', () => { clearTimeout(timer); resolve(true); }, { once: true });
  });
}

// Asked on the witness page, where the outbox lives: an installed or often
// used site is granted it without a prompt in Chromium.
export async function keepStorage() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) await navigator.storage.persist();
  } catch { /* not offered: storage stays "best effort" */ }
}
