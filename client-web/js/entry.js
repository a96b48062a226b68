// Entering one Model C.Hasil form, section by section like the paper, with
// the contract's consistency checks (rules.js, the server's own codes) shown
// live while typing. The draft is kept in localStorage until it is sent;
// the pages photographed for it (camera.js) in the outbox's database.

import { h, fill } from './dom.js';
import { saveDraftPages } from './outbox.js';
import { int } from './format.js';
import { ROWS, SEXES, BALLOTS, DISABILITY, candidateLabel, emptyForm, getPath, setPath, fieldList } from './fields.js';
import { evaluate, countProblem, CHECK_FIELDS, fieldMatches, ballotAllowance, TPS_CAPACITY } from './rules.js';
import { checkName, checkRule, PROBLEM } from './labels.js';

export const draftKey = (tps, contest) => `suara.draft.${tps}.${contest}`;

// Forgets a draft: its numbers and its pages (once sent, they are the
// outbox's). Resolves when both are gone, or the pages could not be reached.
export function clearDraft(tps, contest) {
  localStorage.removeItem(draftKey(tps, contest));
  return saveDraftPages(draftKey(tps, contest), []).catch(() => { /* storage gone */ });
}

// tps: the TPS region ({code, dpt, ...}); contest: {id, candidates};
// initial: a form body to start from (a correction), else the saved draft.
export function formEntry({ tps, contest, initial, onSubmit }) {
  const inputs = new Map();
  const computed = [];
  const paths = fieldList(contest.candidates).map((f) => f.path);

  const num = (path, label, describedBy = null) => {
    const id = `f-${path.replace(/\./g, '-')}`;
    const el = h('input.count', {
      id, name: path, inputmode: 'numeric', pattern: '[0-9]*', maxlength: 4, autocomplete: 'off',
      enterkeyhint: 'next', 'aria-label': label, 'aria-describedby': describedBy, 'data-field': path,
    });
    inputs.set(path, el);
    return el;
  };
  const sumOut = (fn, label) => {
    const out = h('output.sum', { 'aria-label': label });
    computed.push([out, fn]);
    return out;
  };
  const val = (path) => {
    const raw = inputs.get(path).value.trim();
    if (raw === '') return undefined;
    return /^\d+$/.test(raw) ? Number(raw) : NaN;
  };
  const add = (...paths) => () => paths.reduce((s, p) => s + (val(p) || 0), 0);

  // The rows are numbered as on the paper, and its fourth row is the sum.
  function lpTable(base, caption, total) {
    const rowPaths = (r) => SEXES.map(([s]) => `${base}.${r}.${s}`);
    return h('table.lp', {},
      h('caption', { text: caption }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Uraian' }),
        // On a 360 px phone the headers are L and P (app.css), as on the paper's totals.
        SEXES.map(([, name, s]) => h('th', { scope: 'col' }, h('span.wide', { text: name }), h('abbr.narrow', { title: name, text: s }))),
        h('th', { scope: 'col', text: 'Jumlah' }))),
      h('tbody', {},
        ROWS.map(([r, short, long], i) => h('tr', {},
          h('th', { scope: 'row' }, `${i + 1}. `, h('abbr', { title: long, text: short })),
          SEXES.map(([s, name]) => h('td', {}, num(`${base}.${r}.${s}`, `${short} ${name.toLowerCase()}, ${caption}`))),
          h('td', {}, sumOut(add(...rowPaths(r)), `Jumlah ${short}, ${caption}`)))),
        h('tr.total', {}, h('th', { scope: 'row', text: total }),
          SEXES.map(([s, name]) => h('td', {}, sumOut(add(...ROWS.map(([r]) => `${base}.${r}.${s}`)), `Jumlah ${name.toLowerCase()}, ${caption}`))),
          h('td', {}, sumOut(add(...ROWS.flatMap(([r]) => rowPaths(r))), `Jumlah seluruhnya, ${caption}`)))));
  }

  // The hint is a description of the box, not part of its name (a screen
  // reader would otherwise read "Surat suara diterimatermasuk cadangan").
  const line = (path, label, hint = '', extra = null) => {
    const id = `f-${path.replace(/\./g, '-')}`;
    return h('div.line', {},
      h('label', { for: id }, h('span', { text: label }), hint ? h('span.help', { id: `${id}-hint`, text: hint }) : null),
      num(path, null, hint ? `${id}-hint` : null), extra);
  };

  const votePaths = contest.candidates.map((c) => `votes.${c.number}`);
  const sections = [
    h('fieldset', {}, h('legend', { text: 'I. Data Pemilih dan Pengguna Hak Pilih' }),
      h('div.table-wrap', {}, lpTable('registered', 'A. Data Pemilih', '4. Jumlah pemilih (1+2+3)')),
      h('div.table-wrap', {}, lpTable('voted', 'B. Pengguna Hak Pilih', '4. Jumlah seluruh pengguna hak pilih (1+2+3)'))),
    h('fieldset', {}, h('legend', { text: 'II. Data Penggunaan Surat Suara' }),
      BALLOTS.map(([k, label, hint], i) => line(`ballots.${k}`, `${i + 1}. ${label}`, hint))),
    h('fieldset', {}, h('legend', { text: 'III. Data Pemilih Disabilitas' }),
      DISABILITY.map(([k, label], i) => line(`disability.${k}`, `${i + 1}. ${label}`))),
    h('fieldset', {}, h('legend', { text: 'IV. Data Perolehan Suara' }),
      h('p.help', { text: 'A. Suara sah setiap pasangan calon' }),
      contest.candidates.map((c) => h(`div.line.cand-line.c${c.number}`, {},
        h('label', { for: `f-votes-${c.number}` }, h('span.chip', { text: String(c.number).padStart(2, '0') }), ` ${candidateLabel(c).slice(3)}`),
        num(`votes.${c.number}`, null))),
      line('valid', 'B. Jumlah seluruh suara sah', 'jumlah A', h('span.calc', {}, 'terhitung: ', sumOut(add(...votePaths), 'Jumlah suara sah dihitung'))),
      line('invalid', 'C. Jumlah suara tidak sah'),
      line('total', 'D. Jumlah seluruh suara sah dan suara tidak sah', 'B + C', h('span.calc', {}, 'terhitung: ', sumOut(add('valid', 'invalid'), 'Jumlah B + C dihitung')))),
  ];

  const checkList = h('ul.checklist');
  const checkSummary = h('p.check-summary', { role: 'status', 'aria-live': 'polite' });
  const submitNote = h('p.submit-note', { id: 'submit-note' });
  const submit = h('button.primary', { type: 'submit', 'aria-describedby': 'submit-note', text: 'Kirim formulir' });
  const form = h('form.entry', { novalidate: true, onsubmit: (e) => { e.preventDefault(); send(); } },
    sections,
    // On a wide screen the card scrolls on its own (sticky, max-height):
    // focusable, so a keyboard can scroll it too.
    h('section.card.checks-card', { 'aria-labelledby': 'checks-title', tabindex: 0 },
      h('h3', { id: 'checks-title', text: 'Pemeriksaan kesesuaian' }), checkSummary, checkList),
    h('div.submit-bar', {}, submitNote, submit));

  function read() {
    const body = emptyForm(tps.code, contest);
    for (const p of paths) setPath(body, p, val(p));
    return body;
  }

  function problems(body) {
    return paths.map((p) => [p, countProblem(getPath(body, p))]).filter(([, code]) => code);
  }

  function refresh() {
    const body = read();
    const probs = new Map(problems(body));
    for (const [p, el] of inputs) {
      const code = probs.get(p);
      const bad = code && code !== 'missing';
      el.setAttribute('aria-invalid', bad ? 'true' : 'false');
      el.title = bad ? PROBLEM[code] : '';
    }
    computed.forEach(([out, fn]) => { out.value = int(fn()); });

    // A check is judged only once every field it reads is filled in.
    const filled = (code) => paths.every((p) => !CHECK_FIELDS[code].some((f) => fieldMatches(f, p)) || !probs.has(p));
    const zeroed = structuredClone(body);
    for (const p of paths) if (probs.has(p)) setPath(zeroed, p, 0);
    const results = evaluate(zeroed, tps.dpt).map((c) => ({ ...c, pending: !filled(c.code) }));
    const failing = new Set(results.filter((c) => !c.ok && !c.pending && c.severity === 'error').map((c) => c.code));
    for (const [p, el] of inputs) {
      el.classList.toggle('checkfail', [...failing].some((code) => CHECK_FIELDS[code].some((f) => fieldMatches(f, p))));
    }
    fill(checkList, results.map((c) => {
      const st = c.pending ? 'pending' : c.ok ? 'ok' : c.severity === 'warning' ? 'warn' : 'fail';
      const icon = { pending: '…', ok: '✓', warn: '!', fail: '✗' }[st];
      const word = { pending: 'belum lengkap', ok: 'sesuai', warn: 'peringatan', fail: 'tidak sesuai' }[st];
      return h(`li.${st}`, { 'data-check': c.code, 'data-state': st },
        h('span.icon', { 'aria-hidden': 'true', text: icon }),
        h('span', {}, h('strong', { text: checkName(c.code) }), ` — ${word}. `, h('span.rule', { text: ruleText(c.code) })));
    }));
    const nFail = failing.size;
    const nWarn = results.filter((c) => !c.ok && !c.pending && c.severity === 'warning').length;
    const nMissing = [...probs.values()].filter((c) => c === 'missing').length;
    const nBad = probs.size - nMissing;
    checkSummary.textContent = nFail ? `${nFail} pemeriksaan tidak sesuai.`
      : results.some((c) => c.pending) ? 'Pemeriksaan berjalan sambil Anda mengisi.'
      : `Semua pemeriksaan sesuai${nWarn ? `, ${nWarn} peringatan` : ''}.`;
    submit.disabled = probs.size > 0;
    submit.textContent = nFail ? 'Kirim (akan ditahan)' : 'Kirim formulir';
    submit.dataset.held = nFail ? 'true' : 'false';
    submitNote.className = `submit-note${nFail ? ' warn' : ''}`;
    submitNote.textContent = probs.size
      ? `Lengkapi isian: ${nMissing ? `${nMissing} belum diisi` : ''}${nMissing && nBad ? ', ' : ''}${nBad ? `${nBad} tidak valid (bilangan bulat 0–9.999)` : ''}.`
      : nFail ? 'Ada pemeriksaan yang tidak sesuai: formulir tetap dapat dikirim, tetapi akan ditahan sampai diperiksa. Cocokkan dulu dengan kertas C.Hasil.'
      : 'Formulir siap dikirim. Bila koneksi putus, formulir disimpan dan dikirim otomatis.';
    return { body, probs };
  }

  function ruleText(code) {
    if (code === 'dpt_matches_roll') return `${checkRule(code)} (${int(tps.dpt)}).`;
    if (code === 'ballot_reserve') return `${checkRule(code)}: paling banyak ${int(ballotAllowance(tps.dpt))}.`;
    if (code === 'tps_capacity') return `DPT + DPPh paling banyak ${TPS_CAPACITY} pemilih.`;
    return `${checkRule(code)}.`;
  }

  function saveDraft() {
    const draft = Object.fromEntries([...inputs].map(([p, el]) => [p, el.value]));
    try { localStorage.setItem(draftKey(tps.code, contest.id), JSON.stringify(draft)); } catch { /* full */ }
  }

  // A form that will be held is sent only on a second, explicit press.
  let heldConfirmed = false;
  function send() {
    const { body, probs } = refresh();
    if (probs.size) {
      const first = inputs.get([...probs.keys()][0]);
      first.focus();
      return;
    }
    if (submit.dataset.held === 'true' && !heldConfirmed) {
      heldConfirmed = true;
      submit.textContent = 'Ya, kirim walau akan ditahan';
      submitNote.textContent = 'Formulir ini akan ditahan sampai diperiksa, tidak langsung terhitung. Sudah dicocokkan dengan kertas C.Hasil? Tekan sekali lagi untuk mengirim.';
      submitNote.setAttribute('role', 'alert');
      return;
    }
    onSubmit(body);
  }

  form.addEventListener('input', () => { heldConfirmed = false; submitNote.removeAttribute('role'); refresh(); saveDraft(); });
  // Enter moves to the next box, as on a phone keyboard, instead of sending.
  form.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !e.target.matches('input.count')) return;
    e.preventDefault();
    const all = [...inputs.values()];
    const next = all[all.indexOf(e.target) + 1];
    if (next) next.focus(); else submit.focus();
  });

  let start = null;
  if (initial) start = Object.fromEntries(paths.map((p) => [p, String(getPath(initial, p) ?? '')]));
  else {
    try { start = JSON.parse(localStorage.getItem(draftKey(tps.code, contest.id))); } catch { start = null; }
  }
  if (start) for (const [p, el] of inputs) el.value = start[p] ?? '';
  refresh();
  return form;
}
