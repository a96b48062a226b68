// The review desk (/review): held and disputed forms in the reviewer's scope
// in a split view, the queue on the left and one form on the right beside the
// counted form of its TPS (differing numbers and the rows of failed checks
// marked). The queue refreshes itself every REFRESH_MS, changing its rows in
// place (keyed by form id): selection, focus and scroll stay. Opening a form
// claims it on the server, so a second reviewer sees who works on it and
// cannot decide it; the claim is renewed while the form is open and released
// when another is opened. Three answers: count, reject, or ask the witness
// for a new photo or a recount note. Keyboard: j/k next/previous form,
// a reason, 1-5 a preset reason, h count, t reject, m ask the witness.

import { h, fill } from './dom.js';
import { int, when } from './format.js';
import * as api from './api.js';
import { setUrl, paths } from './router.js';
import { getToken } from './tokens.js';
import { tokenCard } from './tokencard.js';
import { errorText, checkName, checkRule, PROBLEM, shortTitle } from './labels.js';
import { formTable } from './formtable.js';
import { statusBadge, checkBadges, amendmentNote } from './badges.js';
import { ago } from './ago.js';
import { setText } from './chart.js';
import { photoColumns } from './photoview.js';

const REFRESH_MS = 10000;
const RENEW_MS = 45000; // well inside the server's claim time (120 s by default)

export const PRESETS = [
  'Sesuai foto C.Hasil.',
  'Dicocokkan dengan formulir saksi lain.',
  'Salah ketik, angka dibetulkan sesuai foto.',
  'Angka tidak sesuai foto C.Hasil.',
  'Foto tidak terbaca; menunggu foto baru.',
];

const SORTS = {
  age: { label: 'Terlama dulu', cmp: (a, b) => a.form_id - b.form_id },
  diff: { label: 'Selisih terbesar', cmp: (a, b) => (b.difference ?? 0) - (a.difference ?? 0) || a.form_id - b.form_id },
  new: { label: 'Terbaru dulu', cmp: (a, b) => b.form_id - a.form_id },
};

const REQUEST_KIND = { photo: 'Foto baru', recount: 'Catatan hitung ulang' };

const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

function place(f) {
  return [f.desa, f.kecamatan].filter(Boolean).join(', ');
}

function witnessName(f) {
  return f.token_name ? `${f.token_name} (token #${f.token_id})` : `token #${f.token_id}`;
}

export async function mount(el, _params, query) {
  document.title = 'Pemeriksaan formulir — Suara';
  let all = [];
  try { all = await api.contests(); } catch { /* the filter offers "all" only */ }
  const byId = new Map(all.map((c) => [c.id, c]));
  const state = {
    contest: query.contest || '', region: query.region || '', form: query.form || '',
    sort: SORTS[query.sort] ? query.sort : 'age', items: [], loadedAt: null,
  };
  let stopped = false;
  let claimTimer = null;
  let claimedId = null; // the form this page holds a claim on
  let detail = null; // {f, buttons, decide, ask, reason}

  const contestSel = h('select', { id: 'rv-contest' },
    h('option', { value: '', text: 'Semua pemilihan' }),
    all.map((c) => h('option', { value: c.id, selected: c.id === state.contest, text: c.title })));
  const regionIn = h('input', { id: 'rv-region', value: state.region, placeholder: 'mis. 62.03', inputmode: 'decimal', autocomplete: 'off', 'aria-describedby': 'rv-region-help' });
  const sortSel = h('select', { id: 'rv-sort' },
    Object.entries(SORTS).map(([k, s]) => h('option', { value: k, selected: k === state.sort, text: s.label })));
  const listEl = h('div.review-list');
  const quiet = h('p.sr-only', { role: 'status' });
  const detailEl = h('section.card.review-detail', { id: 'detail', tabindex: -1, 'aria-labelledby': 'detail-title' },
    h('p.muted', { text: 'Pilih formulir dari antrean.' }));

  el.append(h('div.review', {},
    h('h1', { text: 'Pemeriksaan formulir ditahan dan sengketa' }),
    tokenCard('reviewer', 'Token pemeriksa', 'Token pemeriksa dari admin; disimpan di perangkat ini.', () => load()),
    h('section.card', { 'aria-label': 'Saring' },
      h('form.row.filters', { onsubmit: (e) => { e.preventDefault(); state.contest = contestSel.value; state.region = regionIn.value.trim(); select(''); load(); } },
        h('div.field', {}, h('label', { for: 'rv-contest', text: 'Pemilihan' }), contestSel),
        h('div.field', {}, h('label', { for: 'rv-region', text: 'Wilayah (kode, boleh kosong)' }), regionIn,
          h('span.help', { id: 'rv-region-help', text: 'Kosong: seluruh wilayah token Anda.' })),
        h('button.primary', { type: 'submit', text: 'Tampilkan' })),
      h('details.shortcuts', {}, h('summary', { text: 'Pintasan papan ketik' }),
        h('ul', {},
          h('li', {}, h('kbd', { text: 'j' }), ' / ', h('kbd', { text: 'k' }), ' formulir berikut / sebelumnya'),
          h('li', {}, h('kbd', { text: 'a' }), ' ke kotak alasan; ', h('kbd', { text: '1' }), '–', h('kbd', { text: '5' }), ' alasan siap pakai'),
          h('li', {}, h('kbd', { text: 'h' }), ' hitung, ', h('kbd', { text: 't' }), ' tolak, ', h('kbd', { text: 'm' }), ' minta saksi')))),
    h('div.review-split', {},
      h('section.card.review-queue', { 'aria-labelledby': 'queue-title' },
        h('div.queue-head', {}, h('h2', { id: 'queue-title', text: 'Antrean' }),
          h('div.field.sort-field', {}, h('label', { for: 'rv-sort', text: 'Urutkan' }), sortSel)),
        listEl, quiet),
      detailEl)));

  sortSel.addEventListener('change', () => { state.sort = sortSel.value; syncUrl(); renderList(); });

  function syncUrl() {
    const q = new URLSearchParams(Object.entries({ contest: state.contest, region: state.region, form: state.form, sort: state.sort === 'age' ? '' : state.sort }).filter(([, v]) => v));
    setUrl(`${paths.review}${q.size ? `?${q}` : ''}`);
  }

  // ---- the queue ----------------------------------------------------------
  const rows = new Map(); // form id -> {tr, cells}
  let table = null;
  let tbody = null;
  let caption = null;

  // Five columns, so the queue fits its half of a 1366 px screen: the age
  // goes under the form's number, the contest under the TPS and its desa,
  // the button under whoever holds a claim.
  function makeRow(f) {
    const claimCell = h('span.rv-claim');
    const ageCell = h('span.rv-age.muted');
    const openBtn = h('button', { type: 'button', text: 'Periksa', onclick: () => open(f.form_id, true) });
    const tr = h('tr', { 'data-form': f.form_id },
      h('th', { scope: 'row' }, `#${f.form_id}`, ageCell),
      h('td.rv-place', {}, h('a', { href: paths.tps(f.tps, f.contest), text: f.tps }), h('span.muted.rv-desa', { text: place(f) }),
        h('span.muted.rv-contest', { text: byId.has(f.contest) ? shortTitle(byId.get(f.contest)) : f.contest })),
      h('td', {}, statusBadge(f.status),
        f.checks_failed.length ? h('span.rv-checks', { text: f.checks_failed.map((c) => checkName(c.code)).join(', ') }) : null),
      h('td.num.rv-diff', { 'data-k': 'difference' }),
      h('td.rv-act', {}, claimCell, openBtn));
    return { tr, claimCell, ageCell, diffCell: tr.querySelector('.rv-diff') };
  }

  function paintRow(r, f) {
    setText(r.diffCell, f.difference === undefined ? '–' : int(f.difference));
    setText(r.ageCell, ago(new Date(f.received_at)));
    const c = f.claim;
    const mine = c && c.form_id === claimedId && claimedId === f.form_id;
    setText(r.claimCell, !c ? '—' : mine ? 'Anda' : (c.name || `token #${c.token_id}`));
    r.tr.classList.toggle('claimed', Boolean(c && !mine));
    r.tr.classList.toggle('selected', String(f.form_id) === state.form);
  }

  function renderList() {
    if (!state.items.length) {
      rows.clear(); table = null;
      fill(listEl, h('p.ok-text', { text: 'Tidak ada formulir yang menunggu keputusan.' }));
      return;
    }
    if (!table) {
      caption = h('caption');
      tbody = h('tbody');
      table = h('table.review-table', {}, caption,
        h('thead', {}, h('tr', {}, ['Formulir, masuk', 'TPS, pemilihan', 'Status', 'Selisih', 'Pemeriksa'].map((t) => h('th', { scope: 'col', text: t })))),
        tbody);
      fill(listEl, h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': 'Antrean formulir' }, table));
    }
    setText(caption, `${state.items.length} formulir menunggu keputusan (${SORTS[state.sort].label.toLowerCase()})`);
    const keep = new Set(state.items.map((f) => f.form_id));
    for (const [id, r] of rows) if (!keep.has(id)) { r.tr.remove(); rows.delete(id); }
    const sorted = [...state.items].sort(SORTS[state.sort].cmp);
    for (const f of sorted) {
      let r = rows.get(f.form_id);
      if (!r) { r = makeRow(f); rows.set(f.form_id, r); }
      paintRow(r, f);
    }
    const now = [...tbody.children];
    if (now.length !== sorted.length || sorted.some((f, i) => now[i] !== rows.get(f.form_id).tr)) {
      const focused = tbody.contains(document.activeElement) ? document.activeElement : null;
      tbody.append(...sorted.map((f) => rows.get(f.form_id).tr));
      if (focused && document.activeElement !== focused) focused.focus({ preventScroll: true });
    }
  }

  async function load({ quietly = false } = {}) {
    syncUrl();
    const token = getToken('reviewer');
    if (!token) { fill(listEl, h('p.muted', { text: 'Simpan token pemeriksa untuk melihat daftar.' })); rows.clear(); table = null; return; }
    if (!quietly) { fill(listEl, h('p.loading', { text: 'Memuat…' })); rows.clear(); table = null; }
    const q = new URLSearchParams(Object.entries({ contest: state.contest, region: state.region }).filter(([, v]) => v));
    const reply = await api.request('GET', `/api/v1/review${q.size ? `?${q}` : ''}`, { token });
    if (stopped) return;
    if (reply.status !== 200) {
      if (!quietly) { fill(listEl, h('p.notice.error', { text: errorText(reply) })); rows.clear(); table = null; }
      return;
    }
    const before = state.items.length;
    state.items = reply.data.forms;
    state.loadedAt = new Date();
    renderList();
    if (quietly && state.items.length > before) setText(quiet, `${state.items.length - before} formulir baru di antrean.`);
    const chosen = state.items.find((f) => String(f.form_id) === state.form);
    if (!quietly) {
      if (chosen) showDetail(chosen, false); else if (state.form) select('');
    } else if (detail && chosen) {
      detail.refresh(chosen);
    }
  }

  // ---- claims -------------------------------------------------------------
  async function claim(id) {
    const reply = await api.request('POST', `/api/v1/forms/${id}/claim`, { token: getToken('reviewer') });
    if (reply.status === 200) { claimedId = id; return { ok: true, claim: reply.data }; }
    return { ok: false, reply };
  }

  function release() {
    clearInterval(claimTimer);
    claimTimer = null;
    if (claimedId === null) return;
    const id = claimedId;
    claimedId = null;
    api.request('DELETE', `/api/v1/forms/${id}/claim`, { token: getToken('reviewer') });
  }

  function select(id) {
    if (String(claimedId) !== String(id)) release();
    state.form = id ? String(id) : '';
    syncUrl();
    if (!id) { detail = null; fill(detailEl, h('p.muted', { text: 'Pilih formulir dari antrean.' })); }
  }

  function open(id, focus) {
    const f = state.items.find((x) => x.form_id === id);
    if (!f) return;
    select(id);
    renderList();
    showDetail(f, focus);
  }

  function step(delta) {
    const sorted = [...state.items].sort(SORTS[state.sort].cmp);
    if (!sorted.length) return;
    const i = sorted.findIndex((f) => String(f.form_id) === state.form);
    const next = sorted[Math.max(0, Math.min(sorted.length - 1, i < 0 ? 0 : i + delta))];
    open(next.form_id, false);
    rows.get(next.form_id)?.tr.scrollIntoView({ block: 'nearest' });
  }

  // ---- one form -----------------------------------------------------------
  async function showDetail(f, focus) {
    const contest = byId.get(f.contest) || { candidates: Object.keys(f.votes).map((n) => ({ number: Number(n), head: `Paslon ${n}`, deputy: '' })), title: f.contest };
    fill(detailEl, h('p.loading', { text: 'Memuat…' }));
    let counted = f.counted_form || null;
    let dpt = null;
    const [tpsInfo, claimed] = await Promise.all([api.tps(f.tps).catch(() => null), claim(f.form_id)]);
    if (stopped || state.form !== String(f.form_id)) return;
    if (tpsInfo) {
      dpt = tpsInfo.dpt;
      if (!counted) counted = tpsInfo.contests.find((c) => c.contest === f.contest)?.counted || null;
    }
    if (claimed.ok) {
      clearInterval(claimTimer);
      claimTimer = setInterval(() => { if (claimedId === f.form_id) claim(f.form_id); }, RENEW_MS);
      // The queue may have been drawn before the claim came back (a form
      // opened from its URL): its row says "Anda" now, not a name.
      const r = rows.get(f.form_id);
      if (r) paintRow(r, { ...f, claim: { ...claimed.claim, form_id: f.form_id } });
    }
    const holder = claimed.ok ? null : claimed.reply.data?.error?.details?.[0] || null;
    const failed = f.checks_failed.map((c) => c.code);
    const columns = [{ title: `Formulir ini #${f.form_id}`, form: f }];
    if (counted && counted.form_id !== f.form_id) {
      columns.push({ title: `Terhitung #${counted.form_id}${counted.amendment ? ' (amandemen)' : ''}`, form: counted });
    }
    const note = h('p.decision-msg', { role: 'status', 'aria-live': 'polite' });
    const reason = h('textarea', { id: 'rv-reason', rows: 2, maxlength: 2000, required: true, 'aria-describedby': 'rv-reason-help' });
    const claimNote = h('p', { 'data-k': 'claim' });
    const requestsEl = h('div.rv-requests');
    const kindSel = h('select', { id: 'rv-kind' }, Object.entries(REQUEST_KIND).map(([k, label]) => h('option', { value: k, text: label })));

    const buttons = [
      h('button.primary', { type: 'button', 'data-decision': 'count', 'aria-keyshortcuts': 'h', text: 'Hitung formulir ini', onclick: () => decide('count') }),
      h('button.danger', { type: 'button', 'data-decision': 'reject', 'aria-keyshortcuts': 't', text: 'Tolak formulir ini', onclick: () => decide('reject') }),
    ];
    const askBtn = h('button', { type: 'button', 'data-decision': 'ask', 'aria-keyshortcuts': 'm', text: 'Minta saksi', onclick: () => ask() });
    const all3 = [...buttons, askBtn];

    function showClaim(c) {
      if (!c) {
        claimNote.className = 'notice ok';
        setText(claimNote, 'Anda sedang memeriksa formulir ini; pemeriksa lain melihatnya di antrean.');
        all3.forEach((b) => { b.disabled = false; });
        return;
      }
      claimNote.className = 'notice warn';
      setText(claimNote, `Sedang diperiksa oleh ${c.name || `token #${c.token_id}`} sampai ${when(c.expires_at)}. Keputusan Anda akan ditolak selama itu.`);
      all3.forEach((b) => { b.disabled = true; });
    }

    function paintRequests(list) {
      fill(requestsEl, list?.length ? [
        h('h3', { text: 'Permintaan ke saksi' }),
        h('ul.rv-request-list', {}, list.map((r) => h('li', { 'data-request': r.id },
          h('strong', { text: REQUEST_KIND[r.kind] || r.kind }), ` — “${r.note}” — ${r.name || `token #${r.token_id}`}, ${when(r.requested_at)}`))),
      ] : null);
    }

    function busy(on) { all3.forEach((b) => { b.disabled = on; }); }

    async function decide(decision) {
      if (!reason.value.trim()) { note.className = 'decision-msg error'; note.textContent = 'Tuliskan alasan keputusan.'; reason.focus(); return; }
      note.className = 'decision-msg';
      note.textContent = 'Mengirim keputusan…';
      busy(true);
      const reply = await api.request('POST', `/api/v1/forms/${f.form_id}/decision`, {
        token: getToken('reviewer'), body: { decision, reason: reason.value.trim() },
      });
      busy(false);
      if (reply.status === 200 || reply.status === 201) {
        claimedId = null; // the decision ended the claim
        clearInterval(claimTimer);
        state.form = '';
        detail = null;
        await load({ quietly: true });
        fill(detailEl, h('p.notice.ok', { role: 'status', text: `Keputusan tersimpan: formulir #${f.form_id} ${decision === 'count' ? 'dihitung' : 'ditolak'}. Status sekarang: ${reply.data?.status || '–'}.` }));
        syncUrl();
        return;
      }
      if (reply.data?.error?.code === 'claimed') showClaim(reply.data.error.details?.[0]);
      note.className = 'decision-msg error';
      note.textContent = (reply.data?.error?.code === 'claimed' ? 'Formulir ini sedang diperiksa pemeriksa lain.' : errorText(reply)) + (reply.data?.error?.details?.length && reply.data.error.code !== 'claimed'
        ? ` (${reply.data.error.details.map((d) => `${d.field}: ${PROBLEM[d.code] || d.code}`).join(', ')})` : '');
    }

    async function ask() {
      if (!reason.value.trim()) { note.className = 'decision-msg error'; note.textContent = 'Tuliskan pesan untuk saksi di kotak alasan.'; reason.focus(); return; }
      note.className = 'decision-msg';
      note.textContent = 'Mengirim permintaan…';
      busy(true);
      const reply = await api.request('POST', `/api/v1/forms/${f.form_id}/request`, {
        token: getToken('reviewer'), body: { kind: kindSel.value, note: reason.value.trim() },
      });
      busy(false);
      if (reply.status === 201) {
        f.requests = [reply.data, ...(f.requests || [])];
        paintRequests(f.requests);
        reason.value = '';
        note.className = 'decision-msg';
        note.textContent = `Permintaan terkirim ke saksi (${REQUEST_KIND[reply.data.kind]}). Formulir tetap menunggu.`;
        return;
      }
      note.className = 'decision-msg error';
      note.textContent = errorText(reply);
    }

    const presets = h('div.presets', { role: 'group', 'aria-label': 'Alasan siap pakai' },
      PRESETS.map((text, i) => h('button.preset', { type: 'button', 'aria-keyshortcuts': String(i + 1), onclick: () => { reason.value = text; reason.focus(); } }, h('span.key', { 'aria-hidden': 'true', text: `${i + 1}` }), ` ${text}`)));

    fill(detailEl,
      h('h2', { id: 'detail-title' }, `Formulir #${f.form_id} `, statusBadge(f.status)),
      h('p', {}, h('a', { href: paths.tps(f.tps, f.contest), text: `TPS ${f.tps}` }), place(f) ? ` (${place(f)})` : '',
        ` · ${contest.title} · revisi ${f.revision} · masuk ${when(f.received_at)}`,
        dpt !== null ? ` · DPT KPU ${int(dpt)}` : ''),
      h('p', { 'data-k': 'witness' }, 'Saksi: ', h('strong', { text: witnessName(f) }),
        f.difference !== undefined ? ` · selisih ${int(f.difference)}` : ''),
      claimNote,
      amendmentNote(f),
      counted && counted.form_id !== f.form_id && counted.amendment
        ? h('div', { 'data-k': 'counted-amendment' }, h('p', { text: `Formulir terhitung #${counted.form_id} adalah amandemen admin:` }), amendmentNote(counted)) : null,
      h('div.rv-photos'), // the photo viewer's place
      f.status === 'disputed' ? h('p.notice.warn', {
        text: counted ? `Angkanya berbeda dengan formulir terhitung #${counted.form_id} dari saksi lain. Baris yang berbeda ditandai ≠.` : 'Berbeda dengan formulir yang terhitung.',
      }) : null,
      failed.length ? h('div.notice.error', {}, h('p', { text: 'Pemeriksaan yang gagal (baris terkait ditandai ⚠):' }),
        h('ul', {}, failed.map((code) => h('li', { 'data-check': code }, h('strong', { text: checkName(code) }), ` — ${checkRule(code)}.`)))) : null,
      f.checks.some((c) => c.severity === 'warning') ? h('p', {}, 'Peringatan: ', checkBadges(f.checks.filter((c) => c.severity === 'warning'))) : null,
      formTable(columns, contest.candidates, { failed, caption: columns.length > 1 ? 'Perbandingan formulir' : 'Isi formulir' }),
      requestsEl,
      h('form.decide', { onsubmit: (e) => e.preventDefault() },
        h('div.field', {}, h('label', { for: 'rv-reason', text: 'Alasan keputusan (atau pesan untuk saksi)' }), reason,
          h('span.help', { id: 'rv-reason-help', text: 'Wajib diisi. Pilih alasan siap pakai atau tulis sendiri.' })),
        presets,
        h('div.actions', {}, buttons),
        h('div.ask-row', {},
          h('div.field', {}, h('label', { for: 'rv-kind', text: 'Minta saksi mengirim' }), kindSel), askBtn),
        note));
    fill(detailEl.querySelector('.rv-photos'), photoColumns(
      columns.map((c) => ({ title: `Foto ${c.title.toLowerCase()}`, photos: c.form.photos || [] })),
      { token: getToken('reviewer') }));
    showClaim(holder);
    paintRequests(f.requests);
    detail = {
      f, reason, decide, ask,
      refresh: (fresh) => { if (fresh.requests) paintRequests(fresh.requests); },
    };
    if (focus) {
      detailEl.focus({ preventScroll: true });
      if (window.matchMedia('(max-width: 999px)').matches) detailEl.scrollIntoView({ block: 'start' });
    }
  }

  // ---- keyboard -------------------------------------------------------------
  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
    const k = e.key;
    if (k === 'j') step(1);
    else if (k === 'k') step(-1);
    else if (!detail) return;
    else if (k === 'a') detail.reason.focus();
    else if (/^[1-5]$/.test(k)) { detail.reason.value = PRESETS[Number(k) - 1]; }
    else if (k === 'h') detail.decide('count');
    else if (k === 't') detail.decide('reject');
    else if (k === 'm') detail.ask();
    else return;
    e.preventDefault();
  }
  document.addEventListener('keydown', onKey);

  const refresh = setInterval(() => { if (!document.hidden) load({ quietly: true }); }, REFRESH_MS);
  const ages = setInterval(() => { for (const f of state.items) { const r = rows.get(f.form_id); if (r) setText(r.ageCell, ago(new Date(f.received_at))); } }, 30000);
  load();

  return () => {
    stopped = true;
    clearInterval(refresh);
    clearInterval(ages);
    document.removeEventListener('keydown', onKey);
    release();
  };
}
