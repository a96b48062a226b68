// The card where a witness or reviewer types their token once; it is kept
// in this browser (tokens.js) and can be replaced. With check(token), a
// token is saved only once the server accepts it: check answers
// {ok: true, info: Node|null} (shown under the saved token) or
// {ok: false, message} (refused at once, nothing saved).
import { h, fill } from './dom.js';
import { getToken, setToken, maskToken } from './tokens.js';

// onChange(token) after the token is saved or forgotten. The card's
// offer(token) checks and saves a token that came another way (a link),
// resolving to whether it was saved.
export function tokenCard(role, title, help, onChange, { check = null } = {}) {
  const card = h('section.card.token-card', { 'aria-labelledby': `token-${role}-title` });
  const msg = h('p.field-msg', { id: `token-${role}-msg`, role: 'alert' });
  let shown = null; // what check() said about the saved token
  let busy = false;

  async function save(value) {
    const token = (value || '').trim();
    if (!token || busy) return false;
    if (check) {
      busy = true;
      msg.textContent = 'Memeriksa token…';
      const verdict = await check(token);
      busy = false;
      if (!verdict.ok) {
        msg.textContent = verdict.message;
        const input = card.querySelector('input');
        input?.setAttribute('aria-invalid', 'true');
        input?.focus();
        return false;
      }
      shown = verdict.info;
    }
    msg.textContent = '';
    setToken(role, token);
    render();
    onChange(getToken(role));
    return true;
  }

  const render = () => {
    const token = getToken(role);
    if (token) {
      fill(card, h('h2', { id: `token-${role}-title`, text: title }),
        h('p', {}, 'Token tersimpan di perangkat ini: ', h('code', { text: maskToken(token) }), ' ',
          h('button.link', { type: 'button', onclick: () => { setToken(role, ''); shown = null; render(); onChange(''); }, text: 'Ganti token' })),
        shown, msg);
      return;
    }
    const input = h('input', { id: `token-${role}`, type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': `token-${role}-help token-${role}-msg` });
    input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
    fill(card, h('h2', { id: `token-${role}-title`, text: title }),
      h('form.row', { onsubmit: (e) => { e.preventDefault(); save(input.value); } },
        h('div.field', {}, h('label', { for: `token-${role}`, text: 'Token' }), input,
          h('span.help', { id: `token-${role}-help`, text: help })),
        h('button.primary', { type: 'submit', text: 'Simpan token' })),
      msg);
  };
  render();
  card.offer = save;
  card.setInfo = (node) => { shown = node; render(); };
  return card;
}
