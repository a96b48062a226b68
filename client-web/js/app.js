// Entry point: starts the router, the outbox sender (so forms waiting to be
// sent go out whichever page is open) and the header's status indicators.

import { start, onRoute } from './router.js';
import { onState, lastMessage } from './live.js';
import * as outbox from './outbox.js';
import { startAppShell } from './appshell.js';
import { onMode, status } from './api.js';

const LIVE_TEXT = {
  connecting: 'menyambung…', open: 'terhubung', retrying: 'menyambung ulang', offline: 'terputus',
};

// The state word is a live region of its own (it changes only when the
// connection does); the age beside it is not, so it never talks.
// ago.js comes only once there is an age to show (a page with live data),
// so a witness's first visit does not carry it.
let lastLiveAt = null;
let ago = null;
function showLiveAge() {
  if (lastLiveAt && !ago) {
    import('./ago.js').then((m) => { ago = m.ago; showLiveAge(); }).catch(() => { /* offline */ });
    return;
  }
  const text = lastLiveAt ? ` · data diterima ${ago(lastLiveAt)}` : '';
  const el = document.getElementById('live-age');
  if (el.textContent !== text) el.textContent = text;
}

function showLiveState(state, lastAt) {
  const el = document.getElementById('live-state');
  el.hidden = state === 'idle';
  el.dataset.state = state;
  const word = document.getElementById('live-word');
  const text = `● ${LIVE_TEXT[state] || state}`;
  if (word.textContent !== text) word.textContent = text;
  lastLiveAt = lastAt;
  showLiveAge();
}
setInterval(() => { lastLiveAt = lastMessage() || lastLiveAt; showLiveAge(); }, 5000);

function showOutbox() {
  const el = document.getElementById('outbox-badge');
  const n = outbox.list().filter((e) => e.state === 'waiting').length;
  el.hidden = n === 0;
  el.textContent = `${n} formulir menunggu dikirim`;
}

function markNav(name) {
  const section = { dashboard: 'dashboard', tps: 'dashboard', witness: 'saksi', review: 'review', desk: 'desk', admin: 'admin' }[name];
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// The SIMULASI banner (index.html) and the watermark (html[data-mode=test]
// in app.css) while the server is in test mode. The mode is asked once at
// start; the page's reads and live messages then keep it current, and a
// rehearsal's page that comes back into view asks again, since nothing else
// may have told it that the count went live meanwhile.
function showMode(mode) {
  document.documentElement.dataset.mode = mode;
  document.getElementById('simulasi').hidden = mode !== 'test';
}

function followMode() {
  onMode(showMode);
  status();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && document.documentElement.dataset.mode === 'test') status({ fresh: true });
  });
}

// The search box is in index.html; its code comes on first use, so a
// witness's first visit does not carry it.
const searchForm = document.getElementById('search-form');
searchForm.addEventListener('submit', (e) => e.preventDefault());
searchForm.addEventListener('focusin', () => {
  import('./search.js').then((m) => m.attachSearch(searchForm)).catch(() => { /* offline: no search */ });
}, { once: true });
onState(showLiveState);
outbox.onChange(showOutbox);
onRoute(markNav);
outbox.start();
startAppShell();
followMode();
start(document.getElementById('main'));
