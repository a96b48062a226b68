// The permanent page of one TPS (/tps/{code}/): per contest its status, the
// counted form and the full history of forms, refreshed when its tally moves.

import { h, fill } from './dom.js';
import { int, when } from './format.js';
import * as api from './api.js';
import { subscribe } from './live.js';
import { paths } from './router.js';
import { STATUS } from './labels.js';
import { crumbs } from './crumbs.js';
import { formSheet } from './formtable.js';
import { statusBadge, checkBadges, amendmentBadge, amendmentNote } from './badges.js';
import { photoStrip } from './photoview.js';
import { readToken } from './tokens.js';
import { requestsBox } from './requests.js';

function historyItem(f, contest) {
  const failed = f.checks.filter((c) => c.severity === 'error').map((c) => c.code);
  return h('li', {},
    h('details', { 'data-form': f.form_id },
      h('summary', {},
        h('strong', { text: `Formulir #${f.form_id}` }), ` · revisi ${f.revision} · `, statusBadge(f.status),
        amendmentBadge(f),
        f.outcome !== f.status ? h('span.muted', { text: ` (saat masuk: ${STATUS[f.outcome] || f.outcome})` }) : null,
        h('span.muted', { text: ` · ${when(f.received_at)} · token #${f.token_id}` })),
      h('div.details-body', {},
        amendmentNote(f),
        checkBadges(f.checks),
        f.decision ? h('p.decision', {},
          h('strong', { text: f.decision.decision === 'count' ? 'Diputuskan: dihitung' : 'Diputuskan: ditolak' }),
          ` — “${f.decision.reason}” — ${when(f.decision.decided_at)} (token #${f.decision.token_id})`) : null,
        photoStrip(f.photos, { token: readToken(), label: `Foto formulir #${f.form_id}` }),
        formSheet(f, contest.candidates, { failed }))));
}

function contestSection(entry, contest) {
  const c = entry.counted;
  return h('section.card', { 'data-contest': entry.contest },
    h('h2', {}, contest.title, ' ', statusBadge(entry.status)),
    c ? [
      h('p', {}, `Formulir terhitung #${c.form_id}, revisi ${c.revision}, masuk ${when(c.received_at)}. `,
        `Suara sah ${int(c.valid)}, tidak sah ${int(c.invalid)}.`, amendmentBadge(c)),
      amendmentNote(c),
      h('div.tps-photos', {}, h('h3', { text: 'Foto C.Hasil' }),
        photoStrip(c.photos, { token: readToken(), label: `Foto formulir #${c.form_id}` })),
      formSheet(c, contest.candidates),
    ] : h('p.muted', { text: 'Belum ada formulir yang terhitung.' }),
    entry.held || entry.disputed ? h('p.notice.warn', {
      text: `Ada formulir yang ${[entry.held && 'ditahan', entry.disputed && 'dalam sengketa'].filter(Boolean).join(' dan ')}; menunggu keputusan pemeriksa.`,
    }) : null,
    h('h3', { text: `Riwayat formulir (${entry.history.length})` }),
    entry.history.length
      ? h('ol.history', {}, entry.history.slice().reverse().map((f) => historyItem(f, contest)))
      : h('p.muted', { text: 'Belum ada formulir masuk.' }));
}

export async function mount(el, { code }, query) {
  el.append(h('p.loading', { text: 'Memuat…' }));
  let info, all;
  const load = async () => { [info, all] = await Promise.all([api.tps(code), api.contests()]); };
  try {
    await load();
  } catch (e) {
    fill(el, h('p.notice.error', {}, e.status === 404 ? `TPS ${code} tidak ditemukan. ` : 'Data TPS tidak dapat dimuat. ',
      h('a', { href: '/', text: 'Ke dasbor' })));
    return undefined;
  }
  const byId = new Map(all.map((c) => [c.id, c]));
  const desa = info.path[info.path.length - 1];
  document.title = `${info.name} ${desa ? desa.name : ''} — Suara`;
  const crumbContest = byId.get(query.c) && info.contests.some((e) => e.contest === query.c) ? query.c : info.contests[0]?.contest;

  const asked = requestsBox(info.code);
  const render = () => {
    const open = new Set([...el.querySelectorAll('details[open]')].map((d) => d.dataset.form));
    fill(el, page());
    el.querySelectorAll('details[data-form]').forEach((d) => { d.open = open.has(d.dataset.form); });
  };
  const page = () => h('div.tps-page', {},
    crumbs([...info.path, info], (r) => paths.dashboard(crumbContest, r.code)),
    h('h1', {}, `${info.name}${desa ? `, ${desa.name}` : ''} `, h('span.level', { text: `TPS · ${info.code}` })),
    h('p.meta', {}, `DPT menurut KPU: `, h('strong', { 'data-k': 'dpt', text: int(info.dpt) }), ' pemilih · ',
      h('a', { href: `${paths.witness}?tps=${encodeURIComponent(info.code)}`, text: 'Isi formulir saksi untuk TPS ini' })),
    asked,
    info.contests.map((e) => contestSection(e, byId.get(e.contest))));
  render();

  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => { try { await load(); render(); asked.reload(); } catch { /* keep what is shown */ } }, 300);
  };
  let snapshots = 0;
  const stops = info.contests.map((e) => subscribe(e.contest, code, (msg) => {
    // The first snapshot only repeats what was just loaded.
    if (msg.type === 'update' || snapshots++ >= info.contests.length) refresh();
  }));
  return () => { stops.forEach((s) => s()); clearTimeout(timer); };
}
