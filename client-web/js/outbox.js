// The witness's outbox: forms waiting to reach the server, kept in
// localStorage so that neither a weak connection, a server restart nor a
// reload of the page loses one.
//
// A form is written here with its submission_id BEFORE the first attempt and
// is sent again with the same submission_id (the server's idempotency key)
// until the server answers 201 or 200 (state "sent", with the receipt) or a
// final 4xx such as 422, 409, 403 or 401 (state "failed", shown to the
// witness). No answer, a timeout, 408, 429 and 5xx mean: try again later, with
// exponential backoff and jitter (at least the Retry-After the server gave).
// Forms go out one at a time, oldest first, so a correction never overtakes
// the form it corrects. Entries:
//   {id, body, token, createdAt, state: "waiting"|"sent"|"failed",
//    attempts, nextAt, lastError: {status, text}, receipt, sentAt}

import { request } from './api.js';
import { errorText } from './labels.js';

const KEY = 'suara.outbox.v1';
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const SEND_TIMEOUT_MS = 20000;
const SENT_KEPT = 30;

const changeFns = new Set();
let inFlight = null;
let timer = null;
let started = false;

function load() {
  try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch { return []; }
}

function save(entries) {
  const sent = entries.filter((e) => e.state === 'sent');
  const drop = new Set(sent.slice(0, Math.max(0, sent.length - SENT_KEPT)).map((e) => e.id));
  localStorage.setItem(KEY, JSON.stringify(entries.filter((e) => !drop.has(e.id))));
  notify();
}

// Reads the list afresh (another tab may have written), changes one entry.
function update(id, fn) {
  const entries = load();
  const e = entries.find((x) => x.id === id);
  if (!e) return null;
  fn(e);
  save(entries);
  return e;
}

function notify() {
  changeFns.forEach((fn) => fn());
}

export const list = load;
export const sending = () => inFlight;

// fn() after every change; returns an unsubscribe function.
export function onChange(fn) {
  changeFns.add(fn);
  fn();
  return () => changeFns.delete(fn);
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

// Stores a form (a POST /api/v1/forms body without submission_id) and starts
// sending it. Returns the stored entry; its id is the submission_id.
export function add(form, token) {
  const id = uuid();
  const entry = {
    id, body: { submission_id: id, ...form }, token, createdAt: new Date().toISOString(),
    state: 'waiting', attempts: 0, nextAt: 0, lastError: null, receipt: null, sentAt: null,
  };
  const entries = load();
  entries.push(entry);
  save(entries); // throws when storage is full: then nothing was queued
  pump();
  return entry;
}

// Sends a failed or waiting form again now (with `token` if given, for a form
// refused because of its token; nothing was stored for it, so the same
// submission_id is still free).
export function retry(id, token) {
  update(id, (e) => {
    if (e.state === 'sent') return;
    e.state = 'waiting';
    e.nextAt = 0;
    if (token) e.token = token;
  });
  pump();
}

export function remove(id) {
  save(load().filter((e) => e.id !== id));
}

// Everything waiting is tried now rather than at its next backoff time.
export function sendNow() {
  const entries = load();
  entries.forEach((e) => { if (e.state === 'waiting') e.nextAt = 0; });
  save(entries);
  pump();
}

const retryable = (s) => s === 0 || s === 408 || s === 429 || s >= 500;

function backoff(attempts) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempts - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function settle(id, reply) {
  update(id, (e) => {
    if (e.state !== 'waiting') return;
    if (reply.status === 200 || reply.status === 201) {
      e.state = 'sent';
      e.receipt = reply.data;
      e.sentAt = new Date().toISOString();
      e.lastError = null;
    } else if (retryable(reply.status)) {
      e.attempts += 1;
      e.nextAt = Date.now() + Math.max(reply.retryAfter * 1000, backoff(e.attempts));
      e.lastError = { status: reply.status, text: errorText(reply) };
    } else {
      e.state = 'failed';
      e.lastError = {
        status: reply.status, text: errorText(reply), code: reply.data?.error?.code || null,
        details: reply.data?.error?.details || [],
      };
    }
  });
}

async function pump() {
  if (inFlight) return;
  clearTimeout(timer);
  timer = null;
  const next = load().find((e) => e.state === 'waiting');
  if (!next) return;
  const wait = next.nextAt - Date.now();
  if (wait > 0) {
    timer = setTimeout(pump, wait);
    return;
  }
  inFlight = next.id;
  notify();
  let reply;
  try {
    reply = await request('POST', '/api/v1/forms', { body: next.body, token: next.token, timeout: SEND_TIMEOUT_MS });
  } finally {
    inFlight = null;
  }
  settle(next.id, reply);
  pump();
}

// Starts sending what is waiting, now and whenever it is due; idempotent.
export function start() {
  if (started) return;
  started = true;
  window.addEventListener('online', sendNow);
  window.addEventListener('storage', (e) => { if (e.key === KEY) { notify(); pump(); } });
  pump();
}
