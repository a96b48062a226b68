// The public dashboard: one contest at one region (/c/{contest}/{region}/):
// the top strip (data masuk, partisipasi, leader and margin, age of the
// data), candidate pairs with votes and shares, the children table with
// drill-down and sorting, and at the province the tile map; kept live by the
// WebSocket feed (snapshot, then updates carrying the node totals and only
// the children that changed).
//
// The page is built once per view. A live message only merges into the node
// and asks for a repaint; repaints are batched (at most two a second, one on
// the big screen) and change texts in place, so focus, selection and scroll
// never move by themselves. The contest picker changes the view only when
// its button is pressed (a select's change event also fires on arrow keys).

import { h, fill } from './dom.js';
import { int, pct } from './format.js';
import * as api from './api.js';
import { subscribe, liveState, lastMessage } from './live.js';
import { paths, navigate } from './router.js';
import { LEVEL, CHILD_LEVEL, CONTEST_KIND, shortTitle } from './labels.js';
import { candidateBars, setText } from './chart.js';
import { crumbs } from './crumbs.js';
import { merge } from './merge.js';
import { topStrip } from './strip.js';
import { childrenTable } from './kids.js';
import { announcer } from './announce.js';
import { scheduler } from './schedule.js';
import { tileMap, hasTiles } from './tiles.js';
import { overview } from './overview.js';
import { tvMode, cycleSeconds, nextStop, tvStylesheet } from './tv.js';

export { merge };

const POLL_MS = 30000; // HTTP fallback while the live feed is down
const RENDER_MS = 500; // at most two repaints a second
const TV_RENDER_MS = 1000; // and one on the big screen
const EXPORT_LEVEL = { province: 'kabupaten', kabupaten: 'kecamatan', kecamatan: 'desa', desa: 'tps' };

function contestPicker(all, current, regionCode) {
  const select = h('select', { id: 'contest' },
    Object.entries(CONTEST_KIND).map(([kind, label]) => h('optgroup', { label },
      all.filter((c) => c.kind === kind).map((c) => h('option', { value: c.id, selected: c.id === current.id, text: shortTitle(c) })))));
  const go = () => {
    const next = all.find((c) => c.id === select.value);
    if (next && next.id !== current.id) navigate(paths.dashboard(next.id, api.covers(next, regionCode) ? regionCode : next.region));
  };
  return h('form.contest-pick', { onsubmit: (e) => { e.preventDefault(); go(); } },
    h('div.field', {}, h('label', { for: 'contest', text: 'Pemilihan' }),
      h('div.pick-row', {}, select, h('button', { type: 'submit', 'data-go': 'contest', text: 'Tampilkan' }))));
}

function stat(label, key, note = false) {
  const value = h('strong', { 'data-k': key });
  const noteEl = note ? h('span.note', { 'data-k': `${key}-note` }) : null;
  return { el: h('div.stat', { 'data-stat': key }, h('span.label', { text: label }), value, noteEl), value, noteEl };
}

// The secondary numbers under the candidates; update(node) in place.
function summary() {
  const counted = h('strong', { 'data-k': 'counted' });
  const total = h('span', { 'data-k': 'total' });
  const progress = h('span.pct', { 'data-k': 'progress' });
  const s = {
    confirmed: stat('Terkonfirmasi', 'confirmed'), held: stat('Ditahan', 'held'), disputed: stat('Sengketa', 'disputed'),
    voted: stat('Pengguna Hak Pilih', 'voted', true), valid: stat('Suara Sah', 'valid'), invalid: stat('Suara Tidak Sah', 'invalid', true),
  };
  const el = h('div.stats', {},
    h('div.stat.wide', { id: 'progress' }, h('span.label', { text: 'TPS masuk' }), counted, ' dari ', total, progress),
    Object.values(s).map((x) => x.el));
  el.update = (node) => {
    const t = node.tps;
    setText(counted, int(t.counted));
    setText(total, int(t.total));
    setText(progress, pct(t.counted, t.total, 1));
    for (const k of ['confirmed', 'held', 'disputed']) setText(s[k].value, int(t[k]));
    s.held.el.classList.toggle('warn', t.held > 0);
    s.disputed.el.classList.toggle('bad', t.disputed > 0);
    setText(s.voted.value, int(node.voted));
    setText(s.voted.noteEl, `dari ${int(node.registered)} pemilih pada TPS masuk`);
    setText(s.valid.value, int(node.valid));
    setText(s.invalid.value, int(node.invalid));
    setText(s.invalid.noteEl, pct(node.invalid, node.voted, 1));
  };
  return el;
}

function message(el, text, tone = 'error') {
  fill(el, h(`p.notice.${tone}`, {}, text, ' ', h('a', { href: '/', text: 'Ke dasbor utama' })));
}

function childHref(contest, child) {
  return child.level === 'tps' ? paths.tps(child.region, contest.id) : paths.dashboard(contest.id, child.region);
}

export async function mount(el, params, query = {}) {
  const tv = tvMode(query);
  if (tv) await tvStylesheet();
  document.documentElement.classList.toggle('tv', tv);
  let all;
  try {
    all = await api.contests();
  } catch {
    return message(el, 'Daftar pemilihan tidak dapat dimuat. Periksa koneksi lalu muat ulang.');
  }
  const contest = params.contest ? all.find((c) => c.id === params.contest) : all.find((c) => c.id === 'gub-62') || all[0];
  if (!contest) return message(el, `Pemilihan “${params.contest}” tidak dikenal.`);
  const code = params.region || contest.region;
  if (!api.covers(contest, code)) return message(el, 'Wilayah ini tidak termasuk pemilihan yang dipilih.');

  const head = h('div.head');
  el.append(h('div.dash', {}, head));
  fill(head, contestPicker(all, contest, code), h('p.loading', { text: 'Memuat…' }));

  let info, node;
  try {
    [info, node] = await Promise.all([api.region(code), api.tally(contest.id, code)]);
  } catch (e) {
    return message(el, e.status === 404 ? 'Wilayah tidak ditemukan.' : 'Data tidak dapat dimuat. Periksa koneksi lalu muat ulang.');
  }
  if (info.level === 'tps') {
    navigate(paths.tps(code, contest.id), { replace: true });
    return undefined;
  }
  document.title = `${info.name} — ${contest.title} — Suara`;
  const trail = [...info.path, info].filter((r) => api.covers(contest, r.code));
  const here = location.pathname;
  fill(head, contestPicker(all, contest, code),
    crumbs(trail, (r) => paths.dashboard(contest.id, r.code)),
    h('h1', {}, info.name, ' ', h('span.level', { text: `${LEVEL[info.level]} · ${info.code}` })),
    h('p.subtitle', {}, contest.title, ' · ',
      h('a.tv-toggle', { href: `${here}?tv=${tv ? 0 : 1}`, text: tv ? 'Tampilan biasa' : 'Layar besar' })));

  const schedule = scheduler(tv ? TV_RENDER_MS : RENDER_MS);
  let receivedAt = null; // when this page last saw the node move
  const strip = topStrip(contest, info.dpt, () => receivedAt);
  const bars = candidateBars(contest.candidates, node.votes, node.valid);
  const sums = summary();
  const kids = childrenTable({ level: CHILD_LEVEL[info.level], href: (c) => childHref(contest, c), candidates: contest.candidates });
  const tiles = hasTiles(node) ? tileMap(contest, (c) => childHref(contest, c)) : null;
  const voice = announcer(contest);
  const board = tv ? overview(all, (c) => paths.dashboard(c.id), schedule) : null;

  el.querySelector('.dash').append(strip,
    h('div.dash-grid', {},
      h('div.col', {},
        h('section.card.cands-card', { 'aria-labelledby': 'cands-title' }, h('h2', { id: 'cands-title', text: 'Perolehan suara' }), bars),
        tiles,
        h('section.summary', { 'aria-label': 'Rincian' }, sums)),
      h('div.col', {},
        h('section.card.kids', {}, kids,
          h('p.export', {}, h('a', { href: api.exportUrl(contest.id, EXPORT_LEVEL[info.level]), download: '', text: 'Unduh CSV' })))),
      board ? h('div.col.ov-col', {}, board) : null),
    voice);

  let changed = null; // child codes moved since the last paint; null: all
  const paint = () => {
    strip.update(node);
    bars.update(node.votes, node.valid);
    sums.update(node);
    kids.update(node.children, changed);
    tiles?.update(node.children);
    voice.observe(node);
    changed = new Set();
    el.querySelector('.dash').dataset.paints = String(schedule.batches());
  };
  receivedAt = new Date();
  strip.touch('dimuat saat halaman dibuka');
  paint();

  const unsubscribe = subscribe(contest.id, code, (msg) => {
    const moved = merge(node, msg);
    if (!moved) return;
    if (msg.type === 'snapshot') changed = null;
    else if (changed) moved.forEach((c) => changed.add(c));
    if (msg.type === 'update' || !receivedAt) { receivedAt = lastMessage() || new Date(); strip.touch('perubahan terakhir yang diterima'); }
    schedule(paint);
  });
  const poll = setInterval(async () => {
    if (liveState() === 'open') return;
    try {
      const fresh = await api.tally(contest.id, code);
      if (fresh.seq > node.seq) { Object.assign(node, fresh); changed = null; receivedAt = new Date(); schedule(paint); }
    } catch { /* still offline */ }
  }, POLL_MS);

  // Cycling through the kabupaten/kota on the big screen (opt-in: ?cycle=N).
  const cycle = tv ? cycleSeconds(query) : 0;
  const root = all.find((c) => c.id === contest.id).region;
  const cycleTimer = cycle && (code === root || info.parent === root)
    ? setTimeout(async () => {
      const top = code === root ? node : await api.tally(contest.id, root).catch(() => null);
      if (!top) return;
      const next = nextStop(root, top.children.map((c) => c.region), code);
      navigate(`${paths.dashboard(contest.id, next)}?cycle=${cycle}`);
    }, cycle * 1000)
    : null;

  return () => {
    unsubscribe(); clearInterval(poll); clearTimeout(cycleTimer);
    schedule.stop(); strip.stop(); voice.stop(); board?.stop();
    document.documentElement.classList.remove('tv');
  };
}
