// A C.Hasil form (or several side by side) as a read-only table, section by
// section. With two columns, rows whose numbers differ are marked; rows read
// by a failed check are marked too.

import { h } from './dom.js';
import { int } from './format.js';
import { fieldList, getPath, SECTION } from './fields.js';
import { CHECK_FIELDS, fieldMatches } from './rules.js';

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
      values.map((v) => h('td', { text: v === undefined ? '–' : int(v) }))));
  }
  return h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': caption || 'Isi formulir' },
    h('table.form-table', {},
      caption ? h('caption', { text: caption }) : null,
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Isian' }), columns.map((c) => h('th', { scope: 'col', text: c.title })))),
      h('tbody', {}, body)));
}
