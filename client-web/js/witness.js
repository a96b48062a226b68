// Witness entry (/saksi): the witness's token (kept in this browser), the
// TPS and contest, the form itself (entry.js), the receipt, and the outbox
// (outbox.js) with every form still waiting, failed or sent.

import { h, fill } from './dom.js';
import { when, int } from './format.js';
import * as api from './api.js';
import * as outbox from './outbox.js';
import { setUrl, paths } from './router.js';
import { getToken } from './tokens.js';
import { tokenCard } from './tokencard.js';
import { takeLinkToken, checkToken, learn, known as knownWho, whoCard, refusedNote, readyNote, warm, askWho } from './witnessid.js';
import { keepStorage } from './appshell.js';
import { PROBLEM, shortTitle } from './labels.js';
import { tpsPicker } from './picker.js';
import { formEntry, clearDraft, draftKey } from './entry.js';
import { statusBadge, checkBadges } from './badges.js';
import { fieldList, getPath, SECTION } from './fields.js';

const LAST_TPS = 'suara.witness.tps';

// The photos of an outbox form: how many have reached the server, as a
// progress bar, with what still waits. photoStates: sha256 -> photo entry.
function photoProgress(e, photoStates) {
  const hashes = e.body.photos || [];
  if (!hashes.length) return null;
  const states = hashes.map((s) => photoStates.get(s)?.state || 'sent');
  const sent = states.filter((s) => s === 'sent').length;
  const failed = states.filter((s) => s === 'failed').length;
  const text = sent === hashes.length ? `Foto C.Hasil: ${sent} dari ${hashes.length} halaman terkirim.`
    : `Foto C.Hasil: ${sent} dari ${hashes.length} halaman terkirim; ${hashes.length - sent - failed} menunggu${failed ? `, ${failed} ditolak` : ''}.`;
  return h('div.photo-progress', { 'data-sent': sent, 'data-total': hashes.length },
    h('progress', { max: hashes.length, value: sent, 'aria-label': 'Foto terkirim' }), h('span', { text: ` ${text}` }));
}

let photoStates = new Map();
async function loadPhotoStates() {
  try { photoStates = new Map((await outbox.photos()).map((p) => [p.sha256, p])); } catch { /* keep */ }
}

function outboxItem(e, byId, watchEl = null) {
  const contest = byId.get(e.body.contest);
  const sending = outbox.sending() === e.id;
  const state = sending ? 'sending' : e.state;
  const label = { waiting: 'Menunggu dikirim', sending: 'Sedang dikirim…', sent: 'Terkirim', failed: 'Ditolak server' }[state];
  const actions = [];
  if (e.state === 'waiting') actions.push(h('button', { type: 'button', onclick: () => outbox.sendNow(), text: 'Kirim sekarang' }));
  if (e.state === 'failed') {
    actions.push(h('button', { type: 'button', onclick: () => outbox.retry(e.id, getToken('witness')), text: 'Kirim ulang' }));
  }
  if (e.state !== 'sent') {
    actions.push(h('button.link.danger', {
      type: 'button', text: 'Hapus',
      onclick: () => { if (confirm('Hapus formulir ini dari kotak keluar? Formulir tidak akan dikirim.')) outbox.remove(e.id); },
    }));
  }
  return h(`li.outbox-item.st-${state}`, { 'data-id': e.id, 'data-state': state },
    h('div.oi-head', {},
      h('span.badge', { class: `ob-${state}`, text: label }), ' ',
      h('a', { href: paths.tps(e.body.tps, e.body.contest), text: `TPS ${e.body.tps}` }),
      h('span.muted', { text: ` · ${contest ? shortTitle(contest) : e.body.contest} · dibuat ${when(e.createdAt)}` })),
    e.state === 'waiting' && outbox.isOffline() ? h('p.offline-note', { text: 'HP offline — formulir aman di perangkat. Dikirim otomatis begitu ada sinyal.' })
      : e.state === 'waiting' && e.attempts ? h('p.muted', {
      text: `Percobaan ${e.attempts} gagal (${e.lastError?.text || 'tidak terjangkau'}). Dicoba lagi otomatis ${e.nextAt > Date.now() ? `sekitar ${when(new Date(e.nextAt).toISOString())}` : 'sekarang'}.`,
    }) : null,
    e.state === 'failed' ? h('div.notice.error', {},
      h('p', { text: e.lastError?.text || 'Ditolak.' }),
      e.lastError?.details?.length ? h('ul', {}, e.lastError.details.map((d) => h('li', { text: `${d.field}: ${PROBLEM[d.code] || d.code}` }))) : null) : null,
    photoProgress(e, photoStates),
    e.receipt ? receipt(e.receipt, e.body, contest) : null,
    watchEl,
    actions.length ? h('div.actions', {}, actions) : null);
}

// Follows a sent form's TPS for a disagreeing form (js/disputewatch.js,
// loaded when first needed: it is not part of the first visit's bytes, and
// it needs the network anyway). Answers {el, stop, ready} at once; the
// alert comes into el. ready fails when the module could not be loaded.
function followForm(entry, contest, onCorrect) {
  const w = { el: h('div.watch-box'), stopped: false, inner: null };
  w.stop = () => { w.stopped = true; w.inner?.stop(); };
  w.ready = import('./disputewatch.js').then(({ watchForm }) => {
    if (w.stopped) return;
    w.inner = watchForm({ tps: entry.body.tps, contest, submissionId: entry.id, onCorrect });
    w.el.append(w.inner.el);
  });
  return w;
}

// A sent form is followed for this long after it reached the server: the
// plano stays posted at the TPS for some hours after the count.
const FOLLOW_MS = 12 * 3600 * 1000;

// The numbers a form carried, in paper order, as a compact list.
function sentNumbers(body, contest) {
  if (!body || !contest) return null;
  return h('details.sent-numbers', {},
    h('summary', { text: 'Angka yang dikirim' }),
    h('dl.numbers', {}, fieldList(contest.candidates).flatMap((f) => [
      h('dt', { text: `${SECTION[f.section] ? `${SECTION[f.section].split(' ')[0]} ` : ''}${f.label}` }),
      h('dd', { 'data-field': f.path, text: int(getPath(body, f.path)) })])));
}

// The receipt of a stored form; body and contest: what was sent, shown too.
export function receipt(r, body = null, contest = null) {
  return h('dl.receipt', { 'data-form-id': r.form_id },
    h('dt', { text: 'Nomor formulir' }), h('dd', { 'data-k': 'form_id', text: `#${r.form_id}` }),
    h('dt', { text: 'Revisi' }), h('dd', { 'data-k': 'revision', text: String(r.revision) }),
    h('dt', { text: 'Status' }), h('dd', {}, witnessStatus(r.status),
      r.status === 'counted' && r.confirms ? ` (mengonfirmasi formulir #${r.confirms})` : null,
      r.status === 'held' ? ' — menunggu keputusan pemeriksa' : null,
      r.status === 'disputed' ? ' — berbeda dengan formulir yang sudah terhitung; menunggu pemeriksa' : null),
    h('dt', { text: 'Pemeriksaan' }), h('dd', {}, checkBadges(r.checks || [])),
    h('dt', { text: 'Diterima server' }), h('dd', { text: when(r.received_at) }),
    h('dt', { text: 'Nomor kiriman' }), h('dd', {}, h('code', { text: r.submission_id })),
    r.receipt ? h('dt', { text: 'Tanda terima (hash)' }) : null,
    r.receipt ? h('dd', {}, h('code', { 'data-k': 'receipt', text: r.receipt })) : null,
    body ? h('dt', { text: 'Isi' }) : null,
    body ? h('dd', {}, sentNumbers(body, contest)) : null,
    h('dt', { text: 'Log publik' }), logCheck(r));
}

// The receipt's check against the public log (proof.js), loaded only when the
// witness asks: it needs the network anyway, and costs a first visit nothing.
function logCheck(r) {
  const dd = h('dd.proof', { 'data-proof': r.receipt ? 'idle' : 'unavailable' });
  if (!r.receipt) {
    fill(dd, h('span.muted', { text: 'tidak ada tanda terima' }));
    return dd;
  }
  fill(dd, h('button.link', {
    type: 'button', text: 'Periksa di log publik',
    onclick: async () => (await import('./proof.js')).checkInto(dd, r),
  }));
  return dd;
}

// A status badge in the witness's words: "disputed" says what it means here.
function witnessStatus(status) {
  const badge = statusBadge(status);
  if (status === 'disputed') badge.textContent = 'Berbeda — perlu dicek';
  return badge;
}

export async function mount(el, _params, query) {
  document.title = 'Saksi: isi C.Hasil — Suara';
  // The token (of a link, or saved) is asked about while the contests come:
  // on a phone network each round trip costs most of a second.
  const linkToken = takeLinkToken();
  const saved = getToken('witness');
  if (linkToken && linkToken !== saved) askWho(linkToken);
  else if (saved) askWho(saved);
  let all;
  try { all = await api.contests(); } catch {
    el.append(h('p.notice.error', { text: 'Daftar pemilihan tidak dapat dimuat. Periksa koneksi lalu muat ulang.' }));
  }
  const byId = new Map((all || []).map((c) => [c.id, c]));
  let tps = null;
  let contest = null;

  const tpsCard = h('section.card', { 'aria-labelledby': 'tps-title' });
  const formCard = h('section.card.form-card', { 'aria-labelledby': 'form-title', hidden: true });
  const boxList = h('ol.outbox');
  const boxCard = h('section.card', { id: 'kotak-keluar', 'aria-labelledby': 'outbox-title' },
    h('h2', { id: 'outbox-title', text: 'Kotak keluar' }),
    h('p.help', { text: 'Formulir disimpan di perangkat ini sebelum dikirim dan dikirim ulang otomatis sampai server menerimanya.' }),
    boxList);

  const tokenBox = tokenCard('witness', 'Token saksi', 'Token dari koordinator: pindai kode QR di kartu, atau ketik sekali; disimpan di perangkat ini.',
    async () => { await learnScope(); renderTpsCard(); }, { check: (t) => checkToken(t, all) });
  const readySlot = h('div.ready-slot');
  el.append(h('div.witness', {},
    h('h1', { text: 'Formulir saksi (Model C.Hasil)' }),
    tokenBox, readySlot, tpsCard, formCard, boxCard));
  keepStorage();

  // The token's scope bounds the TPS on offer (asked of the server, or as
  // last known on this phone); never known: the whole province.
  let scope = { scope: '62', scope_level: 'province' };
  function useScope(who) {
    scope = who;
    tokenBox.setInfo(whoCard(who, all));
    if (scope.scope_level === 'tps' && tps && tps.code !== scope.scope) { tps = null; contest = null; }
    // A one-TPS token's answer carries its TPS: no picker, no second request.
    if (scope.scope_level === 'tps' && !tps && who.region?.code === scope.scope) tps = who.region;
  }
  // Whether the phone is ready for a place with no signal, said under the
  // token once the service worker holds what the page needs.
  async function showReady(who) {
    fill(readySlot, readyNote(false));
    const ready = await warm(who);
    if (getToken('witness')) fill(readySlot, ready ? readyNote(true) : null);
  }

  // What this phone knew is used at once; the server's answer follows (one
  // request however often this runs: askWho). A token the server refuses
  // (an old card, replaced by a new one, or a revoked token) is said at once,
  // before the witness types a form that would be refused.
  async function learnScope() {
    const token = getToken('witness');
    if (!token) return;
    const before = knownWho(token);
    const asked = learn(token).then(({ who, refused }) => {
      if (getToken('witness') !== token) return;
      if (refused) {
        tokenBox.setInfo(refusedNote());
        return;
      }
      if (!who) return;
      showReady(who);
      if (before && who.scope === before.scope) return;
      useScope(who);
      if (before) renderTpsCard();
    });
    if (before) useScope(before);
    else await asked;
  }

  // The picker exists only while no TPS is chosen: for a one-TPS scope it
  // picks that TPS itself, once, and building it again on every render would
  // pick again, reset the contest and render again, forever.
  function renderTpsCard() {
    if (!tps) {
      const choose = tpsPicker({
        root: scope.scope, rootLevel: scope.scope_level,
        onPick: (info) => { tps = info; localStorage.setItem(LAST_TPS, info.code); contest = null; renderTpsCard(); },
      });
      fill(tpsCard, h('h2', { id: 'tps-title', text: 'TPS' }), choose);
      renderForm();
      return;
    }
    const desa = tps.path[tps.path.length - 1];
    const choices = (all || []).filter((c) => api.covers(c, tps.code));
    if (!contest || !choices.includes(contest)) contest = byId.get(query.c) && choices.includes(byId.get(query.c)) ? byId.get(query.c) : choices.length === 1 ? choices[0] : null;
    fill(tpsCard, h('h2', { id: 'tps-title', text: 'TPS dan pemilihan' }),
      h('p.chosen', {}, h('strong', { 'data-k': 'tps', text: `${tps.name}, ${desa?.name || ''}` }),
        h('span.muted', { text: ` · ${tps.path.slice(1, -1).map((r) => r.name).join(', ')} · ${tps.code} · DPT ${tps.dpt}` }), ' ',
        scope.scope_level === 'tps' ? null
          : h('button.link', { type: 'button', text: 'Ganti TPS', onclick: () => { tps = null; contest = null; renderTpsCard(); } })),
      h('fieldset.contests', {}, h('legend', { text: 'Pemilihan' }),
        choices.map((c) => h('label.radio', {},
          h('input', { type: 'radio', name: 'contest', value: c.id, checked: c === contest, onchange: () => { contest = c; renderForm(); } }),
          ` ${c.title}`))));
    renderForm();
  }

  function renderForm(initial = null) {
    setUrl(`${paths.witness}${tps ? `?tps=${tps.code}${contest ? `&c=${contest.id}` : ''}` : ''}`);
    formCard.hidden = !(tps && contest);
    if (formCard.hidden) return;
    const token = getToken('witness');
    camera?.clear();
    camera = null;
    const entryForm = formEntry({ tps, contest, initial, onSubmit: (body) => submit(body) });
    // The camera is loaded with the first form (not with the page: the first
    // visit's bytes stay small); the service worker keeps it from then on.
    const cameraSlot = h('p.help.camera-slot', { text: 'Memuat kamera…' });
    const draft = draftKey(tps.code, contest.id);
    entryForm.insertBefore(cameraSlot, entryForm.querySelector('.submit-bar'));
    import('./camera.js').then((m) => {
      if (!cameraSlot.isConnected) return;
      // A correction starts from its numbers, not from the draft's pages.
      camera = m.cameraCard({ draft, restore: !initial });
      cameraSlot.replaceWith(camera.el);
    }).catch(() => { cameraSlot.textContent = 'Kamera belum tersedia di perangkat ini tanpa sinyal; angka tetap dapat dikirim.'; });
    const already = h('div.already', { 'aria-live': 'polite' });
    fill(formCard, h('h2', { id: 'form-title', text: `C.Hasil ${contest.title}` }),
      h('p.muted', { text: `${tps.name} · ${tps.code}` }),
      token ? null : h('p.notice.warn', { text: 'Simpan token saksi di atas sebelum mengirim.' }),
      already,
      entryForm);
    warnIfCounted(already, tps.code, contest.id);
  }

  // Before sending: the TPS may already have a counted form from another
  // witness, which this form will confirm (same numbers) or dispute.
  async function warnIfCounted(box, code, contestId) {
    if (navigator.onLine === false) return;
    let info;
    try { info = await api.tps(code); } catch { return; }
    const c = info.contests.find((x) => x.contest === contestId);
    const mine = knownWho(getToken('witness'))?.token_id;
    if (!c?.counted || c.counted.token_id === mine || !box.isConnected) return;
    fill(box, h('p.notice.warn', { 'data-k': 'already-counted' },
      `TPS ini sudah punya formulir terhitung dari saksi lain (diterima ${when(c.counted.received_at)}). `,
      'Bila angka Anda sama, formulir Anda mengonfirmasinya; bila berbeda, keduanya ditandai “Berbeda — perlu dicek” untuk pemeriksa.'));
  }
  let camera = null;

  async function submit(body) {
    const token = getToken('witness');
    if (!token) {
      document.getElementById('token-witness')?.focus();
      return;
    }
    // The numbers are queued first, naming their pages by hash, then the
    // pages themselves: the outbox sends forms before photos.
    const pages = camera ? camera.pages() : [];
    let entry;
    try {
      if (pages.length) body.photos = await (await import('./camera.js')).photoHashes(pages);
      entry = await outbox.add(body, token);
      formWatched.add(entry.id); // followed by the form card below, not a second time in the list
    } catch {
      alert('Formulir tidak dapat disimpan di perangkat (penyimpanan penuh).');
      return;
    }
    if (pages.length) {
      try { await outbox.addPhotos(pages, token); } catch {
        alert('Foto tidak dapat disimpan di perangkat (penyimpanan penuh); angka tetap dikirim.');
      }
    }
    await camera?.stop(); // the pages are the outbox's now: the draft's go
    clearDraft(tps.code, contest.id);
    const status = h('div.sent-status', { role: 'status', 'aria-live': 'polite' });
    const show = async () => {
      await loadPhotoStates();
      const e = outbox.list().find((x) => x.id === entry.id);
      if (!e) { fill(status, h('p', { text: 'Formulir dihapus dari kotak keluar.' })); return; }
      fill(status, h('h3', { text: e.state === 'sent' ? 'Tanda terima' : e.state === 'failed' ? 'Formulir ditolak server' : 'Formulir tersimpan, menunggu dikirim' }),
        outboxItem(e, byId));
    };
    const watchBox = h('div');
    let watch = null;
    const stopAll = () => { stopShow(); watch?.stop(); };
    // Once the server has the form, follow the TPS for a disagreeing form.
    const stopShow = outbox.onChange(() => {
      show();
      const e = outbox.list().find((x) => x.id === entry.id);
      if (watch || e?.state !== 'sent') return;
      watch = followForm(entry, byId.get(entry.body.contest),
        (form) => { stopAll(); renderForm(form); formCard.scrollIntoView({ block: 'start' }); });
      watchBox.append(watch.el);
      watch.ready.catch(() => { watch.el.remove(); watch = null; }); // offline before it was ever loaded: tried at the next change
    });
    fill(formCard, h('h2', { id: 'form-title', text: `C.Hasil ${contest.title}` }), status, watchBox,
      h('div.actions', {},
        h('button', { type: 'button', text: 'Isi koreksi (angka dimuat)', onclick: () => { stopAll(); renderForm(body); } }),
        h('button', { type: 'button', text: 'Formulir baru', onclick: () => { stopAll(); renderForm(); } })));
    status.scrollIntoView({ block: 'nearest' });
    stops.push(stopAll);
  }

  // Forms the outbox sent without this page's submit (after the phone was
  // closed and opened again, a reload, or the service worker with no page
  // open) are followed too, in their outbox entry: the latest sent form of
  // each TPS and contest, sent within FOLLOW_MS.
  const formWatched = new Set(); // submission ids the form card follows
  const listWatches = new Map(); // submission id -> followForm()
  function followSent() {
    const latest = new Map();
    for (const e of outbox.list()) {
      if (e.state === 'sent' && Date.now() - Date.parse(e.sentAt) < FOLLOW_MS) latest.set(`${e.body.tps} ${e.body.contest}`, e.id);
    }
    const wanted = new Set(latest.values());
    for (const [id, w] of listWatches) if (!wanted.has(id)) { w.stop(); listWatches.delete(id); }
    for (const e of outbox.list()) {
      if (!wanted.has(e.id) || listWatches.has(e.id) || formWatched.has(e.id) || !byId.has(e.body.contest)) continue;
      const w = followForm(e, byId.get(e.body.contest), (form) => correctFrom(e, form));
      w.ready.catch(() => listWatches.delete(e.id)); // offline before it was ever loaded: tried at the next change
      listWatches.set(e.id, w);
    }
  }
  // A correction from a followed entry: its TPS and contest, its numbers.
  async function correctFrom(e, form) {
    if (!tps || tps.code !== e.body.tps) {
      try { tps = await api.region(e.body.tps); } catch { return; }
    }
    contest = byId.get(e.body.contest);
    renderTpsCard();
    renderForm(form);
    formCard.scrollIntoView({ block: 'start' });
  }

  const stops = [outbox.onChange(async () => {
    await loadPhotoStates();
    followSent();
    const entries = outbox.list().slice().reverse();
    fill(boxList, entries.length ? entries.map((e) => outboxItem(e, byId, listWatches.get(e.id)?.el)) : h('li.muted', { text: 'Kosong.' }));
  }), () => listWatches.forEach((w) => w.stop())];

  const start = query.tps || localStorage.getItem(LAST_TPS);
  if (start) {
    try { const info = await api.region(start); if (info.level === 'tps') tps = info; } catch { /* choose again */ }
  }
  // A token from a link is checked (and saved) before the TPS card is drawn,
  // so the page does not first offer the whole province.
  const fromLink = linkToken && linkToken !== getToken('witness') && await tokenBox.offer(linkToken);
  if (!fromLink) { // else saving it drew the card already
    await learnScope();
    renderTpsCard();
  }
  return () => stops.forEach((s) => s());
}
