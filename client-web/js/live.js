// The live feed: one WebSocket to /api/v1/live on the page's origin (ws: or
// wss: as the page), shared by every view. subscribe(contest, region, fn)
// calls fn with each "snapshot" and "update" message of that tally node.
// The socket reconnects by itself with exponential backoff and jitter and
// subscribes again to everything, and the server then sends fresh snapshots.
// Each message's "mode" goes to api.js's noteMode (the SIMULASI banner).
// State for the user: "idle" (nothing subscribed), "connecting", "open",
// "retrying", "offline" (several attempts failed or the browser is offline).
// The browser's offline event turns an open socket "offline" at once: the
// socket may look open for minutes after the network went away, and a page
// saying "connected" then would be lying. Back online, the socket is closed
// and opened again, so the server sends fresh snapshots of everything.
import { readToken } from './tokens.js';
import { noteMode } from './api.js';

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const OFFLINE_AFTER = 3; // failed attempts before the state says "offline"

const subs = new Map(); // "contest|region" -> {contest, region, fns: Set}
const stateFns = new Set();
let ws = null;
let state = 'idle';
let failures = 0;
let retryTimer = null;
let lastMessageAt = null;

const key = (contest, region) => `${contest}|${region}`;

function setState(next) {
  if (next === state) return;
  state = next;
  stateFns.forEach((fn) => fn(state, lastMessageAt));
}

export const liveState = () => state;
// When the last message of any subscription arrived (a Date), or null.
export const lastMessage = () => lastMessageAt;

// fn(state, lastMessageAt) on every change; returns an unsubscribe function.
export function onState(fn) {
  stateFns.add(fn);
  fn(state, lastMessageAt);
  return () => stateFns.delete(fn);
}

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (ws || subs.size === 0) return;
  setState(failures >= OFFLINE_AFTER ? 'offline' : failures ? 'retrying' : 'connecting');
  const token = readToken(); // needed only when the server keeps reads private
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/v1/live` +
    (token ? `?token=${encodeURIComponent(token)}` : '');
  const sock = new WebSocket(url);
  ws = sock;
  sock.onopen = () => {
    failures = 0;
    setState(navigator.onLine ? 'open' : 'offline');
    for (const s of subs.values()) send({ type: 'subscribe', contest: s.contest, region: s.region });
  };
  sock.onmessage = (e) => onMessage(e.data);
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = null;
    if (subs.size === 0) { setState('idle'); return; }
    failures += 1;
    setState(failures >= OFFLINE_AFTER || !navigator.onLine ? 'offline' : 'retrying');
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
  };
}

function onMessage(text) {
  let msg;
  try { msg = JSON.parse(text); } catch { return; }
  if (msg.type === 'error') {
    // "not_ready": the server is still loading; ask again shortly.
    if (msg.code === 'not_ready') setTimeout(() => {
      for (const s of subs.values()) send({ type: 'subscribe', contest: s.contest, region: s.region });
    }, 2000);
    else console.warn('live:', msg.code, msg.message);
    return;
  }
  noteMode(msg.mode); // every message says test or live
  const s = subs.get(key(msg.contest, msg.region));
  if (!s) return;
  lastMessageAt = new Date();
  if (state === 'offline' && navigator.onLine) setState('open');
  s.fns.forEach((fn) => fn(msg));
}

// Listens to one tally node; returns the function that stops listening.
export function subscribe(contest, region, fn) {
  const k = key(contest, region);
  let s = subs.get(k);
  if (!s) {
    s = { contest, region, fns: new Set() };
    subs.set(k, s);
    send({ type: 'subscribe', contest, region });
  }
  s.fns.add(fn);
  if (ws && navigator.onLine) setState(ws.readyState === WebSocket.OPEN ? 'open' : 'connecting');
  else connect();
  return () => {
    s.fns.delete(fn);
    if (s.fns.size || subs.get(k) !== s) return;
    subs.delete(k);
    send({ type: 'unsubscribe', contest, region });
    if (subs.size === 0) {
      clearTimeout(retryTimer);
      setState('idle');
    }
  };
}

// Back online, or the tab is shown again: try now instead of waiting.
function retryNow() {
  if (!ws && subs.size) { failures = Math.min(failures, 1); connect(); }
}
window.addEventListener('online', () => {
  if (ws && state === 'offline') { // drop the socket that lived through the outage
    const old = ws;
    ws = null;
    old.onclose = null;
    old.onmessage = null;
    old.close();
    failures = 0;
  }
  retryNow();
});
document.addEventListener('visibilitychange', () => { if (!document.hidden) retryNow(); });
window.addEventListener('offline', () => { if (state !== 'idle') setState('offline'); });
