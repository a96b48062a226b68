// The dispute alert, while the plano is still posted at the TPS: after a
// witness's form is sent, the page follows its TPS and contest over the live
// feed. When another witness's form for the same TPS and contest disagrees,
// or the witness's own form is held, the phone shows at once which boxes
// differ (theirs beside the other's) and offers "koreksi formulir saya", so
// the witnesses can read the paper again before it leaves the TPS.
//
// The live feed says that something changed at the TPS (its counters); what
// changed is read from GET /api/v1/tps/{code}, whose history holds every
// form with its numbers and its token's id.

import { h, fill } from './dom.js';
import * as api from './api.js';
import { subscribe } from './live.js';
import { fieldList, getPath } from './fields.js';
import { int, when } from './format.js';
import { checkName } from './labels.js';

const IGNORED = new Set(['superseded', 'rejected']); // replaced by a correction, or decided away

// The boxes where two forms differ: [{path, label, mine, theirs}].
export function differences(candidates, mine, theirs) {
  return fieldList(candidates)
    .map((f) => ({ ...f, mine: getPath(mine, f.path), theirs: getPath(theirs, f.path) }))
    .filter((d) => d.mine !== d.theirs);
}

// What the TPS's history says about the witness's form `submissionId`:
// {mine, others: [{form, diffs}]} with the latest form of every other token;
// null while the form is not there yet.
function judge(history, submissionId, candidates) {
  const sent = history.find((f) => f.submission_id === submissionId);
  if (!sent) return null;
  const mineAll = history.filter((f) => f.token_id === sent.token_id);
  const mine = mineAll[mineAll.length - 1];
  const latest = new Map();
  for (const f of history) if (f.token_id !== sent.token_id && !IGNORED.has(f.status)) latest.set(f.token_id, f);
  const others = [...latest.values()].map((form) => ({ form, diffs: differences(candidates, mine, form) }));
  return { mine, others };
}

function diffTable(diffs) {
  return h('table.diff', {},
    h('caption', { text: 'Kotak yang berbeda' }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Kotak' }), h('th', { scope: 'col', text: 'Angka Anda' }),
      h('th', { scope: 'col', text: 'Angka saksi lain' }))),
    h('tbody', {}, diffs.map((d) => h('tr', { 'data-field': d.path },
      h('th', { scope: 'row', text: d.label }), h('td', { 'data-k': 'mine', text: int(d.mine) }),
      h('td', { 'data-k': 'theirs', text: int(d.theirs) })))));
}

function render(box, verdict, onCorrect) {
  const correct = () => h('button.primary', { type: 'button', text: 'Koreksi formulir saya', onclick: () => onCorrect(verdict.mine) });
  if (verdict.mine.status === 'held') {
    const failed = (verdict.mine.checks || []).filter((c) => c.severity === 'error');
    fill(box, h('div.notice.warn.dispute-alert', { role: 'alert', 'data-state': 'held' },
      h('h3', { text: 'Formulir Anda ditahan' }),
      h('p', { text: `Pemeriksaan tidak sesuai: ${failed.map((c) => checkName(c.code)).join(', ') || '—'}. Cocokkan dengan plano C.Hasil selagi masih terpasang.` }),
      h('div.actions', {}, correct())));
    return;
  }
  const disputes = verdict.others.filter((o) => o.diffs.length);
  if (disputes.length) {
    const { form, diffs } = disputes[disputes.length - 1];
    fill(box, h('div.notice.error.dispute-alert', { role: 'alert', 'data-state': 'differs' },
      h('h3', { text: 'Berbeda — perlu dicek' }),
      h('p', { text: `Saksi lain mengirim angka berbeda untuk TPS ini (${when(form.received_at)}). Cocokkan lagi dengan plano C.Hasil selagi masih terpasang di TPS.` }),
      diffTable(diffs),
      h('p.help', { text: 'Bila angka Anda yang keliru, kirim koreksi. Bila angka Anda benar, biarkan: pemeriksa akan memutuskan.' }),
      h('div.actions', {}, correct())));
    return;
  }
  if (verdict.others.length) {
    fill(box, h('p.notice.ok', { 'data-state': 'confirmed', text: 'Sama dengan formulir saksi lain untuk TPS ini.' }));
    return;
  }
  fill(box, h('p.muted', { 'data-state': 'watching', text: 'Memantau TPS ini: bila saksi lain mengirim angka berbeda, perbedaannya muncul di sini.' }));
}

// Follows the TPS of a sent form. Answers {el, stop}; onCorrect(form) with
// the witness's latest form, to start a correction from its numbers.
export function watchForm({ tps, contest, submissionId, onCorrect }) {
  const box = h('div.dispute-watch', { 'aria-live': 'polite' });
  let stopped = false;
  let pending = null;
  let again = false;
  let lastCounters = '';

  async function check() {
    if (pending) { again = true; return; }
    pending = (async () => {
      try {
        const info = await api.tps(tps);
        const c = info.contests.find((x) => x.contest === contest.id);
        const verdict = c && judge(c.history, submissionId, contest.candidates);
        if (verdict && !stopped) render(box, verdict, onCorrect);
      } catch { /* offline: the live feed's snapshot after reconnecting asks again */ }
    })();
    await pending;
    pending = null;
    if (again && !stopped) { again = false; check(); }
  }

  const unsubscribe = subscribe(contest.id, tps, (msg) => {
    const counters = JSON.stringify(msg.tps || {});
    if (msg.type === 'snapshot' || counters !== lastCounters) check();
    lastCounters = counters;
  });
  // The subscription's first message (a snapshot) makes the first check.
  return { el: box, stop: () => { stopped = true; unsubscribe(); } };
}
