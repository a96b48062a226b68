// What reviewers asked the witnesses of one TPS (GET /api/v1/requests?tps=):
// a new photo of the plano or a note on a recount. Shown on the TPS page,
// where the witness looks after sending; open requests first.

import { h, fill } from './dom.js';
import { when } from './format.js';
import * as api from './api.js';

const KIND = { photo: 'Foto baru', recount: 'Catatan hitung ulang' };

// A section for TPS `code`; el.reload() fetches again. Hidden while empty.
export function requestsBox(code) {
  const el = h('section.card.notice.warn', { 'data-requests': code, hidden: true, 'aria-labelledby': `rq-${code}` });
  el.reload = async () => {
    let data;
    try { data = await api.get(`/api/v1/requests?tps=${encodeURIComponent(code)}`); } catch { return; }
    const list = [...data.requests].sort((a, b) => Number(b.open) - Number(a.open));
    el.hidden = list.length === 0;
    fill(el, h('h2', { id: `rq-${code}`, text: 'Permintaan pemeriksa kepada saksi' }),
      h('ul', {}, list.map((r) => h(`li${r.open ? '' : '.muted'}`, { 'data-request': r.id },
        h('strong', { text: KIND[r.kind] || r.kind }), ` (formulir #${r.form_id}, ${r.contest}) — “${r.note}” — `,
        `${r.name || `pemeriksa #${r.token_id}`}, ${when(r.requested_at)}`,
        r.open ? '' : ' · selesai'))));
  };
  el.reload();
  return el;
}
