// The witness's outbox as the page sees it: forms (and photos) waiting to
// reach the server, kept in IndexedDB (outbox-core.js) so that neither a weak
// connection, a server restart, a reload nor a closed browser loses one.
//
// The page keeps a copy of the stored entries for synchronous reads (list()),
// refreshed after every change made here, in another tab or in the service
// worker. It sends whatever is due while it is open and the phone is online;
// where the browser has Background Sync, it also asks the service worker to
// send once a connection is back, even with no Suara page open.
//
// API (everything else is internal):
//   start()                   load, migrate the localStorage outbox, start sending
//   list()                    the form entries, oldest first (see outbox-core.js)
//   sending()                 id of the form being sent now, or null
//   isOffline()               true while the browser says it has no network
//   onChange(fn)              fn() after every change; answers unsubscribe
//   add(form, token)          Promise<entry>: stored first, then sent
//   retry(id, token), remove(id), sendNow()
//   addPhotos(blobs, token)   Promise<[sha256]>: photos stored, then sent (PUT)
//   photos()                  Promise<[photo entry without blob]>
//   photoBlob(sha256)         Promise<Blob|null> (null once sent)
//   draftPages(key), saveDraftPages(key, blobs)   the pages of a form not sent yet

import * as core from './outbox-core.js';

const changeFns = new Set();
let entries = [];
let inFlight = null;
let timer = null;
let started = null;
let pumping = false;
let again = false;

function notify() {
  changeFns.forEach((fn) => fn());
}

async function reload() {
  try { entries = await core.forms(); } catch { /* storage gone: keep the last copy */ }
  notify();
}

export const list = () => entries;
export const sending = () => inFlight;
export const isOffline = () => navigator.onLine === false;

// fn() after every change; returns an unsubscribe function.
export function onChange(fn) {
  changeFns.add(fn);
  fn();
  return () => changeFns.delete(fn);
}

export const { uuid } = core;

// Asks the service worker to send when the phone is online again, where the
// browser has Background Sync (Chromium); elsewhere the open page sends.
async function askBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    await reg?.sync?.register(core.SYNC_TAG);
  } catch { /* no permission or no support: the page sends */ }
}

// Stores a form (a POST /api/v1/forms body without submission_id) and starts
// sending it. Resolves to the stored entry, whose id is its submission_id;
// rejects when the form could not be stored (then nothing was queued).
export async function add(form, token) {
  const entry = await core.putNew(core.newEntry(form, token));
  await reload();
  askBackgroundSync();
  pump();
  return entry;
}

export async function retry(id, token) {
  await core.retryForm(id, token);
  await reload();
  pump();
}

export async function remove(id) {
  await core.removeForm(id);
  await reload();
}

export async function sendNow() {
  await core.allDueNow();
  await reload();
  pump();
}

export async function addPhotos(blobs, token) {
  const hashes = await core.addPhotos(blobs, token);
  askBackgroundSync();
  pump();
  return hashes;
}

export const photos = core.photos;
export const photoBlob = core.photoBlob;
export const { draftPages, saveDraftPages } = core;

// One sender loop per page; a call while it runs makes it run once more.
async function pump() {
  if (pumping) { again = true; return; }
  pumping = true;
  clearTimeout(timer);
  timer = null;
  let result;
  try {
    do {
      again = false;
      result = await core.sendDue();
    } while (again);
  } catch {
    result = { waiting: true, nextAt: Date.now() + 5000 };
  } finally {
    pumping = false;
  }
  await reload();
  if (result.busy || result.offline || !result.waiting) return; // another sender, or the online event
  timer = setTimeout(pump, Math.max(0, (result.nextAt ?? Date.now()) - Date.now()));
  if (result.nextAt > Date.now()) askBackgroundSync();
}

function onMessage(msg) {
  if (msg?.type === 'sending') inFlight = msg.id;
  reload();
  if (msg?.type === 'changed' && !pumping && !timer) pump();
}

// Starts sending what is waiting, now and whenever it is due; idempotent.
export function start() {
  started ??= (async () => {
    try { await core.migrateLegacy(localStorage); } catch { /* kept in localStorage for next time */ }
    try {
      const ch = new BroadcastChannel(core.CHANNEL);
      ch.onmessage = (ev) => onMessage(ev.data);
    } catch { /* one tab only */ }
    window.addEventListener('online', () => { notify(); sendNow(); });
    window.addEventListener('offline', notify);
    await reload();
    pump();
  })();
  return started;
}
