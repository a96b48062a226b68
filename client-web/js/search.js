// The search box in the header of every page: a kabupaten/kota, kecamatan,
// desa or TPS by name ("kumai", "candi 3") or code. The server does the
// matching (GET /api/v1/search), so a phone downloads only the few results,
// never a list of 6,000 names. An ARIA combobox: type, arrow keys through
// the results, Enter opens one, Escape closes the list. A result opens the
// dashboard of the contest being viewed when it covers the region (else the
// governor's, which covers the whole province), a TPS its own page.

import { h } from './dom.js';
import * as api from './api.js';
import { paths, navigate } from './router.js';
import { LEVEL } from './labels.js';

const DEBOUNCE_MS = 250;
const MIN_CHARS = 2;
const LIMIT = 8;

function currentContest() {
  const m = /^\/c\/([a-z0-9.-]+)/i.exec(location.pathname);
  return m ? m[1] : 'gub-62';
}

async function target(r) {
  if (r.level === 'tps') return paths.tps(r.code, currentContest());
  let all = [];
  try { all = await api.contests(); } catch { /* fall back to the governor's */ }
  const here = all.find((c) => c.id === currentContest());
  const contest = here && api.covers(here, r.code) ? here : all.find((c) => c.id === 'gub-62') || { id: 'gub-62' };
  return paths.dashboard(contest.id, r.code);
}

// Wires the form of index.html (#search-form: #search, #search-list,
// #search-status); called once, on its first focus.
export function attachSearch(el) {
  const input = el.querySelector('#search');
  const list = el.querySelector('#search-list');
  const status = el.querySelector('#search-status');
  el.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  let results = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  function show(open) {
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    if (!open) { active = -1; input.removeAttribute('aria-activedescendant'); }
  }

  function mark(i) {
    active = i;
    [...list.children].forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    if (i >= 0 && list.children[i]) input.setAttribute('aria-activedescendant', list.children[i].id);
    else input.removeAttribute('aria-activedescendant');
  }

  async function choose(i) {
    const r = results[i];
    if (!r) return;
    show(false);
    input.value = '';
    navigate(await target(r));
  }

  function render(q) {
    list.replaceChildren(...results.map((r, i) => h('li', {
      id: `search-opt-${i}`, role: 'option', 'aria-selected': 'false', 'data-code': r.code,
      onmousedown: (e) => e.preventDefault(), onclick: () => choose(i),
    }, h('strong', { text: r.name }), h('span.muted', { text: ` ${LEVEL[r.level] || r.level}${r.in ? ` · ${r.in}` : ''}` }))));
    if (!results.length) list.append(h('li.muted', { role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false', id: 'search-none', text: `Tidak ada yang cocok dengan “${q}”.` }));
    status.textContent = results.length ? `${results.length} hasil` : 'Tidak ada hasil';
    show(true);
    mark(-1);
  }

  async function lookup() {
    const q = input.value.trim();
    if (q.length < MIN_CHARS) { results = []; show(false); return; }
    const id = ++asked;
    const reply = await api.request('GET', `/api/v1/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`, { timeout: 8000 });
    if (id !== asked) return; // the user typed on
    results = reply.status === 200 ? reply.data.results : [];
    shownFor = q;
    render(q);
  }

  // Enter: the highlighted result, else the first (asking first when the
  // results are not those of what is typed now).
  let shownFor = '';
  async function submit() {
    const pick = active >= 0 ? active : 0;
    if (shownFor !== input.value.trim()) { clearTimeout(timer); await lookup(); choose(0); return; }
    choose(pick);
  }

  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(lookup, DEBOUNCE_MS); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && results.length) { e.preventDefault(); show(true); mark((active + 1) % results.length); }
    else if (e.key === 'ArrowUp' && results.length) { e.preventDefault(); mark(active <= 0 ? results.length - 1 : active - 1); }
    else if (e.key === 'Escape') { show(false); }
  });
  input.addEventListener('blur', () => setTimeout(() => show(false), 150));
  if (input.value.trim()) lookup(); // typed while this module was on its way
}
