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
//
// With `suara serve --live-listen` (GET /api/v1/status: live_port) the same
// feed is read on that port of the page's host, from the server's live thread.
//
// When the server names nchan edges (GET /api/v1/status: live_url, from
// `suara serve --live-url`), the feed is read there instead: one WebSocket per
// node at LIVE_URL/{contest}/{region}, each message the node's full state.
// The edge may repeat or reorder messages, so a node keeps the highest seq:
// the first message is handed on as a "snapshot", a newer one as an "update"
// with only the children that moved since (their seq is newer), an older or
// repeated one not at all; exactly what the server's own feed sends.
import { readToken } from './tokens.js';
import { noteMode, status } from './api.js';

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
let edgeBase; // undefined: not asked yet; null: this server's own feed; else the edges' URL
let livePort = null; // this server's feed on its live thread's port (--live-listen), same host
let asking = null;

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

// Asks the server once per page where the feed is (the status answer that
// app.js asked for at start, shared); a server out of reach is a failed
// attempt like a socket that does not open.
function askWhere() {
  asking ??= status()
    .then((r) => {
      if (r.status === 0 || r.status === 503) throw new Error('status'); // not reached, or loading
      // Anything but a 200 (a server of before --live-url): its own feed.
      edgeBase = r.status === 200 && typeof r.data?.live_url === 'string' ? wsUrl(r.data.live_url) : null;
      livePort = r.status === 200 && Number.isInteger(r.data?.live_port) ? r.data.live_port : null;
    })
    .finally(() => { asking = null; });
  return asking;
}

// ws: or wss: as the page for a path on this origin; http(s) as ws(s).
function wsUrl(url) {
  const page = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (url.startsWith('/')) return `${page}//${location.host}${url}`;
  return url.replace(/^http(s?):/, 'ws$1:');
}

function retryLater() {
  failures += 1;
  setState(failures >= OFFLINE_AFTER || !navigator.onLine ? 'offline' : 'retrying');
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (subs.size === 0 || asking) return;
  if (edgeBase === undefined) {
    setState(failures >= OFFLINE_AFTER ? 'offline' : failures ? 'retrying' : 'connecting');
    askWhere().then(connect, retryLater);
    return;
  }
  if (edgeBase) { for (const s of subs.values()) openEdge(s); return; }
  if (ws) return;
  setState(failures >= OFFLINE_AFTER ? 'offline' : failures ? 'retrying' : 'connecting');
  const token = readToken(); // needed only when the server keeps reads private
  const host = livePort ? `${location.hostname}:${livePort}` : location.host;
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/api/v1/live` +
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
    retryLater();
  };
}

// ---- nchan edges: a socket per node --------------------------------------

// The state of every node's socket together: open only when all are.
function edgeState() {
  if (subs.size === 0) return 'idle';
  if (!navigator.onLine) return 'offline';
  let open = 0;
  let worst = 0;
  for (const s of subs.values()) {
    if (s.sock && s.sock.readyState === WebSocket.OPEN) open += 1;
    worst = Math.max(worst, s.failures);
  }
  if (open === subs.size) return 'open';
  return worst >= OFFLINE_AFTER ? 'offline' : worst ? 'retrying' : 'connecting';
}

function openEdge(s) {
  if (s.sock || subs.get(key(s.contest, s.region)) !== s) return;
  clearTimeout(s.retryTimer);
  const sock = new WebSocket(`${edgeBase}/${encodeURIComponent(s.contest)}/${encodeURIComponent(s.region)}`);
  s.sock = sock;
  setState(edgeState());
  sock.onopen = () => { s.failures = 0; setState(edgeState()); };
  sock.onmessage = (e) => onEdgeMessage(s, e.data);
  sock.onclose = () => {
    if (s.sock !== sock) return;
    s.sock = null;
    if (subs.get(key(s.contest, s.region)) !== s) return;
    s.failures += 1;
    setState(edgeState());
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (s.failures - 1));
    s.retryTimer = setTimeout(() => openEdge(s), ceiling / 2 + Math.random() * (ceiling / 2));
  };
}

function closeEdge(s) {
  clearTimeout(s.retryTimer);
  const sock = s.sock;
  s.sock = null;
  if (!sock) return;
  sock.onclose = null;
  sock.onmessage = null;
  sock.close();
}

// A node's full state from the edge, as the server's own feed would say it.
function onEdgeMessage(s, text) {
  let node;
  try { node = JSON.parse(text); } catch { return; }
  if (typeof node?.seq !== 'number') return;
  // A new election mode starts its seqs again (the rehearsal's data is gone).
  const fresh = s.seq < 0 || node.mode !== s.mode;
  if (!fresh && node.seq <= s.seq) return;
  const since = s.seq;
  s.seq = node.seq;
  s.mode = node.mode;
  const msg = fresh
    ? { ...node, type: 'snapshot' }
    : { ...node, type: 'update', children: (node.children || []).filter((c) => c.seq > since) };
  noteMode(node.mode);
  lastMessageAt = new Date();
  setState(edgeState());
  s.fns.forEach((fn) => fn(msg));
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
    s = { contest, region, fns: new Set(), sock: null, failures: 0, retryTimer: null, seq: -1, mode: null };
    subs.set(k, s);
    if (!edgeBase) send({ type: 'subscribe', contest, region });
  }
  s.fns.add(fn);
  if (edgeBase) openEdge(s);
  else if (ws && navigator.onLine) setState(ws.readyState === WebSocket.OPEN ? 'open' : 'connecting');
  else connect();
  return () => {
    s.fns.delete(fn);
    if (s.fns.size || subs.get(k) !== s) return;
    subs.delete(k);
    if (edgeBase) closeEdge(s);
    else send({ type: 'unsubscribe', contest, region });
    if (subs.size === 0) {
      clearTimeout(retryTimer);
      setState('idle');
    }
  };
}

// Back online, or the tab is shown again: try now instead of waiting.
function retryNow() {
  if (edgeBase) {
    for (const s of subs.values()) if (!s.sock) { s.failures = Math.min(s.failures, 1); openEdge(s); }
    return;
  }
  if (!ws && subs.size) { failures = Math.min(failures, 1); connect(); }
}
window.addEventListener('online', () => {
  if (edgeBase && state === 'offline') { // the edges send the newest state again on a new socket
    for (const s of subs.values()) { closeEdge(s); s.failures = 0; }
  }
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
