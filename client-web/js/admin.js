// The admin page (/admin): which regions are final (GET /api/v1/status),
// the finalisation of a region after its pleno, behind a confirmation that
// names the region and the contest, an amendment of a TPS's form (a PSU, a
// court's ruling), and the audit trail (who did what and when), filtered by
// kind, a page at a time.
import { h, fill } from './dom.js';
import * as api from './api.js';
import { getToken } from './tokens.js';
import { tokenCard } from './tokencard.js';
import { checkAdmin } from './admintoken.js';
import { errorText } from './labels.js';
import { formEntry, clearDraft } from './entry.js';
import { uuid } from './outbox-core.js';

const KINDS = ['token_created', 'token_revoked', 'auth_failed', 'decision', 'finalize',
  'amendment', 'mode', 'export'];
const KIND_LABEL = {
  token_created: 'token dibuat', token_revoked: 'token dicabut', auth_failed: 'token ditolak',
  decision: 'keputusan pemeriksa', finalize: 'hasil final', amendment: 'amandemen',
  mode: 'mode pemilihan', export: 'unduhan CSV',
};

function detailText(e) {
  return Object.entries(e.detail || {})
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
}

// The final regions, newest status from the server; refresh() asks again.
function finalList(contests) {
  const title = (id) => contests.find((c) => c.id === id)?.title || id;
  const list = h('ul.final-list');
  const card = h('section.card', { 'aria-labelledby': 'final-list-title' },
    h('h2', { id: 'final-list-title', text: 'Wilayah yang sudah final' }), list);
  card.refresh = async (fresh) => {
    const reply = await api.status({ fresh });
    const st = reply.status === 200 ? reply.data : null;
    if (!st) { fill(list, h('li', { text: 'Status server tidak dapat dimuat.' })); return; }
    fill(list, st.final.length
      ? st.final.map((f) => h('li', { 'data-region': f.region, 'data-contest': f.contest },
        h('strong', { text: f.region }), ` · ${title(f.contest)} · sejak ${new Date(f.at).toLocaleString('id-ID')}`))
      : h('li.muted', { text: 'Belum ada wilayah yang final.' }));
  };
  card.refresh(false);
  return card;
}

function finalizeCard(token, contests, onFinal) {
  const contest = h('select', { id: 'final-contest', required: true },
    contests.map((c) => h('option', { value: c.id, text: `${c.title} (${c.id})` })));
  const region = h('input', { id: 'final-region', required: true, inputmode: 'decimal', autocomplete: 'off', placeholder: '62.03' });
  const reason = h('input', { id: 'final-reason', required: true, maxlength: '2000', autocomplete: 'off', placeholder: 'Pleno rekapitulasi kabupaten, 4 Desember 2024' });
  const msg = h('p.field-msg', { id: 'final-msg', role: 'alert' });

  async function submit(e) {
    e.preventDefault();
    const c = contests.find((x) => x.id === contest.value);
    const code = region.value.trim();
    if (!c) { msg.textContent = 'Pilih pemilihan.'; return; }
    let info;
    try { info = await api.region(code); } catch { msg.textContent = `Wilayah ${code} tidak dikenal.`; return; }
    const question = `Tetapkan hasil FINAL untuk ${info.name} (${code}) pada ${c.title}?\n\n`
      + 'Sesudahnya formulir saksi dan keputusan pemeriksa di wilayah ini ditolak; hanya amandemen admin yang bisa mengubahnya.';
    if (!window.confirm(question)) { msg.textContent = 'Dibatalkan.'; return; }
    const reply = await api.request('POST', `/api/v1/contests/${encodeURIComponent(c.id)}/finalize`,
      { token, body: { region: code, reason: reason.value.trim() } });
    if (reply.status !== 200) { msg.textContent = `Gagal: ${errorText(reply)}`; return; }
    const open = reply.data.children_not_final.map((r) => r.name);
    msg.textContent = `${info.name} final pada ${c.title}.`
      + (open.length ? ` Belum final sebelumnya di bawahnya: ${open.join(', ')}.` : '');
    onFinal();
  }
  return h('section.card', { 'aria-labelledby': 'final-title' },
    h('h2', { id: 'final-title', text: 'Tetapkan hasil final (sesudah pleno)' }),
    h('form', { onsubmit: submit },
      h('div.field', {}, h('label', { for: 'final-contest', text: 'Pemilihan' }), contest),
      h('div.field', {}, h('label', { for: 'final-region', text: 'Kode wilayah' }), region),
      h('div.field', {}, h('label', { for: 'final-reason', text: 'Alasan' }), reason),
      h('button.primary', { type: 'submit', text: 'Tetapkan final…' })),
    msg);
}

// An amendment: the admin names the TPS and the contest, the form opens with
// the counted form's numbers, and the corrected form goes straight to the
// server with its reason (an admin works online: no outbox; a retry after
// no answer keeps the same submission_id). Counted as a new revision, also
// inside a final region.
function amendmentCard(token, contests, onSent) {
  const code = h('input', { id: 'amend-tps', required: true, inputmode: 'decimal', autocomplete: 'off', placeholder: '62.01.01.1011.001' });
  const contest = h('select', { id: 'amend-contest' }, contests.map((c) => h('option', { value: c.id, text: `${c.title} (${c.id})` })));
  const msg = h('p.field-msg', { id: 'amend-msg', role: 'alert' });
  const slot = h('div.amend-form');

  async function open(e) {
    e.preventDefault();
    fill(slot);
    msg.textContent = '';
    const c = contests.find((x) => x.id === contest.value);
    const want = code.value.trim();
    let tps, info;
    try { [tps, info] = await Promise.all([api.region(want), api.tps(want)]); } catch { msg.textContent = `TPS ${want} tidak dikenal.`; return; }
    if (!c || !api.covers(c, tps.code)) { msg.textContent = `TPS ${want} tidak termasuk ${c ? c.title : 'pemilihan ini'}.`; return; }
    const counted = info.contests.find((x) => x.contest === c.id)?.counted || null;
    const reason = h('input', { id: 'amend-reason', required: true, maxlength: '2000', autocomplete: 'off', placeholder: 'Putusan MK nomor …' });
    const sent = h('p.field-msg', { id: 'amend-sent', role: 'status' });
    const id = uuid();
    async function send(body) {
      if (!reason.value.trim()) { sent.textContent = 'Tuliskan alasan amandemen.'; reason.focus(); return; }
      const reply = await api.request('POST', '/api/v1/forms', {
        token, body: { submission_id: id, ...body, amendment: { reason: reason.value.trim() } },
      });
      if (reply.status !== 201 && reply.status !== 200) { sent.textContent = `Gagal: ${errorText(reply)}`; return; }
      clearDraft(tps.code, c.id);
      fill(slot, h('p.notice.ok', { role: 'status', 'data-k': 'amended' },
        `Amandemen tersimpan: formulir #${reply.data.form_id}, revisi ${reply.data.revision}, status ${reply.data.status}. `,
        h('a', { href: `/tps/${tps.code}/?c=${encodeURIComponent(c.id)}`, text: 'Lihat riwayat TPS' })));
      onSent();
    }
    fill(slot,
      h('p', {}, h('strong', { text: `${tps.name} · ${tps.code}` }), ` · ${c.title} · `,
        counted ? `dimulai dari formulir terhitung #${counted.form_id} (revisi ${counted.revision})` : 'belum ada formulir terhitung'),
      h('div.field', {}, h('label', { for: 'amend-reason', text: 'Alasan amandemen' }), reason),
      formEntry({ tps, contest: c, initial: counted, onSubmit: send }),
      sent);
  }
  return h('section.card', { 'aria-labelledby': 'amend-title' },
    h('h2', { id: 'amend-title', text: 'Amandemen formulir TPS (PSU, putusan pengadilan)' }),
    h('form', { onsubmit: open },
      h('div.field', {}, h('label', { for: 'amend-tps', text: 'Kode TPS' }), code),
      h('div.field', {}, h('label', { for: 'amend-contest', text: 'Pemilihan' }), contest),
      h('button', { type: 'submit', text: 'Buka formulir' })),
    msg, slot);
}

function auditCard(token) {
  const kind = h('select', { id: 'audit-kind' }, h('option', { value: '', text: 'semua jenis' }),
    KINDS.map((k) => h('option', { value: k, text: `${k} (${KIND_LABEL[k]})` })));
  const rows = h('tbody');
  const status = h('p.muted', { role: 'status' });
  const more = h('button', { type: 'button', text: 'Muat berikutnya', hidden: true });
  let next = 0;
  let loading = 0; // a newer load makes an older answer moot

  async function load(reset) {
    const id = ++loading;
    const q = new URLSearchParams({ limit: '100', after: String(reset ? 0 : next) });
    if (kind.value) q.set('kind', kind.value);
    const reply = await api.request('GET', `/api/v1/audit?${q}`, { token });
    if (id !== loading) return;
    if (reply.status !== 200) { status.textContent = `Jejak audit tidak dapat dimuat: ${errorText(reply)}`; return; }
    if (reset) fill(rows);
    for (const e of reply.data.events) {
      rows.append(h('tr', { 'data-kind': e.kind },
        h('td', { text: String(e.id) }), h('td', { text: e.at }),
        h('td', {}, h('code', { text: e.kind })), h('td', { text: e.token_id === null ? '—' : `#${e.token_id}` }),
        h('td.detail', { text: detailText(e) })));
    }
    next = reply.data.next;
    more.hidden = next === null;
    status.textContent = `${rows.children.length} peristiwa ditampilkan${next === null ? '' : ' (ada lagi)'}.`;
  }
  kind.addEventListener('change', () => load(true));
  more.addEventListener('click', () => load(false));
  load(true);
  const card = h('section.card', { 'aria-labelledby': 'audit-title' },
    h('h2', { id: 'audit-title', text: 'Jejak audit' }),
    h('div.field', {}, h('label', { for: 'audit-kind', text: 'Jenis peristiwa' }), kind),
    // Wider than a phone: scrolled sideways, so reachable by keyboard too.
    h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': 'Tabel jejak audit' }, h('table.audit', {},
      h('caption.sr-only', { text: 'Peristiwa jejak audit, yang terlama dahulu' }),
      h('thead', {}, h('tr', {}, ['#', 'waktu', 'jenis', 'token', 'rincian'].map((t) => h('th', { scope: 'col', text: t })))),
      rows)),
    status, more);
  card.reload = () => load(true);
  return card;
}

export async function mount(el) {
  document.title = 'Admin — Suara';
  const body = h('div');
  const render = async (token) => {
    if (!token) { fill(body); return; }
    const contests = await api.contests().catch(() => []);
    const finals = finalList(contests);
    const audit = auditCard(token);
    fill(body, finals, finalizeCard(token, contests, () => { finals.refresh(true); audit.reload(); }),
      amendmentCard(token, contests, () => audit.reload()), audit);
  };
  fill(el, h('h1', { text: 'Admin' }),
    h('p', {}, h('a', { href: '/admin/kartu', text: 'Kartu saksi per TPS (token dan kode QR untuk dicetak)' })),
    tokenCard('admin', 'Token admin', 'Token peran admin dari `suara token create --role admin`.', render, { check: checkAdmin }),
    body);
  render(getToken('admin'));
}
