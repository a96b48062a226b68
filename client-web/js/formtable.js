// A C.Hasil form as read-only tables. formSheet: one form laid out like the
// paper (section I as L/P/Jumlah tables). formTable: several forms side by
// side, one row per box, marking rows whose numbers differ and rows read by
// a failed check.

import { h } from './dom.js';
import { int, nomor } from './format.js';
import { fieldList, getPath, SECTION, ROWS, SEXES, BALLOTS, DISABILITY } from './fields.js';
import { CHECK_FIELDS, fieldMatches } from './rules.js';

const show = (v) => (v === undefined ? '–' : int(v));

// One form like the paper. failed: codes of failed checks (their rows marked).
export function formSheet(form, candidates, { failed = [] } = {}) {
  const suspect = (path) => failed.some((code) => (CHECK_FIELDS[code] || []).some((p) => fieldMatches(p, path)));
  const mark = (path) => (suspect(path) ? 'checkfail' : null);
  const lp = (base) => [
    h('tr.section', {}, h('th', { scope: 'colgroup', colspan: 4, text: SECTION[base] })),
    ROWS.map(([r, short, long]) => h('tr', {},
      h('th', { scope: 'row' }, h('abbr', { title: long, text: short })),
      SEXES.map(([s]) => h('td', { 'data-field': `${base}.${r}.${s}`, class: mark(`${base}.${r}.${s}`), text: show(form[base][r][s]) })),
      h('td.sum', { text: int(form[base][r].m + form[base][r].f) }))),
    h('tr.total', {}, h('th', { scope: 'row', text: 'Jumlah' }),
      SEXES.map(([s]) => h('td.sum', { text: int(ROWS.reduce((t, [r]) => t + form[base][r][s], 0)) })),
      h('td.sum', { text: int(ROWS.reduce((t, [r]) => t + form[base][r].m + form[base][r].f, 0)) })),
  ];
  const list = (title, rows) => h('table.form-table.sheet-list', {},
    h('caption', { text: title }),
    h('tbody', {}, rows.map(([path, label]) => h('tr', { 'data-field': path, class: mark(path) },
      h('th', { scope: 'row' }, label), h('td', { text: show(getPath(form, path)) })))));
  return h('div.sheet', {},
    h('table.form-table.sheet-lp', {},
      h('caption', { text: 'I. Data Pemilih dan Pengguna Hak Pilih' }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Uraian' }), SEXES.map(([, , s]) => h('th', { scope: 'col', text: s })), h('th', { scope: 'col', text: 'Jumlah' }))),
      h('tbody', {}, lp('registered'), lp('voted'))),
    h('div', {},
      list(SECTION.ballots, BALLOTS.map(([k, label]) => [`ballots.${k}`, label])),
      list(SECTION.disability, DISABILITY.map(([k, label]) => [`disability.${k}`, label]))),
    list(SECTION.votes, [
      ...candidates.map((c) => [`votes.${c.number}`, h('span.cand-name', { class: `c${c.number}` }, h('span.chip', { text: nomor(c.number) }), ` ${c.head}`)]),
      ['valid', 'Jumlah Suara Sah'], ['invalid', 'Suara Tidak Sah'], ['total', 'Jumlah Suara Sah dan Tidak Sah'],
    ]));
}

// columns: [{title, form}]; failed: codes of failed checks (of the first column).
export function formTable(columns, candidates, { failed = [], caption = '' } = {}) {
  const suspect = (path) => failed.some((code) => (CHECK_FIELDS[code] || []).some((p) => fieldMatches(p, path)));
  const body = [];
  let section = null;
  for (const f of fieldList(candidates)) {
    if (f.section !== section) {
      section = f.section;
      body.push(h('tr.section', {}, h('th', { scope: 'colgroup', colspan: columns.length + 1, text: SECTION[section] })));
    }
    const values = columns.map((c) => getPath(c.form, f.path));
    const differs = columns.length > 1 && values.some((v) => v !== values[0]);
    const flagged = suspect(f.path);
    const cls = [differs && 'diff', flagged && 'checkfail'].filter(Boolean).join(' ');
    body.push(h('tr', { class: cls || null, 'data-field': f.path },
      h('th', { scope: 'row' }, f.label,
        differs ? h('span.mark', { title: 'berbeda', text: ' ≠ berbeda' }) : null,
        flagged ? h('span.mark.bad', { title: 'terkait pemeriksaan yang gagal', text: ' ⚠' }) : null),
      values.map((v) => h('td', { text: show(v) }))));
  }
  return h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': caption || 'Isi formulir' },
    h('table.form-table.compare', {},
      caption ? h('caption', { text: caption }) : null,
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Isian' }), columns.map((c) => h('th', { scope: 'col', text: c.title })))),
      h('tbody', {}, body)));
}
