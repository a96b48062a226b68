// The strip people read first, above everything else on the dashboard:
// data masuk (TPS counted of all), partisipasi (voted of the registered
// voters of the counted TPS, and of the whole roll), the leader and the
// margin, and how old the newest data is. Built once; update(node) changes
// texts in place. Nothing here is a live region: announce.js decides what
// is worth saying aloud.

import { h } from './dom.js';
import { int, pct, nomor } from './format.js';
import { bar, setText } from './chart.js';
import { everyAge } from './ago.js';

const pp = new Intl.NumberFormat('id-ID', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

// The leading pair and its lead over the next: {first, second, margin,
// marginShare} (candidates sorted by votes, ties by nomor urut), or null
// before any vote is counted.
export function leader(candidates, votes, valid) {
  const ranked = candidates.map((c) => ({ c, v: votes[c.number] || 0 }))
    .sort((a, b) => b.v - a.v || a.c.number - b.c.number);
  if (!ranked.length || ranked[0].v === 0) return null;
  const second = ranked[1] || { c: null, v: 0 };
  const margin = ranked[0].v - second.v;
  return { first: ranked[0], second, margin, marginShare: valid ? (100 * margin) / valid : 0, tie: margin === 0 };
}

function item(key, label, ...body) {
  return h('div.strip-item', { 'data-strip': key }, h('span.label', { text: label }), ...body);
}

// dptFallback: the roll of the region from the region API, used while tally
// nodes do not carry `dpt` themselves.
export function topStrip(contest, dptFallback, getAt) {
  const masukPct = h('strong.big', { 'data-k': 'masuk-pct' });
  const masukOf = h('span.note', { 'data-k': 'masuk-of' });
  const masukBar = bar(0, 'TPS masuk');
  const turnCounted = h('strong.big', { 'data-k': 'turnout' });
  const turnCountedNote = h('span.note', { 'data-k': 'turnout-of' });
  const turnRoll = h('span.note', { 'data-k': 'turnout-roll' });
  const leadChip = h('span.chip', { 'aria-hidden': 'true' });
  const leadName = h('strong.lead-name', { 'data-k': 'leader' });
  const leadMargin = h('span.note', { 'data-k': 'margin' });
  const age = h('strong', { 'data-k': 'age' });
  const ageNote = h('span.note', { 'data-k': 'age-note' });
  const finalBadge = h('span.badge.ok', { 'data-k': 'final', hidden: true, text: 'Final' });
  const el = h('section.strip', { 'aria-label': 'Ringkasan utama' },
    item('masuk', 'Data masuk', masukPct, masukOf, masukBar),
    item('partisipasi', 'Partisipasi', turnCounted, turnCountedNote, turnRoll),
    item('leader', 'Unggul', h('span.lead-line', {}, leadChip, leadName), leadMargin),
    item('age', 'Data terbaru', age, ageNote, finalBadge));

  let leadClass = '';
  el.update = (node) => {
    const t = node.tps;
    const share = pct(t.counted, t.total, 1);
    setText(masukPct, share);
    setText(masukOf, `${int(t.counted)} dari ${int(t.total)} TPS`);
    masukBar.update(t.total ? t.counted / t.total : 0, `${share} TPS masuk`);

    const dpt = node.dpt ?? dptFallback;
    setText(turnCounted, pct(node.voted, node.registered, 1));
    setText(turnCountedNote, `${int(node.voted)} dari ${int(node.registered)} pemilih di TPS masuk`);
    setText(turnRoll, dpt ? `${pct(node.voted, dpt, 1)} dari seluruh DPT (${int(dpt)})` : '');

    const lead = leader(contest.candidates, node.votes, node.valid);
    const cls = lead && !lead.tie ? `c${lead.first.c.number}` : '';
    if (cls !== leadClass) {
      if (leadClass) el.querySelector('.lead-line').classList.remove(leadClass);
      if (cls) el.querySelector('.lead-line').classList.add(cls);
      leadClass = cls;
    }
    leadChip.hidden = !cls;
    setText(leadChip, lead ? nomor(lead.first.c.number) : '');
    if (!lead) {
      setText(leadName, '–');
      setText(leadMargin, 'belum ada suara');
    } else if (lead.tie) {
      setText(leadName, 'Imbang');
      setText(leadMargin, `${nomor(lead.first.c.number)} dan ${nomor(lead.second.c.number)}: ${int(lead.first.v)} suara`);
    } else {
      setText(leadName, `${nomor(lead.first.c.number)} ${lead.first.c.head}`);
      setText(leadMargin, `selisih ${int(lead.margin)} suara (${pp.format(lead.marginShare)} poin)`);
    }
    finalBadge.hidden = node.final !== true;
  };
  const stopAge = everyAge(getAt, (text) => {
    setText(age, text || '–');
  });
  el.touch = (note) => { setText(ageNote, note); stopAge.now(); };
  el.stop = stopAge;
  return el;
}
