// Tokens are typed once and kept in this browser (localStorage), one per role.

const key = (role) => `suara.token.${role}`;

export function getToken(role) {
  try { return localStorage.getItem(key(role)) || ''; } catch { return ''; }
}

export function setToken(role, value) {
  const v = (value || '').trim();
  if (v) localStorage.setItem(key(role), v);
  else localStorage.removeItem(key(role));
}

// "sk_AbC…9xZ": enough to recognise a token without showing it.
export const maskToken = (t) => (t.length > 12 ? `${t.slice(0, 6)}…${t.slice(-4)}` : '••••');

// Any token this device holds, for reads: a server run with --private-reads
// lets every valid token read, and the public dashboard has none of its own.
export const readToken = () => getToken('reviewer') || getToken('witness');
