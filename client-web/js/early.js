// The page's first API requests, sent while the bundle is still on its way:
// index.html loads this small script with `async`, so it runs as soon as it
// arrives (about when the stylesheets do), not after the bundle has come and
// been run. On a phone network that is one round trip less before the
// witness page is usable (docs/web-client.md: about 0.8 s of a first visit).
//
// It sends what the pages would send first, exactly as they would:
// GET /api/v1/contests (every view but the admin's reads it), with the read token that
// api.js's get() sends, and, on /saksi, GET /api/v1/whoami for the token the
// witness page asks about (a card's link token, or else the saved one:
// witness.js). The fetches' promises wait
// in globalThis.suaraEarly for api.js, which takes each one once, for the
// same path and token, instead of fetching again; whatever it does not take
// is simply unused. No imports (it is not part of the bundle), and it runs
// at most once: if the bundle ran first it left a marker and nothing is sent.
(() => {
  if (globalThis.suaraEarly) return;
  const stored = (key) => { try { return localStorage.getItem(key) || ''; } catch { return ''; } };
  const send = (path, token) => {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    // The same timeout as api.js's requests, so a taken reply never hangs.
    const reply = fetch(path, { headers, cache: 'no-store', signal: AbortSignal.timeout(15000) });
    reply.catch(() => { /* no signal: whoever takes it hears the failure; untaken, it is no page error */ });
    return { path, token, reply };
  };
  const witness = stored('suara.token.witness');
  const early = [];
  // The admin pages read no contests.
  if (!location.pathname.startsWith('/admin')) early.push(send('/api/v1/contests', stored('suara.token.reviewer') || witness));
  // With no signal the page does not ask who the witness is (witnessid.js).
  if (/^\/saksi\/?$/.test(location.pathname) && navigator.onLine !== false) {
    let link = '';
    const m = /^#t=([^&]+)/.exec(location.hash);
    try { link = m ? decodeURIComponent(m[1]).trim() : ''; } catch { link = ''; }
    if (link && link !== witness) early.push(send('/api/v1/whoami', link));
    else if (witness) early.push(send('/api/v1/whoami', witness));
  }
  globalThis.suaraEarly = early;
})();
