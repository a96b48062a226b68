// The review desk (/review): held and disputed forms in the reviewer's scope,
// oldest first; one form at a time beside the counted form of its TPS, with
// differing numbers and the rows of failed checks marked; decide "count" or
// "reject" with a reason.

import { h, fill } from './dom.js';
import { int, when } from './format.js';
import * as api from './api.js';
import { setUrl, paths } from './router.js';
import { getToken } from './tokens.js';
import { tokenCard } from './tokencard.js';
import { errorText, checkName, checkRule, PROBLEM, shortTitle } from './labels.js';
import { formTable } from './formtable.js';
import { statusBadge, checkBadges } from './badges.js';

export async function mount(el, _params, query) {
  document.title = 'Pemeriksaan formulir — Suara';
  let all = [];
  try { all = await api.contests(); } catch { /* the filter offers "all" only */ }
  const byId = new Map(all.map((c) => [c.id, c]));
  const state = { contest: query.contest || '', region: query.region || '', form: query.form || '', items: [] };

  const contestSel = h('select', { id: 'rv-contest' },
    h('option', { value: '', text: 'Semua pemilihan' }),
    all.map((c) => h('option', { value: c.id, selected: c.id === state.contest, text: c.title })));
  const regionIn = h('input', { id: 'rv-region', value: state.region, placeholder: 'mis. 62.03', inputmode: 'decimal', autocomplete: 'off', 'aria-describedby': 'rv-region-help' });
  const listEl = h('div.review-list', { 'aria-live': 'polite' });
  const detailEl = h('section.card.review-detail', { id: 'detail', hidden: true, tabindex: -1, 'aria-labelledby': 'detail-title' });

  el.append(h('div.review', {},
    h('h1', { text: 'Pemeriksaan formulir ditahan dan sengketa' }),
    tokenCard('reviewer', 'Token pemeriksa', 'Token pemeriksa dari admin; disimpan di perangkat ini.', () => load()),
    h('section.card', { 'aria-label': 'Saring' },
      h('form.row.filters', { onsubmit: (e) => { e.preventDefault(); state.contest = contestSel.value; state.region = regionIn.value.trim(); state.form = ''; load(); } },
        h('div.field', {}, h('label', { for: 'rv-contest', text: 'Pemilihan' }), contestSel),
        h('div.field', {}, h('label', { for: 'rv-region', text: 'Wilayah (kode, boleh kosong)' }), regionIn,
          h('span.help', { id: 'rv-region-help', text: 'Kosong: seluruh wilayah token Anda.' })),
        h('button.primary', { type: 'submit', text: 'Tampilkan' })),
      listEl),
    detailEl));

  function syncUrl() {
    const q = new URLSearchParams(Object.entries({ contest: state.contest, region: state.region, form: state.form }).filter(([, v]) => v));
    setUrl(`${paths.review}${q.size ? `?${q}` : ''}`);
  }

  async function load() {
    syncUrl();
    const token = getToken('reviewer');
    if (!token) { fill(listEl, h('p.muted', { text: 'Simpan token pemeriksa untuk melihat daftar.' })); detailEl.hidden = true; return; }
    fill(listEl, h('p.loading', { text: 'Memuat…' }));
    const q = new URLSearchParams(Object.entries({ contest: state.contest, region: state.region }).filter(([, v]) => v));
    const reply = await api.request('GET', `/api/v1/review${q.size ? `?${q}` : ''}`, { token });
    if (reply.status !== 200) { fill(listEl, h('p.notice.error', { text: errorText(reply) })); detailEl.hidden = true; return; }
    state.items = reply.data.forms;
    renderList();
    const chosen = state.items.find((f) => String(f.form_id) === state.form);
    if (chosen) showDetail(chosen); else { detailEl.hidden = true; state.form = ''; syncUrl(); }
  }

  function renderList() {
    if (!state.items.length) { fill(listEl, h('p.ok-text', { text: 'Tidak ada formulir yang menunggu keputusan.' })); return; }
    fill(listEl, h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': 'Daftar formulir' }, h('table.review-table', {},
      h('caption', { text: `${state.items.length} formulir menunggu keputusan (terlama di atas)` }),
      h('thead', {}, h('tr', {}, ['Formulir', 'TPS', 'Pemilihan', 'Status', 'Masalah', 'Masuk', ''].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, state.items.map((f) => h(`tr${String(f.form_id) === state.form ? '.selected' : ''}`, { 'data-form': f.form_id },
        h('th', { scope: 'row', text: `#${f.form_id}` }),
        h('td', {}, h('a', { href: paths.tps(f.tps, f.contest), text: f.tps })),
        h('td', { text: byId.has(f.contest) ? shortTitle(byId.get(f.contest)) : f.contest }),
        h('td', {}, statusBadge(f.status)),
        h('td', {}, f.status === 'disputed' ? h('span', { text: 'berbeda dengan formulir terhitung' }) : null,
          f.checks_failed.length ? checkBadges(f.checks_failed) : null),
        h('td', { text: when(f.received_at) }),
        h('td', {}, h('button', { type: 'button', text: 'Periksa', onclick: () => { state.form = String(f.form_id); syncUrl(); renderList(); showDetail(f); } }))))))));
  }

  async function showDetail(f) {
    const contest = byId.get(f.contest) || { candidates: Object.keys(f.votes).map((n) => ({ number: Number(n), head: `Paslon ${n}`, deputy: '' })), title: f.contest };
    detailEl.hidden = false;
    fill(detailEl, h('p.loading', { text: 'Memuat…' }));
    let counted = f.counted_form || null;
    let dpt = null;
    try {
      const t = await api.tps(f.tps);
      dpt = t.dpt;
      if (!counted) counted = t.contests.find((c) => c.contest === f.contest)?.counted || null;
    } catch { /* shown without the TPS's details */ }
    const failed = f.checks_failed.map((c) => c.code);
    const columns = [{ title: `Formulir ini #${f.form_id}`, form: f }];
    if (counted && counted.form_id !== f.form_id) columns.push({ title: `Terhitung #${counted.form_id}`, form: counted });
    const note = h('p.decision-msg', { role: 'status', 'aria-live': 'polite' });
    const reason = h('textarea', { id: 'rv-reason', rows: 2, maxlength: 2000, required: true, 'aria-describedby': 'rv-reason-help' });

    async function decide(decision) {
      if (!reason.value.trim()) { note.className = 'decision-msg error'; note.textContent = 'Tuliskan alasan keputusan.'; reason.focus(); return; }
      note.className = 'decision-msg';
      note.textContent = 'Mengirim keputusan…';
      detailEl.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      const reply = await api.request('POST', `/api/v1/forms/${f.form_id}/decision`, {
        token: getToken('reviewer'), body: { decision, reason: reason.value.trim() },
      });
      detailEl.querySelectorAll('button').forEach((b) => { b.disabled = false; });
      if (reply.status === 200 || reply.status === 201) {
        state.form = '';
        await load();
        detailEl.hidden = false;
        fill(detailEl, h('p.notice.ok', { role: 'status', text: `Keputusan tersimpan: formulir #${f.form_id} ${decision === 'count' ? 'dihitung' : 'ditolak'}. Status sekarang: ${reply.data?.status || '–'}.` }));
        return;
      }
      note.className = 'decision-msg error';
      note.textContent = errorText(reply) + (reply.data?.error?.details?.length
        ? ` (${reply.data.error.details.map((d) => `${d.field}: ${PROBLEM[d.code] || d.code}`).join(', ')})` : '');
    }

    fill(detailEl,
      h('h2', { id: 'detail-title' }, `Formulir #${f.form_id} `, statusBadge(f.status)),
      h('p', {}, h('a', { href: paths.tps(f.tps, f.contest), text: `TPS ${f.tps}` }), ` · ${contest.title} · revisi ${f.revision} · masuk ${when(f.received_at)} · token #${f.token_id}`,
        dpt !== null ? ` · DPT KPU ${int(dpt)}` : ''),
      f.status === 'disputed' ? h('p.notice.warn', {
        text: counted ? `Angkanya berbeda dengan formulir terhitung #${counted.form_id} dari saksi lain. Baris yang berbeda ditandai ≠.` : 'Berbeda dengan formulir yang terhitung.',
      }) : null,
      failed.length ? h('div.notice.error', {}, h('p', { text: 'Pemeriksaan yang gagal (baris terkait ditandai ⚠):' }),
        h('ul', {}, failed.map((code) => h('li', { 'data-check': code }, h('strong', { text: checkName(code) }), ` — ${checkRule(code)}.`)))) : null,
      f.checks.some((c) => c.severity === 'warning') ? h('p', {}, 'Peringatan: ', checkBadges(f.checks.filter((c) => c.severity === 'warning'))) : null,
      formTable(columns, contest.candidates, { failed, caption: columns.length > 1 ? 'Perbandingan formulir' : 'Isi formulir' }),
      h('form.decide', { onsubmit: (e) => e.preventDefault() },
        h('div.field', {}, h('label', { for: 'rv-reason', text: 'Alasan keputusan' }), reason,
          h('span.help', { id: 'rv-reason-help', text: 'Misalnya: sesuai foto C.Hasil, dicocokkan dengan saksi lain.' })),
        h('div.actions', {},
          h('button.primary', { type: 'button', 'data-decision': 'count', text: 'Hitung formulir ini', onclick: () => decide('count') }),
          h('button.danger', { type: 'button', 'data-decision': 'reject', text: 'Tolak formulir ini', onclick: () => decide('reject') })),
        note));
    detailEl.focus({ preventScroll: true });
    detailEl.scrollIntoView({ block: 'start' });
  }

  load();
}
