// Who the witness is, as the server says (GET /api/v1/whoami), for the
// witness page: a token is checked before it is saved (a wrong one refused
// at once), the answer is kept on the phone so the page knows its scope with
// no signal, the regions of a small scope are fetched once (so the service
// worker holds them for offline use), and a token can come in a link
// (/saksi#t=TOKEN, e.g. from the QR code on a printed card).

import { h } from './dom.js';
import * as api from './api.js';
import { controlled } from './appshell.js';

const KNOWN = 'suara.witness.whoami'; // {token, who}

// The token of a /saksi#t=TOKEN link, removed from the address bar and from
// this history entry at once (so it is neither shown nor shared); '' if none.
export function takeLinkToken() {
  const m = /^#t=([^&]+)/.exec(location.hash);
  if (!m) return '';
  history.replaceState(history.state, '', location.pathname + location.search);
  try { return decodeURIComponent(m[1]).trim(); } catch { return ''; }
}

function remember(token, who) {
  try { localStorage.setItem(KNOWN, JSON.stringify({ token, who, at: Date.now() })); } catch { /* full: asked again next time */ }
}

// The last whoami answer for this token, or null.
export function known(token) {
  try {
    const k = JSON.parse(localStorage.getItem(KNOWN));
    return k && k.token === token ? k.who : null;
  } catch { return null; }
}

const LEVEL = { province: 'provinsi', kabupaten: 'kabupaten/kota', kecamatan: 'kecamatan', desa: 'desa/kelurahan', tps: 'TPS' };

// What the page shows under a saved token: name, scope and contests.
export function whoCard(who, contests) {
  const mine = (contests || []).filter((c) => api.covers(c, who.scope) || c.region.startsWith(`${who.scope}.`));
  return h('div.whoami', { 'data-k': 'whoami' },
    h('p', {}, h('strong', { 'data-k': 'name', text: who.name || 'Saksi' }), ` · ${who.role === 'witness' ? 'saksi' : who.role}`),
    h('p', {}, `Wilayah: ${who.scope_level === 'tps' ? '' : `${LEVEL[who.scope_level] || who.scope_level} `}`,
      h('strong', { 'data-k': 'scope', text: `${who.scope_name} (${who.scope})` })),
    mine.length ? h('p', { 'data-k': 'contests' }, `Pemilihan: ${mine.map((c) => c.title).join('; ')}`) : null);
}

// GET /api/v1/whoami for a token, asked once however many parts of the page
// want it within a few seconds: the page starts the question as it opens
// (askWho), beside the contests, instead of one round trip after the other.
const ASK_REUSE_MS = 10000;
const asked = new Map(); // token -> {reply: Promise, at}

export function askWho(token) {
  if (!token) return null;
  const prev = asked.get(token);
  if (prev && Date.now() - prev.at < ASK_REUSE_MS) return prev.reply;
  const reply = api.request('GET', '/api/v1/whoami', { token }).then((r) => {
    if (r.status === 0) asked.delete(token); // not reached: ask again next time
    return r;
  });
  asked.set(token, { reply, at: Date.now() });
  return reply;
}

// A tokenCard check: {ok, info} or {ok: false, message}. Offline, the token
// is kept unchecked (the server checks it when the form goes out).
export async function checkToken(token, contests) {
  const reply = await askWho(token);
  if (reply.status === 200) {
    remember(token, reply.data);
    return { ok: true, info: whoCard(reply.data, contests) };
  }
  if (reply.status === 401) return { ok: false, message: 'Token tidak dikenal server. Periksa lagi huruf demi huruf, atau pindai ulang kode QR di kartu.' };
  if (reply.status === 0 || reply.status >= 500) {
    return { ok: true, info: h('p.notice.warn', { text: 'Token disimpan tanpa diperiksa (tidak ada sinyal). Server memeriksanya saat formulir dikirim.' }) };
  }
  return { ok: false, message: `Token ditolak server (HTTP ${reply.status}).` };
}

// The scope of a saved token: {who} as the server says when online, else
// the last answer kept on the phone (who null when neither is known);
// {refused: true} when the server does not know the token (401).
export async function learn(token) {
  if (navigator.onLine !== false) {
    const reply = await askWho(token);
    if (reply.status === 200) {
      remember(token, reply.data);
      return { who: reply.data };
    }
    if (reply.status === 401) return { who: null, refused: true };
  }
  return { who: known(token) };
}

// What the page says under a saved token the server refuses.
export function refusedNote() {
  return h('p.notice.error', { 'data-k': 'token-refused', role: 'alert' },
    'Token di HP ini ditolak server: kartu saksinya sudah diganti atau tokennya dicabut. ',
    'Tekan “Ganti token”, lalu pindai kode QR di kartu yang baru (atau hubungi koordinator).');
}

// Fetches what the witness page needs with no signal (the contests, and the
// regions a witness of a small scope may pick: a TPS, or a desa's TPS) once
// the service worker controls the page, so that the worker holds them.
// Answers whether the phone is then ready to open the page with no signal.
export async function warm(who) {
  if (!who || !(await controlled())) return false;
  if (navigator.onLine !== false) {
    try {
      await api.request('GET', '/api/v1/contests');
      const top = await api.region(who.scope);
      if (top.level === 'desa') await Promise.all(top.children.filter((c) => c.level === 'tps').map((c) => api.region(c.code)));
    } catch { /* best effort: what is held is checked below */ }
  }
  return offlineReady(who);
}

// True when the service worker's caches hold what /saksi needs with no
// signal: the page and the bundle, the contests, and the token's region.
async function offlineReady(who) {
  try {
    const held = await Promise.all(['/index.html', '/dist/app.js', '/api/v1/contests', `/api/v1/regions/${who.scope}`]
      .map((url) => caches.match(url)));
    return held.every(Boolean);
  } catch { return false; }
}

// The line under the witness's name: whether the phone may now go where
// there is no signal (the card says to open the link before election day).
export function readyNote(ready) {
  return ready
    ? h('p.notice.ok', { 'data-k': 'offline-ready', text: '✓ Siap dipakai tanpa sinyal: halaman ini terbuka dan formulir tersimpan di HP walau tidak ada jaringan.' })
    : h('p.muted', { 'data-k': 'offline-pending', text: 'Menyiapkan HP untuk dipakai tanpa sinyal… biarkan halaman ini terbuka sebentar selagi ada sinyal.' });
}
