// The HTTP side of the server's API, on the page's own origin. request()
// never throws: it answers {status, data, retryAfter} where status 0 means
// the server was not reached (error "network" or "timeout").
import { readToken } from './tokens.js';

const TIMEOUT_MS = 15000;

// The requests js/early.js sent before the bundle ran ({path, token, reply}),
// each taken once by the first request for the same path and token; the
// empty list it leaves when early.js has not run tells early.js, if it runs
// later, that it is too late to send anything.
const early = (globalThis.suaraEarly ||= []);

function takeEarly(method, path, token) {
  if (method !== 'GET') return null;
  const i = early.findIndex((e) => e.path === path && e.token === (token || ''));
  return i < 0 ? null : early.splice(i, 1)[0].reply;
}

export async function request(method, path, { body, token, timeout = TIMEOUT_MS } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout);
  try {
    const res = await (takeEarly(method, path, token) || fetch(path, {
      method, headers, signal: abort.signal, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    }));
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    const retryAfter = Number(res.headers.get('Retry-After')) || 0;
    // A copy the service worker stored (suara-stored-at) may be older than a
    // switch to live: only the server's own answers say the mode.
    if (!res.headers.get('suara-stored-at')) noteMode(res.headers.get('Suara-Mode'));
    return { status: res.status, data, retryAfter };
  } catch (e) {
    return { status: 0, data: null, retryAfter: 0, error: abort.signal.aborted || e?.name === 'TimeoutError' ? 'timeout' : 'network' };
  } finally {
    clearTimeout(timer);
  }
}

// The election's mode, "test" (a rehearsal) or "live": every read the page
// makes and every live message says it (noteMode), and status() asks once
// per page load, so a page that reads nothing else still knows. Listeners
// hear each change; going live is a change an open page must show.
let mode = null;
const modeListeners = [];

export function noteMode(next) {
  if ((next !== 'test' && next !== 'live') || next === mode) return;
  mode = next;
  modeListeners.forEach((fn) => fn(mode));
}

export function onMode(fn) {
  modeListeners.push(fn);
  if (mode) fn(mode);
}

let statusPromise = null;

// GET /api/v1/status ({mode, final, live_url, live_port, log}) as request() answers it,
// asked once per page load and shared: app.js for the mode, live.js for
// where the live feed is, the admin page for the final regions. A reply
// other than a 200 is not kept (the next caller asks again); fresh = true
// asks again anyway (after a finalisation, or a page back into view).
export function status({ fresh = false } = {}) {
  if (fresh || !statusPromise) {
    const asked = request('GET', '/api/v1/status', { token: readToken() || undefined, timeout: 5000 });
    statusPromise = asked;
    asked.then((r) => {
      if (r.status === 200 && r.data) noteMode(r.data.mode);
      else if (statusPromise === asked) statusPromise = null;
    });
  }
  return statusPromise;
}

export class ApiError extends Error {
  constructor(reply) {
    super(reply.data?.error?.message || reply.error || `HTTP ${reply.status}`);
    this.reply = reply;
    this.status = reply.status;
  }
}

const READ_RETRIES_MS = [1000, 3000]; // a weak connection, or a server still loading

// GET that answers the parsed body of a 200, or throws ApiError. No answer
// and 503 are tried again a couple of times first (reads are harmless).
export async function get(path, opts = {}) {
  opts = { ...opts, token: opts.token || readToken() || undefined };
  let reply = await request('GET', path, opts);
  for (const wait of READ_RETRIES_MS) {
    if (reply.status !== 0 && reply.status !== 503) break;
    if (navigator.onLine === false) break; // no signal: waiting would not help
    await new Promise((r) => setTimeout(r, Math.max(wait, reply.retryAfter * 1000)));
    reply = await request('GET', path, opts);
  }
  if (reply.status !== 200) throw new ApiError(reply);
  return reply.data;
}

const enc = encodeURIComponent;
let contestsPromise = null;

// The contests never change while the server runs: asked once per page load.
export function contests() {
  contestsPromise ??= get('/api/v1/contests').catch((e) => { contestsPromise = null; throw e; });
  return contestsPromise;
}

export const region = (code) => get(`/api/v1/regions/${enc(code)}`);
// What a token may do: {role, scope, scope_level, ...}; throws ApiError.
export const whoami = (token) => get('/api/v1/whoami', { token });
export const tally = (contest, code) => get(`/api/v1/tally/${enc(contest)}/${enc(code)}`);
export const tps = (code) => get(`/api/v1/tps/${enc(code)}`);
export const exportUrl = (contest, level) => `/api/v1/export/${enc(contest)}.csv?level=${level}`;

// True when region `code` lies inside the contest's region (or is it).
export function covers(contest, code) {
  return code === contest.region || code.startsWith(`${contest.region}.`);
}
