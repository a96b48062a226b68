// The outbox's storage and sender, without any DOM: the page (outbox.js) and
// the service worker (sw.js) both use it, so a form is sent by whichever is
// alive when the phone gets a signal.
//
// Storage is IndexedDB, database "suara", three object stores:
//   forms  {id, body, token, createdAt, state: "waiting"|"sent"|"failed",
//           attempts, nextAt, lastError, receipt, sentAt}   key: id
//          (id is the form's submission_id, the server's idempotency key)
//   photos {sha256, blob, type, bytes, token, createdAt,
//           state: "waiting"|"sent"|"failed", attempts, nextAt, lastError}
//          key: sha256 (the same photo twice is stored once)
//   drafts {key, pages: [Blob], savedAt}   key: the draft's key (entry.js,
//          one per TPS and contest): the pages photographed for a form not
//          sent yet, in page order; gone once sent (they are then photos)
//
// A form is stored BEFORE the first attempt and sent again with the same
// submission_id until the server answers 201 or 200 ("sent", with the
// receipt) or a final 4xx ("failed", shown to the witness). No answer, 408,
// 429 and 5xx mean: try again later, with exponential backoff and jitter
// (at least the server's Retry-After). While the browser says it is offline
// nothing is tried at all: the "online" event starts the sender again.
// Forms go out one at a time, oldest first, so a correction never overtakes
// the form it corrects; photos go after the forms (a form may arrive before
// its photos). One sender at a time across tabs and the service worker (a
// Web Lock); every change is announced on the BroadcastChannel "suara-outbox".

import { request } from './api.js';
import { errorText } from './labels.js';

const DB_NAME = 'suara';
const DB_VERSION = 2; // 2: drafts
const FORMS = 'forms';
const PHOTOS = 'photos';
const DRAFTS = 'drafts';
const LEGACY_KEY = 'suara.outbox.v1'; // the localStorage outbox of earlier versions
export const CHANNEL = 'suara-outbox';
export const SYNC_TAG = 'suara-outbox';
const LOCK = 'suara-outbox-sender';

const BACKOFF_MIN_MS = 2000;
const BACKOFF_MAX_MS = 60000;
const SEND_TIMEOUT_MS = 20000;
const PHOTO_TIMEOUT_MS = 120000;
const SENT_KEPT = 30; // sent forms kept for their receipts

let dbPromise = null;
let channel = null;

function announce(msg) {
  try {
    channel ??= new BroadcastChannel(CHANNEL);
    channel.postMessage(msg);
  } catch { /* no BroadcastChannel: this context alone */ }
}

const done = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

const finished = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onerror = () => reject(tx.error);
  tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
});

export function openDb() {
  dbPromise ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(FORMS)) db.createObjectStore(FORMS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(PHOTOS)) db.createObjectStore(PHOTOS, { keyPath: 'sha256' });
      if (!db.objectStoreNames.contains(DRAFTS)) db.createObjectStore(DRAFTS, { keyPath: 'key' });
    };
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => { db.close(); dbPromise = null; };
      resolve(db);
    };
    req.onerror = () => { dbPromise = null; reject(req.error); };
    req.onblocked = () => { dbPromise = null; reject(new Error('outbox database blocked')); };
  });
  return dbPromise;
}

async function tx(stores, mode, fn) {
  const db = await openDb();
  const t = db.transaction(stores, mode);
  const result = fn(t);
  await finished(t);
  return result;
}

const byAge = (a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1);

// Every form entry, oldest first.
export async function forms() {
  const db = await openDb();
  const all = await done(db.transaction(FORMS).objectStore(FORMS).getAll());
  return all.sort(byAge);
}

// Every photo entry without its blob (see photoBlob), oldest first.
export async function photos() {
  const db = await openDb();
  const all = await done(db.transaction(PHOTOS).objectStore(PHOTOS).getAll());
  return all.map(({ blob, ...rest }) => rest).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
}

export async function photoBlob(sha256) {
  const db = await openDb();
  const p = await done(db.transaction(PHOTOS).objectStore(PHOTOS).get(sha256));
  return p?.blob || null;
}

// Changes one stored form in a transaction of its own; answers the entry
// after the change, or null when it is gone.
async function updateForm(id, fn) {
  let entry = null;
  await tx([FORMS], 'readwrite', (t) => {
    const store = t.objectStore(FORMS);
    store.get(id).onsuccess = (ev) => {
      const e = ev.target.result;
      if (!e) return;
      fn(e);
      store.put(e);
      entry = e;
    };
  });
  announce({ type: 'changed' });
  return entry;
}

async function updatePhoto(sha256, fn) {
  await tx([PHOTOS], 'readwrite', (t) => {
    const store = t.objectStore(PHOTOS);
    store.get(sha256).onsuccess = (ev) => {
      const p = ev.target.result;
      if (!p) return;
      fn(p);
      store.put(p);
    };
  });
  announce({ type: 'changed' });
}

// A random UUID; crypto.randomUUID exists only on https and localhost pages.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function newEntry(form, token, id = uuid()) {
  return {
    id, body: { submission_id: id, ...form }, token, createdAt: new Date().toISOString(),
    state: 'waiting', attempts: 0, nextAt: 0, lastError: null, receipt: null, sentAt: null,
  };
}

// Stores a new entry; rejects (nothing stored) when the storage is full.
export async function putNew(entry) {
  await tx([FORMS], 'readwrite', (t) => t.objectStore(FORMS).add(entry));
  announce({ type: 'changed' });
  return entry;
}

export async function removeForm(id) {
  await tx([FORMS], 'readwrite', (t) => t.objectStore(FORMS).delete(id));
  announce({ type: 'changed' });
}

// A failed or waiting form goes out at the next pump (with `token` if given:
// a form refused for its token stored nothing, so its submission_id is free).
export function retryForm(id, token) {
  return updateForm(id, (e) => {
    if (e.state === 'sent') return;
    e.state = 'waiting';
    e.nextAt = 0;
    if (token) e.token = token;
  });
}

// Everything waiting is due now rather than at its next backoff time.
export async function allDueNow() {
  await tx([FORMS, PHOTOS], 'readwrite', (t) => {
    for (const name of [FORMS, PHOTOS]) {
      const store = t.objectStore(name);
      store.getAll().onsuccess = (ev) => {
        for (const e of ev.target.result) if (e.state === 'waiting' && e.nextAt) { e.nextAt = 0; store.put(e); }
      };
    }
  });
  announce({ type: 'changed' });
}

const hex = (buf) => [...new Uint8Array(buf)].map((x) => x.toString(16).padStart(2, '0')).join('');

// Stores photo blobs (Blob or File, image/jpeg|png|webp) to be sent with
// `token`, and answers their lower-case hex SHA-256 in the same order: the
// values for a form's "photos" field. A photo stored already is kept as it
// is. Rejects when the storage is full or the page is not a secure context
// (no crypto.subtle): then nothing of this call was stored.
export async function addPhotos(blobs, token) {
  if (!crypto.subtle) throw new Error('photos need a secure context (https)');
  const rows = [];
  for (const blob of blobs) {
    rows.push({
      sha256: hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())),
      blob, type: blob.type, bytes: blob.size, token, createdAt: new Date().toISOString(),
      state: 'waiting', attempts: 0, nextAt: 0, lastError: null,
    });
  }
  await tx([PHOTOS], 'readwrite', (t) => {
    const store = t.objectStore(PHOTOS);
    for (const row of rows) {
      store.get(row.sha256).onsuccess = (ev) => { if (!ev.target.result) store.add(row); };
    }
  });
  announce({ type: 'changed' });
  return rows.map((r) => r.sha256);
}

// The pages of a draft form (camera.js), in page order: [] when none.
export async function draftPages(key) {
  const db = await openDb();
  return (await done(db.transaction(DRAFTS).objectStore(DRAFTS).get(key)))?.pages || [];
}

// Replaces the pages of a draft (none: forgets the draft's pages).
// Rejects when the storage is full; the pages stored before are then kept.
export async function saveDraftPages(key, pages) {
  await tx([DRAFTS], 'readwrite', (t) => {
    const store = t.objectStore(DRAFTS);
    if (pages.length) store.put({ key, pages, savedAt: new Date().toISOString() });
    else store.delete(key);
  });
}

// Moves the localStorage outbox of earlier versions into IndexedDB, each
// entry with its own id (= submission_id), then forgets the old copy. Safe to
// repeat and to run in two tabs at once (put by id).
export async function migrateLegacy(storage) {
  let old;
  try { old = JSON.parse(storage.getItem(LEGACY_KEY)); } catch { old = null; }
  if (!Array.isArray(old) || !old.length) return 0;
  // The key is the submission_id the server has seen, if it saw any.
  const rows = old.filter((e) => e && e.body && typeof (e.body.submission_id || e.id) === 'string')
    .map((e) => {
      const id = e.body.submission_id || e.id;
      return { ...e, id, body: { ...e.body, submission_id: id } };
    });
  await tx([FORMS], 'readwrite', (t) => {
    const store = t.objectStore(FORMS);
    for (const e of rows) {
      store.get(e.id).onsuccess = (ev) => { if (!ev.target.result) store.put({ ...e, nextAt: 0 }); };
    }
  });
  storage.removeItem(LEGACY_KEY);
  announce({ type: 'changed' });
  return rows.length;
}

const retryable = (s) => s === 0 || s === 408 || s === 429 || s >= 500;
const offline = () => typeof navigator !== 'undefined' && navigator.onLine === false;

function backoff(attempts) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempts - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

// Applies a server's answer (or its absence) to a waiting entry.
function settle(e, reply, onDone) {
  if (e.state !== 'waiting') return;
  if (reply.status === 200 || reply.status === 201) {
    e.state = 'sent';
    e.lastError = null;
    onDone(e);
  } else if (retryable(reply.status)) {
    e.attempts += 1;
    e.nextAt = Date.now() + Math.max(reply.retryAfter * 1000, backoff(e.attempts));
    e.lastError = { status: reply.status, text: errorText(reply), offline: offline() };
  } else {
    e.state = 'failed';
    e.lastError = {
      status: reply.status, text: errorText(reply), code: reply.data?.error?.code || null,
      details: reply.data?.error?.details || [],
    };
  }
}

async function dropOldSent() {
  const sent = (await forms()).filter((e) => e.state === 'sent')
    .sort((a, b) => (a.sentAt < b.sentAt ? -1 : 1));
  const drop = sent.slice(0, Math.max(0, sent.length - SENT_KEPT));
  if (!drop.length) return;
  await tx([FORMS], 'readwrite', (t) => drop.forEach((e) => t.objectStore(FORMS).delete(e.id)));
}

async function sendForm(e) {
  announce({ type: 'sending', id: e.id });
  const reply = await request('POST', '/api/v1/forms', { body: e.body, token: e.token, timeout: SEND_TIMEOUT_MS });
  await updateForm(e.id, (x) => settle(x, reply, (y) => { y.receipt = reply.data; y.sentAt = new Date().toISOString(); }));
  announce({ type: 'sending', id: null });
  if (reply.status === 200 || reply.status === 201) await dropOldSent();
  return reply.status !== 0;
}

async function sendPhoto(p) {
  const db = await openDb();
  const row = await done(db.transaction(PHOTOS).objectStore(PHOTOS).get(p.sha256));
  let reply;
  try {
    const res = await fetch(`/api/v1/photos/${p.sha256}`, {
      method: 'PUT', body: row.blob, cache: 'no-store', signal: AbortSignal.timeout(PHOTO_TIMEOUT_MS),
      headers: { 'Content-Type': row.type, Authorization: `Bearer ${row.token}` },
    });
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    reply = { status: res.status, data, retryAfter: Number(res.headers.get('Retry-After')) || 0 };
  } catch {
    reply = { status: 0, data: null, retryAfter: 0, error: 'network' };
  }
  // A sent photo's bytes are on the server: keep only the record.
  await updatePhoto(p.sha256, (x) => settle(x, reply, (y) => { y.blob = null; y.sentAt = new Date().toISOString(); }));
  return reply.status !== 0;
}

async function sendDueUnlocked() {
  if (offline()) return { waiting: true, nextAt: null, offline: true };
  for (;;) {
    const now = Date.now();
    // Only the oldest waiting form may go: a later one never overtakes it.
    const head = (await forms()).find((e) => e.state === 'waiting');
    const due = (head && head.nextAt <= now ? head : null)
      || (await photos()).find((p) => p.state === 'waiting' && p.nextAt <= now);
    if (!due) break;
    const reached = due.body ? await sendForm(due) : await sendPhoto(due);
    if (!reached) break; // the server is out of reach: everything else waits its turn
  }
  const waiting = [...(await forms()), ...(await photos())].filter((e) => e.state === 'waiting');
  const nextAt = waiting.length ? Math.min(...waiting.map((e) => e.nextAt)) : null;
  return { waiting: waiting.length > 0, nextAt, offline: offline() };
}

// Sends everything that is due, one at a time, and answers {waiting, nextAt,
// offline}: whether anything still waits and when the next attempt is due.
// When another context holds the sender, answers {busy: true} at once.
export async function sendDue() {
  if (typeof navigator !== 'undefined' && navigator.locks) {
    return navigator.locks.request(LOCK, { ifAvailable: true },
      (lock) => (lock ? sendDueUnlocked() : { busy: true }));
  }
  return sendDueUnlocked();
}
