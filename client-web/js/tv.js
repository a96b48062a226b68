// Big-screen mode for the wall of an election desk: ?tv=1 turns it on (and
// ?tv=0 off) for the rest of the visit, so drill-down links keep it. The page
// then uses the full width, larger type and all columns, shows the overview
// of every contest, and renders at most once a second. ?cycle=N (seconds,
// at least 20) walks slowly through the kabupaten/kota of the contest.

const KEY = 'suara.tv';

export function tvMode(query) {
  if (query.tv === '1') sessionStorage.setItem(KEY, '1');
  if (query.tv === '0') sessionStorage.removeItem(KEY);
  return sessionStorage.getItem(KEY) === '1';
}

// Seconds between two steps of the cycle, or 0 (off).
export function cycleSeconds(query) {
  const n = Number(query.cycle);
  return Number.isFinite(n) && n > 0 ? Math.max(20, Math.min(3600, Math.round(n))) : 0;
}

// The next stop after `code` in a cycle over the contest's root and its
// children: root -> first child -> ... -> last child -> root.
export function nextStop(rootCode, childCodes, code) {
  const stops = [rootCode, ...childCodes];
  const i = stops.indexOf(code);
  return stops[(i + 1) % stops.length];
}

// Loads the big screen's stylesheet once (css/tv.css: kept out of app.css,
// which every phone downloads); resolves when it applies, or failed to load.
let sheet = null;
export function tvStylesheet() {
  sheet ??= new Promise((resolve) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = '/css/tv.css';
    link.onload = () => resolve(true);
    link.onerror = () => { sheet = null; link.remove(); resolve(false); };
    document.head.append(link);
  });
  return sheet;
}
