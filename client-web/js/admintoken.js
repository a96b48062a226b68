// The admin pages' token check: only an admin's token is kept, since another
// role could read nothing on them. Shared by the admin page and the cards page.
import { h } from './dom.js';
import * as api from './api.js';

export async function checkAdmin(token) {
  try {
    const who = await api.whoami(token);
    if (who.role !== 'admin') return { ok: false, message: `Token ini milik peran ${who.role}, bukan admin.` };
    return { ok: true, info: h('p.muted', { text: `Admin, lingkup ${who.scope}.` }) };
  } catch (e) {
    return { ok: false, message: e.status === 401 ? 'Token tidak dikenal atau sudah dicabut.' : `Token tidak dapat diperiksa: ${e.message}` };
  }
}
