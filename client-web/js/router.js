// Client-side routing with real URLs (history API). The server answers any
// path without a file extension with index.html, so every view can be opened,
// reloaded and shared by its URL. A view module exports
// mount(outlet, params, query) and may return a cleanup function.
//
// Region codes contain dots, which the server takes for a file extension
// when they end the path; so links to a region end with a slash
// (/tps/62.03.01.2001.001/) and the router reads both forms.

const routes = [
  [/^\/$/, 'dashboard', () => ({})],
  [/^\/c\/([a-z0-9.-]+)\/?$/i, 'dashboard', (m) => ({ contest: m[1] })],
  [/^\/c\/([a-z0-9.-]+)\/([0-9.]+)\/?$/i, 'dashboard', (m) => ({ contest: m[1], region: m[2] })],
  [/^\/tps\/([0-9.]+)\/?$/, 'tps', (m) => ({ code: m[1] })],
  [/^\/saksi\/?$/, 'witness', () => ({})],
  [/^\/review\/?$/, 'review', () => ({})],
  [/^\/pemantauan\/?$/, 'desk', () => ({})],
  [/^\/pemantauan\/([a-z0-9.-]+)\/?$/i, 'desk', (m) => ({ contest: m[1] })],
  [/^\/pemantauan\/([a-z0-9.-]+)\/([0-9.]+)\/([a-z_]+)\/?$/i, 'desk', (m) => ({ contest: m[1], region: m[2], status: m[3] })],
  [/^\/admin\/?$/, 'admin', () => ({})],
  [/^\/admin\/kartu\/?$/, 'cards', () => ({})],
];

import { contests } from './api.js';

// Views that start by reading the contests: the request goes out while the
// view's modules load (on a weak network each import level costs a round
// trip), instead of after them. api.contests() keeps the answer.
const READS_CONTESTS = new Set(['dashboard', 'review', 'desk']);

const loaders = {
  dashboard: () => import('./dashboard.js'),
  tps: () => import('./tps.js'),
  witness: () => import('./witness.js'),
  review: () => import('./review.js'),
  desk: () => import('./desk.js'),
  admin: () => import('./admin.js'),
  cards: () => import('./cards.js'),
  missing: () => import('./missing.js'),
};

export const paths = {
  dashboard: (contest, region) => (region ? `/c/${contest}/${region}/` : `/c/${contest}/`),
  tps: (code, contest) => `/tps/${code}/${contest ? `?c=${encodeURIComponent(contest)}` : ''}`,
  witness: '/saksi',
  review: '/review',
  admin: '/admin',
};

let outlet = null;
let cleanup = null;
let renderId = 0;
const listeners = [];

export function onRoute(fn) {
  listeners.push(fn);
}

function match(pathname) {
  for (const [re, name, params] of routes) {
    const m = re.exec(pathname);
    if (m) return { name, params: params(m) };
  }
  return { name: 'missing', params: {} };
}

async function render({ focus = false } = {}) {
  const id = ++renderId;
  const { name, params } = match(location.pathname);
  const query = Object.fromEntries(new URLSearchParams(location.search));
  if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } }
  cleanup = null;
  listeners.forEach((fn) => fn(name));
  if (READS_CONTESTS.has(name)) contests().catch(() => { /* the view says so */ });
  let mod;
  try {
    mod = await loaders[name]();
  } catch (e) {
    outlet.replaceChildren(Object.assign(document.createElement('p'), {
      className: 'notice error', textContent: 'Halaman gagal dimuat. Periksa koneksi lalu muat ulang.',
    }));
    return;
  }
  if (id !== renderId) return; // the user already went elsewhere
  outlet.replaceChildren();
  outlet.dataset.view = name; // lets the stylesheet size each view
  cleanup = (await mod.mount(outlet, params, query)) || null;
  if (id !== renderId && cleanup) { cleanup(); cleanup = null; }
  if (id !== renderId) return;
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) target.scrollIntoView();
  else if (focus) outlet.focus({ preventScroll: true });
}

export function navigate(url, { replace = false } = {}) {
  const next = new URL(url, location.href);
  if (next.href === location.href && !replace) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', next.pathname + next.search + next.hash);
  window.scrollTo(0, 0);
  render({ focus: true });
}

// Changes the URL without rendering again (a view that updates itself).
export function setUrl(url) {
  history.replaceState(null, '', url);
}

export function start(el) {
  outlet = el;
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
    if (a.pathname.startsWith('/api/')) return;
    if (a.pathname === location.pathname && a.search === location.search && a.hash) return;
    e.preventDefault();
    navigate(a.href);
  });
  window.addEventListener('popstate', () => render({ focus: true }));
  render();
}
