// The public dashboard: one contest at one region (/c/{contest}/{region}/):
// candidate pairs with votes and shares, progress, and the children with
// drill-down, kept live through the WebSocket feed (snapshot, then updates
// carrying the node totals and only the children that changed).

import { h, fill } from './dom.js';
import { int, pct } from './format.js';
import * as api from './api.js';
import { subscribe, liveState } from './live.js';
import { paths, navigate } from './router.js';
import { LEVEL, CHILD_LEVEL, CONTEST_KIND, shortTitle } from './labels.js';
import { candidateBars, bar } from './chart.js';
import { crumbs } from './crumbs.js';

const POLL_MS = 30000; // HTTP fallback while the live feed is down
const EXPORT_LEVEL = { province: 'kabupaten', kabupaten: 'kecamatan', kecamatan: 'desa', desa: 'tps' };

// Applies a live message to the node shown; returns the codes of the
// children it changed, or null for a stale update (seq not newer).
export function merge(node, msg) {
  if (msg.type === 'snapshot') {
    Object.assign(node, msg, { children: msg.children || [] });
    return node.children.map((c) => c.region);
  }
  if (msg.seq <= node.seq) return null;
  const { children, type, ...totals } = msg;
  Object.assign(node, totals);
  const byCode = new Map(node.children.map((c, i) => [c.region, i]));
  for (const child of children || []) {
    const i = byCode.get(child.region);
    if (i === undefined) node.children.push(child);
    else node.children[i] = child;
  }
  return (children || []).map((c) => c.region);
}

function contestPicker(all, current, regionCode) {
  const select = h('select', {
    id: 'contest',
    onchange: () => {
      const next = all.find((c) => c.id === select.value);
      navigate(paths.dashboard(next.id, api.covers(next, regionCode) ? regionCode : next.region));
    },
  }, Object.entries(CONTEST_KIND).map(([kind, label]) => h('optgroup', { label },
    all.filter((c) => c.kind === kind).map((c) => h('option', { value: c.id, selected: c.id === current.id, text: shortTitle(c) })))));
  return h('div.field.contest-pick', {}, h('label', { for: 'contest', text: 'Pemilihan' }), select);
}

function summary(node) {
  const t = node.tps;
  return h('div.stats', {},
    h('div.stat.wide', { id: 'progress' },
      h('span.label', { text: 'TPS masuk' }),
      h('strong', { 'data-k': 'counted', text: int(t.counted) }), ' dari ',
      h('span', { 'data-k': 'total', text: int(t.total) }),
      h('span.pct', { 'data-k': 'progress', text: pct(t.counted, t.total, 1) }),
      bar(t.total ? t.counted / t.total : 0, `${pct(t.counted, t.total, 1)} TPS masuk`)),
    stat('Terkonfirmasi', t.confirmed, 'confirmed'),
    stat('Ditahan', t.held, 'held', t.held ? 'warn' : ''),
    stat('Sengketa', t.disputed, 'disputed', t.disputed ? 'bad' : ''),
    stat('Pengguna Hak Pilih', node.voted, 'voted', '', `dari ${int(node.registered)} pemilih pada TPS masuk`),
    stat('Suara Sah', node.valid, 'valid'),
    stat('Suara Tidak Sah', node.invalid, 'invalid', '', pct(node.invalid, node.voted, 1)));
}

function stat(label, value, key, tone = '', note = '') {
  return h(`div.stat${tone ? `.${tone}` : ''}`, {},
    h('span.label', { text: label }),
    h('strong', { 'data-k': key, text: int(value) }),
    note ? h('span.note', { text: note }) : null);
}

function childHref(contest, child) {
  return child.level === 'tps' ? paths.tps(child.region, contest.id) : paths.dashboard(contest.id, child.region);
}

function childrenTable(node, contest, changed) {
  const cands = contest.candidates;
  const rows = node.children.map((c) => {
    const best = Math.max(...cands.map((k) => c.votes[k.number] || 0));
    const flags = [c.tps.held && `${c.tps.held} ditahan`, c.tps.disputed && `${c.tps.disputed} sengketa`].filter(Boolean).join(', ');
    return h(`tr${changed.has(c.region) ? '.flash' : ''}`, { 'data-region': c.region },
      h('th', { scope: 'row' }, h('a', { href: childHref(contest, c), text: c.name.replace(/^Kabupaten /, '') }), h('span.code', { text: c.region }),
        h('span.tps-mini', { text: `TPS ${int(c.tps.counted)}/${int(c.tps.total)}${flags ? ` · ${flags}` : ''}` })),
      h('td.tps-col', {}, `${int(c.tps.counted)}/${int(c.tps.total)}`,
        flags ? h('span.flags', { text: flags }) : null),
      cands.map((k) => {
        const v = c.votes[k.number] || 0;
        return h(`td.c${k.number}${v && v === best ? '.lead' : ''}`, { 'data-cand': k.number },
          h('span.v', { text: int(v) }), h('span.share', { text: pct(v, c.valid, 1) }));
      }),
      h('td.opt', { text: int(c.valid) }),
      h('td.opt', { text: int(c.invalid) }));
  });
  const level = CHILD_LEVEL[node.level];
  return h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': `Tabel per ${level}` },
    h('table.tally', {},
      h('caption', { text: `Hasil per ${level} (${node.children.length})` }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: level }),
        h('th.tps-col', { scope: 'col', text: 'TPS masuk' }),
        cands.map((k) => h(`th.c${k.number}`, { scope: 'col', title: `${k.head}${k.deputy ? ` – ${k.deputy}` : ''}` }, h('span.chip', { text: String(k.number).padStart(2, '0') }))),
        h('th.opt', { scope: 'col', text: 'Sah' }),
        h('th.opt', { scope: 'col', text: 'Tidak sah' }))),
      h('tbody', {}, rows)));
}

function message(el, text, tone = 'error') {
  fill(el, h(`p.notice.${tone}`, {}, text, ' ', h('a', { href: '/', text: 'Ke dasbor utama' })));
}

export async function mount(el, params) {
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
  const sumEl = h('section.summary', { 'aria-label': 'Ringkasan' });
  const candEl = h('section.card.cands-card', { 'aria-labelledby': 'cands-title' });
  const kidsEl = h('section.card.kids');
  el.append(h('div.dash', {}, head, h('div.dash-grid', {}, h('div.col', {}, candEl, sumEl), h('div.col', {}, kidsEl))));
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
  fill(head, contestPicker(all, contest, code),
    crumbs(trail, (r) => paths.dashboard(contest.id, r.code)),
    h('h1', {}, info.name, ' ', h('span.level', { text: `${LEVEL[info.level]} · ${info.code}` })),
    h('p.subtitle', { text: contest.title }));

  const render = (changed = new Set()) => {
    fill(candEl, h('h2', { id: 'cands-title', text: 'Perolehan suara' }),
      candidateBars(contest.candidates, node.votes, node.valid));
    fill(sumEl, summary(node));
    fill(kidsEl, childrenTable(node, contest, changed),
      h('p.export', {}, h('a', { href: api.exportUrl(contest.id, EXPORT_LEVEL[info.level]), download: '', text: 'Unduh CSV' })));
  };
  render();

  const unsubscribe = subscribe(contest.id, code, (msg) => {
    const changed = merge(node, msg);
    if (changed) render(new Set(msg.type === 'update' ? changed : []));
  });
  const poll = setInterval(async () => {
    if (liveState() === 'open') return;
    try {
      const fresh = await api.tally(contest.id, code);
      if (fresh.seq > node.seq) { Object.assign(node, fresh); render(); }
    } catch { /* still offline */ }
  }, POLL_MS);
  return () => { unsubscribe(); clearInterval(poll); };
}
