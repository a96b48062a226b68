// The table of a node's children (kabupaten, kecamatan, desa or TPS), kept
// live without rebuilding: one row per region code, made once, whose cells
// change their text in place when that child changes. Columns sort on a
// click of their header (aria-sort says how); a live update re-sorts only
// when the order really changes, moving the same row nodes, and gives focus
// back if the moved row held it.

import { h } from './dom.js';
import { int, pct } from './format.js';
import { setText } from './chart.js';

const collator = new Intl.Collator('id');
const reduceMotion = () => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

const shortName = (name) => name.replace(/^Kabupaten /, '');

// The value a column sorts by.
function sortValue(child, key) {
  if (key === 'name') return shortName(child.name);
  if (key === 'masuk') return child.tps.total ? child.tps.counted / child.tps.total : 0;
  if (key === 'valid' || key === 'invalid') return child[key];
  if (key.startsWith('c')) {
    const v = child.votes[key.slice(1)] || 0;
    return child.valid ? v / child.valid : 0;
  }
  return child.region;
}

function compare(a, b, key, dir) {
  const x = sortValue(a, key), y = sortValue(b, key);
  const r = typeof x === 'string' ? collator.compare(x, y) : x - y;
  return (r || a.region.localeCompare(b.region)) * dir;
}

// opts: {level (the children's level word), href(child), candidates}.
export function childrenTable({ level, href, candidates }) {
  const rows = new Map(); // region -> {tr, cells...}
  const tbody = h('tbody');
  const caption = h('caption');
  const sort = { key: 'region', dir: 1 };
  let children = [];

  function header(key, label, cls = '', title = '') {
    const btn = h('button.sort', { type: 'button', 'data-sort': key, title: title || null }, label);
    const th = h(`th${cls}`, { scope: 'col', 'data-col': key }, btn);
    btn.addEventListener('click', () => {
      sort.dir = sort.key === key ? -sort.dir : (key === 'name' || key === 'region' ? 1 : -1);
      sort.key = key;
      order(true);
    });
    return th;
  }

  const heads = [
    header('name', level),
    header('masuk', 'TPS masuk', '.tps-col'),
    ...candidates.map((k) => header(`c${k.number}`,
      h('span.chip', { text: String(k.number).padStart(2, '0') }), `.c${k.number}`,
      `Urutkan menurut persentase ${k.head}${k.deputy ? ` – ${k.deputy}` : ''}`)),
    header('valid', 'Sah', '.opt'),
    header('invalid', 'Tidak sah', '.opt'),
  ];
  candidates.forEach((k, i) => heads[2 + i].querySelector('button').setAttribute('aria-label', `${String(k.number).padStart(2, '0')} ${k.head}`));

  function makeRow(c) {
    const tpsMini = h('span.tps-mini');
    const tpsText = h('span');
    const flags = h('span.flags');
    const cand = candidates.map((k) => {
      const v = h('span.v'), share = h('span.share');
      return { k, td: h(`td.c${k.number}`, { 'data-cand': k.number }, v, share), v, share };
    });
    const valid = h('td.opt'), invalid = h('td.opt');
    const tr = h('tr', { 'data-region': c.region },
      h('th', { scope: 'row' }, h('a', { href: href(c), text: shortName(c.name) }), h('span.code', { text: c.region }), tpsMini),
      h('td.tps-col', {}, tpsText, flags),
      cand.map((x) => x.td), valid, invalid);
    return { tr, tpsMini, tpsText, flags, cand, valid, invalid };
  }

  function paintRow(r, c) {
    const f = [c.final && 'Final', c.tps.held && `${c.tps.held} ditahan`, c.tps.disputed && `${c.tps.disputed} sengketa`].filter(Boolean).join(', ');
    const counts = `${int(c.tps.counted)}/${int(c.tps.total)}`;
    setText(r.tpsMini, `TPS ${counts}${f ? ` · ${f}` : ''}`);
    setText(r.tpsText, counts);
    setText(r.flags, f);
    const best = Math.max(...candidates.map((k) => c.votes[k.number] || 0));
    for (const x of r.cand) {
      const v = c.votes[x.k.number] || 0;
      setText(x.v, int(v));
      setText(x.share, pct(v, c.valid, 1));
      x.td.classList.toggle('lead', v > 0 && v === best);
    }
    setText(r.valid, int(c.valid));
    setText(r.invalid, int(c.invalid));
  }

  // Four steps, not a smooth fade: a background colour is painted on the
  // main thread, and a smooth 1.6 s fade repainted the table every frame
  // (with a form every half second at the province, all the time: half of a
  // phone's main thread). Four steps are four paints.
  function flash(tr) {
    if (reduceMotion() || !tr.animate) return;
    tr.animate([{ backgroundColor: '#ffe9a8' }, { backgroundColor: 'transparent' }], { duration: 1600, easing: 'steps(4, end)' });
  }

  // Puts the rows in the sort order, moving only when it changed.
  function order(byUser = false) {
    const sorted = [...children].sort((a, b) => compare(a, b, sort.key, sort.dir));
    for (const th of heads) {
      const key = th.dataset.col;
      if (key === sort.key) th.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    const now = [...tbody.children];
    if (now.length === sorted.length && sorted.every((c, i) => now[i] === rows.get(c.region).tr)) return;
    const focused = tbody.contains(document.activeElement) ? document.activeElement : null;
    tbody.append(...sorted.map((c) => rows.get(c.region).tr));
    if (focused && document.activeElement !== focused) focused.focus({ preventScroll: true });
    if (byUser) heads.find((th) => th.dataset.col === sort.key).querySelector('button').focus({ preventScroll: true });
  }

  const table = h('table.tally', {}, caption, h('thead', {}, h('tr', {}, heads)), tbody);
  // A scrollable region must be reachable by keyboard: the wrap is focusable.
  const el = h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': `Tabel per ${level}` }, table);

  // list: every child (node.children); changed: the codes that moved
  // (repainted and flashed), or null to repaint every row (a snapshot).
  el.update = (list, changed = null) => {
    children = list;
    setText(caption, `Hasil per ${level} (${list.length})`);
    for (const c of list) {
      let r = rows.get(c.region);
      const fresh = !r;
      if (fresh) { r = makeRow(c); rows.set(c.region, r); }
      if (fresh || !changed || changed.has(c.region)) paintRow(r, c);
      if (changed?.has(c.region)) flash(r.tr);
    }
    order();
  };
  el.sortBy = (key, dir) => { sort.key = key; sort.dir = dir; order(); };
  return el;
}
