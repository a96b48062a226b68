// The monitoring desk ("Pemantauan", /pemantauan/{contest}/): what needs a
// call now, how the night went, and whether KPU's numbers agree.
//
// - per child region (kabupaten/kota at the province) the worklist counters
//   of the tally node, each a link to its worklist (/pemantauan/{contest}/
//   {region}/{status}/, which lists the TPS with links to their pages);
// - turnout against the whole DPT of the node, not only the counted TPS;
// - the night's progress as an SVG chart drawn here from the timeline;
// - witnesses against KPU: the kabupaten recap (D.Hasil) where imported, else
//   the sum of Sirekap's TPS figures;
// - live: the node follows the WebSocket feed and the table's texts change in
//   place; the timeline is read again every minute;
// - ?tv=1 (the big screen, 1920x1080 across a room) and a printable recap
//   (print CSS: one region per page, like a D.Hasil).

import { h, svg, fill } from './dom.js';
import { int, pct, time, when, nomor } from './format.js';
import * as api from './api.js';
import { subscribe } from './live.js';
import { merge } from './merge.js';
import { setText } from './chart.js';
import { tvMode, tvStylesheet } from './tv.js';
import { ago } from './ago.js';

const TIMELINE_MS = 60000;
const RENDER_MS = 500;
const PAGE = 100;

// One row per worklist status: its name, its label and its count in a
// node's tps object (no_photo: the counted TPS without with_photo).
export const STATUSES = [
  ['missing', 'Belum masuk', (t) => t.total - t.counted],
  ['held', 'Ditahan', (t) => t.held],
  ['disputed', 'Sengketa', (t) => t.disputed],
  ['unconfirmed', 'Belum dikonfirmasi', (t) => t.counted - t.confirmed],
  ['no_photo', 'Tanpa foto', (t) => t.counted - (t.with_photo || 0)],
  ['flagged', 'Ditandai', (t) => t.flagged || 0],
  ['kpu_differs', 'Beda dengan KPU', (t) => t.kpu_differs || 0],
];

const TPS_STATUS = {
  empty: 'Belum masuk', counted: 'Terhitung', confirmed: 'Terkonfirmasi', held: 'Ditahan',
  disputed: 'Sengketa',
};

export const deskPath = (contest) => `/pemantauan/${contest}/`;
export const worklistPath = (contest, region, status) => `/pemantauan/${contest}/${region}/${status}/`;

function pickContest(all, id) {
  return all.find((c) => c.id === id) || all.find((c) => c.kind === 'gubernur') || all[0];
}

// ---- the counters table ---------------------------------------------------

// "Kabupaten Kapuas" with its first word apart, so the big screen can drop it.
function regionName(name) {
  const m = /^(Kabupaten|Kota) (.+)$/.exec(name);
  return m ? [h('span.prefix', { text: `${m[1]} ` }), m[2]] : name;
}

function countersTable(contest, node) {
  const cells = new Map(); // "region|key" -> element
  const cell = (region, key, el) => { cells.set(`${region}|${key}`, el); return el; };
  const rows = [node, ...node.children].map((n, i) => h(i ? 'tr' : 'tr.total', { 'data-region': n.region },
    h('th', { scope: 'row' }, i ? h('a', { href: deskPath(contest.id) + `?r=${n.region}`, 'data-drill': n.region }, regionName(n.name)) : n.name),
    h('td.dnum', {}, cell(n.region, 'counted', h('span'))),
    STATUSES.map(([status, label]) => h('td.dnum', {},
      cell(n.region, status, h('a', { href: worklistPath(contest.id, n.region, status), 'data-status': status, title: `${label}: ${n.name}` })))),
    h('td.dnum', {}, cell(n.region, 'turnout', h('span')))));
  const table = h('table.desk-table.counters', {},
    h('caption', { text: 'TPS yang perlu ditindaklanjuti, per wilayah (klik angka untuk daftar TPS)' }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Wilayah' }), h('th', { scope: 'col', text: 'TPS masuk' }),
      STATUSES.map(([, label]) => h('th', { scope: 'col', text: label })), h('th', { scope: 'col', text: 'Partisipasi (DPT)' }))),
    h('tbody', {}, rows));
  table.update = (n) => {
    for (const x of [n, ...n.children]) {
      const get = (key) => cells.get(`${x.region}|${key}`);
      if (!get('counted')) continue;
      setText(get('counted'), `${int(x.tps.counted)} / ${int(x.tps.total)}`);
      for (const [status, , count] of STATUSES) {
        const v = count(x.tps);
        setText(get(status), int(v));
        get(status).classList.toggle('zero', v === 0);
      }
      setText(get('turnout'), pct(x.voted, x.dpt, 1));
    }
  };
  table.update(node);
  return table;
}

// ---- the summary ---------------------------------------------------------

function summary() {
  const items = ['counted', 'turnout', 'valid', 'invalid', 'need'].map((k) => [k, h('strong', { 'data-k': k })]);
  const el = h('dl.desk-summary', {}, items.map(([k, v]) => h('div', {},
    h('dt', { text: { counted: 'TPS masuk', turnout: 'Partisipasi terhadap DPT', valid: 'Suara sah', invalid: 'Tidak sah', need: 'Perlu ditindaklanjuti' }[k] }), h('dd', {}, v))));
  const get = Object.fromEntries(items);
  el.update = (n) => {
    setText(get.counted, `${int(n.tps.counted)} / ${int(n.tps.total)} (${pct(n.tps.counted, n.tps.total, 1)})`);
    setText(get.turnout, `${pct(n.voted, n.dpt, 1)} dari ${int(n.dpt)} pemilih`);
    setText(get.valid, int(n.valid));
    setText(get.invalid, int(n.invalid));
    // apart: a TPS can be held and disputed at once, and a sum would count it twice
    setText(get.need, `${int(n.tps.held)} ditahan · ${int(n.tps.disputed)} sengketa`);
  };
  return el;
}

// ---- the timeline chart ------------------------------------------------------

const W = 600;
const H = 220;
const PAD = 34;

function polyline(points, x, y, cls) {
  return svg('polyline', { class: cls, fill: 'none', points: points.map((p) => `${x(p).toFixed(1)},${y(p).toFixed(1)}`).join(' ') });
}

// TPS counted over the evening, and each pair's share of the valid votes.
export function timelineChart(contest, points, tpsTotal) {
  if (points.length === 0) return h('p.note', { text: 'Belum ada titik: server mencatat keadaan hitungan setiap menit sejak suara pertama masuk.' });
  const t0 = Date.parse(points[0].at);
  const t1 = Math.max(Date.parse(points[points.length - 1].at), t0 + 60000);
  const x = (p) => PAD + ((Date.parse(p.at) - t0) / (t1 - t0)) * (W - 2 * PAD);
  const yCount = (p) => H - PAD - (p.tps_counted / Math.max(1, tpsTotal)) * (H - 2 * PAD);
  const share = (n) => (p) => H - PAD - (p.valid ? (p.votes[n] || 0) / p.valid : 0) * (H - 2 * PAD);
  const last = points[points.length - 1];
  const label = `Perkembangan: ${int(last.tps_counted)} dari ${int(tpsTotal)} TPS masuk pada ${when(last.at)}`;
  return h('figure.desk-chart', {},
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
      svg('line', { class: 'axis', x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD }),
      svg('line', { class: 'axis', x1: PAD, y1: PAD, x2: PAD, y2: H - PAD }),
      svg('text', { x: PAD - 4, y: PAD + 4, 'text-anchor': 'end' }, '100%'),
      svg('text', { x: PAD - 4, y: H - PAD, 'text-anchor': 'end' }, '0'),
      svg('text', { x: PAD, y: H - PAD + 16 }, time(new Date(t0))),
      svg('text', { x: W - PAD, y: H - PAD + 16, 'text-anchor': 'end' }, time(new Date(t1))),
      polyline(points, x, yCount, 'line-tps'),
      svg('circle', { class: 'last', cx: x(last).toFixed(1), cy: yCount(last).toFixed(1), r: 4 }),
      contest.candidates.map((c) => polyline(points, x, share(c.number), `line-cand c${c.number}`))),
    h('figcaption', {}, h('span.key.line-tps', { text: 'TPS masuk (dari semua TPS)' }),
      contest.candidates.map((c) => h(`span.key.c${c.number}`, { text: `${nomor(c.number)} (bagian suara sah)` }))));
}

// ---- witnesses against KPU -------------------------------------------------

// KPU's figures for a region, and whether they cover the same TPS as the
// witnesses' sums: a recap covers every TPS, Sirekap's sum the TPS it has.
// Only then is a difference a disagreement; before, it is the part of the
// count still missing on one side, and painting it red would send the desk
// after every region all evening (the TPS that really differ are counted
// per TPS in kpu_differs, whatever the coverage).
export function kpuFigures(n) {
  const allCounted = n.tps.counted === n.tps.total;
  if (n.kpu_recap) return { source: 'Rekap KPU (D.Hasil)', votes: n.kpu_recap.votes, comparable: allCounted };
  if (n.kpu && n.kpu.tps > 0) {
    return { source: `Sirekap, ${int(n.kpu.tps)} TPS`, votes: n.kpu.votes, comparable: allCounted && n.kpu.tps === n.tps.total };
  }
  return null;
}

function kpuCell(c, n, k) {
  const mine = n.votes[c.number] || 0;
  if (!k) return h('td.dnum', { text: int(mine) });
  const theirs = k.votes[c.number] || 0;
  const diff = k.comparable ? mine - theirs : 0;
  return h(`td.dnum${diff ? '.differs' : ''}`, { 'data-cand': c.number },
    `${int(mine)} / ${int(theirs)}`, diff ? h('span.diff', { text: ` (${diff > 0 ? '+' : ''}${int(diff)})` }) : null);
}

function kpuSource(n, k) {
  if (!k) return h('td', { text: 'belum ada data KPU' });
  if (k.comparable) return h('td', { text: k.source });
  return h('td', {}, k.source, h('span.partial', { text: ` · saksi ${int(n.tps.counted)} dari ${int(n.tps.total)} TPS, belum dibandingkan` }));
}

// The node itself first, as in the counters table: a regent's contest has
// its recap (D.Hasil) on its root, the kabupaten, not on a child.
function kpuTable(contest, node) {
  const rows = [node, ...node.children].map((n, i) => {
    const k = kpuFigures(n);
    const differs = n.tps.kpu_differs || 0;
    return h(i ? 'tr' : 'tr.total', { 'data-region': n.region },
      h('th', { scope: 'row' }, i ? regionName(n.name) : n.name),
      contest.candidates.map((c) => kpuCell(c, n, k)),
      kpuSource(n, k),
      h('td.dnum', {}, h('a', { href: worklistPath(contest.id, n.region, 'kpu_differs'), 'data-status': 'kpu_differs', class: differs ? '' : 'zero', text: int(differs) })));
  });
  return h('table.desk-table.kpu-table', {},
    h('caption', { text: 'Saksi / KPU per pasangan calon. Selisih (dalam kurung) dihitung bila semua TPS sudah masuk di kedua sumber; TPS beda: TPS yang angkanya berbeda dengan Sirekap.' }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Wilayah' }),
      contest.candidates.map((c) => h('th', { scope: 'col', text: `${nomor(c.number)} ${c.head}` })),
      h('th', { scope: 'col', text: 'Sumber KPU' }), h('th', { scope: 'col', text: 'TPS beda' }))),
    h('tbody', {}, rows));
}

// ---- the printable recap -----------------------------------------------------

function recapPage(contest, n, head) {
  return h('section.recap-page', { 'data-region': n.region },
    h('h2', { text: `Rekapitulasi ${n.name}` }),
    h('p', { text: `${contest.title} — hasil penghitungan saksi (bukan hasil resmi KPU)` }),
    h('table.recap', {}, h('tbody', {},
      h('tr', {}, h('th', { text: 'TPS masuk' }), h('td', { text: `${int(n.tps.counted)} dari ${int(n.tps.total)}` })),
      h('tr', {}, h('th', { text: 'Pemilih terdaftar (DPT)' }), h('td', { text: int(n.dpt) })),
      h('tr', {}, h('th', { text: 'Pengguna hak pilih (TPS masuk)' }), h('td', { text: int(n.voted) })),
      contest.candidates.map((c) => h('tr', {}, h('th', { text: `${nomor(c.number)} ${c.head} – ${c.deputy}` }), h('td', { text: int(n.votes[c.number] || 0) }))),
      h('tr', {}, h('th', { text: 'Suara sah' }), h('td', { text: int(n.valid) })),
      h('tr', {}, h('th', { text: 'Suara tidak sah' }), h('td', { text: int(n.invalid) })))),
    h('p.recap-foot', { text: `Kepala log pukul ${when(head.at)}: formulir #${head.form_id}, ${head.receipt} · dicetak ${when(new Date().toISOString())}` }));
}

// ---- the desk view -------------------------------------------------------------

// The log's head as of now, with the time it was read (printed beside it).
async function logHead() {
  const at = new Date().toISOString();
  try { return { ...await api.get('/api/v1/log/head'), at }; } catch { return { form_id: 0, receipt: '', at }; }
}

async function mountDesk(el, contest, all, query) {
  const region = query.r && api.covers(contest, query.r) ? query.r : contest.region;
  const [node, firstHead] = await Promise.all([api.tally(contest.id, region), logHead()]);
  let head = firstHead;
  const sum = summary();
  const table = countersTable(contest, node);
  const chartBox = h('div.chart-box');
  const kpuBox = h('div.kpu-box');
  const printBox = h('div.print-only');
  const stamp = h('span.stamp');
  const picker = h('select', { id: 'desk-contest', 'aria-label': 'Pemilihan' },
    all.map((c) => h('option', { value: c.id, selected: c.id === contest.id, text: c.title })));
  picker.addEventListener('change', () => { location.href = deskPath(picker.value); });
  fill(el, h('div.desk', {},
    h('div.desk-head', {},
      h('h1', { text: `Pemantauan — ${contest.title}` }),
      h('p.where', { text: node.name }, region !== contest.region ? h('a', { href: deskPath(contest.id), text: ' (kembali ke seluruh wilayah)' }) : null),
      h('div.desk-tools', {}, picker,
        h('a.button', { href: `${deskPath(contest.id)}?tv=1`, text: 'Layar besar' }),
        h('button', { type: 'button', text: 'Cetak rekap', onclick: () => window.print() }), stamp)),
    sum,
    h('section', {}, h('h2', { text: 'Yang perlu ditindaklanjuti' }), table),
    h('div.desk-two', {},
      h('section', {}, h('h2', { text: 'Perkembangan malam ini' }), chartBox),
      // Wider than a phone, and nothing in it takes focus: focusable, so the
      // keyboard can scroll it (axe: scrollable-region-focusable).
      h('section', { tabindex: 0, 'aria-labelledby': 'desk-kpu-title' },
        h('h2', { id: 'desk-kpu-title', text: 'Saksi dan KPU' }), kpuBox)),
    printBox));

  const paint = () => {
    sum.update(node);
    table.update(node);
    fill(kpuBox, kpuTable(contest, node));
    setText(stamp, `diperbarui ${time()}`);
    el.querySelector('.desk').dataset.seq = String(node.seq);
  };
  let pending = null;
  const schedule = () => { pending ??= setTimeout(() => { pending = null; paint(); }, RENDER_MS); };
  const loadTimeline = async () => {
    try {
      const tl = await api.get(`/api/v1/timeline/${encodeURIComponent(contest.id)}/${encodeURIComponent(region)}`);
      fill(chartBox, timelineChart(contest, tl.points, node.tps.total));
    } catch { fill(chartBox, h('p.note', { text: 'Perkembangan tidak tersedia untuk wilayah ini.' })); }
  };
  // Synchronous on purpose: the browser prints as soon as beforeprint returns
  // and never waits for a promise, so the recap is drawn from what is in
  // memory (the live counts and the newest log head read).
  const renderRecap = () => fill(printBox, [node, ...node.children].map((n) => recapPage(contest, n, head)));
  window.addEventListener('beforeprint', renderRecap);
  paint();
  renderRecap();
  loadTimeline();
  const timer = setInterval(async () => { loadTimeline(); head = await logHead(); }, TIMELINE_MS);
  const unsub = subscribe(contest.id, region, (msg) => { if (merge(node, msg) !== null) schedule(); });
  return () => {
    unsub();
    clearInterval(timer);
    clearTimeout(pending);
    window.removeEventListener('beforeprint', renderRecap);
  };
}

// ---- one worklist -------------------------------------------------------------

async function mountWorklist(el, contest, region, status) {
  const row = STATUSES.find(([s]) => s === status);
  const where = await api.region(region);
  const body = h('tbody');
  const more = h('button', { type: 'button', text: 'Tampilkan lebih banyak', hidden: true });
  const count = h('p.wl-count');
  let next = null;
  const load = async () => {
    const q = `status=${status}&limit=${PAGE}${next ? `&after=${encodeURIComponent(next)}` : ''}`;
    const page = await api.get(`/api/v1/worklist/${encodeURIComponent(contest.id)}/${encodeURIComponent(region)}?${q}`);
    for (const it of page.items) {
      body.append(h('tr', { 'data-tps': it.tps },
        h('th', { scope: 'row' }, h('a', { href: `/tps/${it.tps}/?c=${encodeURIComponent(contest.id)}`, text: `${it.name} ${it.desa}` })),
        h('td', { text: it.kecamatan }), h('td', { text: TPS_STATUS[it.status] || it.status }),
        h('td', { text: it.since ? `${when(it.since)} (${ago(Date.parse(it.since))})` : '–' })));
    }
    setText(count, `${int(page.total)} TPS · ${int(body.children.length)} ditampilkan`);
    next = page.next;
    more.hidden = !next;
  };
  more.addEventListener('click', load);
  fill(el, h('div.desk.worklist', {},
    h('p.crumb', {}, h('a', { href: deskPath(contest.id), text: '← Pemantauan' })),
    h('h1', { text: `${row ? row[1] : status}: ${where.name}` }),
    h('p', { text: contest.title }), count,
    h('table.desk-table.worklist-table', {},
      h('thead', {}, h('tr', {}, ['TPS', 'Kecamatan', 'Status', 'Sejak'].map((t) => h('th', { scope: 'col', text: t })))), body),
    more));
  await load();
}

export async function mount(el, params, query) {
  const tv = tvMode(query);
  document.documentElement.classList.toggle('tv', tv);
  if (tv) await tvStylesheet(); // the big screen's common rules (header, footer) live there
  const all = await api.contests();
  const contest = pickContest(all, params.contest);
  let cleanup = null;
  try {
    if (params.status) await mountWorklist(el, contest, params.region, params.status);
    else cleanup = await mountDesk(el, contest, all, query);
  } catch (e) {
    fill(el, h('p.notice.error', { text: `Pemantauan tidak dapat dimuat: ${e.message}` }));
  }
  return () => {
    if (cleanup) cleanup();
    document.documentElement.classList.remove('tv');
  };
}
