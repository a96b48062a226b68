// The card where a witness or reviewer types their token once; it is kept
// in this browser (tokens.js) and can be replaced.
import { h, fill } from './dom.js';
import { getToken, setToken, maskToken } from './tokens.js';

// onChange(token) after the token is saved or forgotten.
export function tokenCard(role, title, help, onChange) {
  const card = h('section.card.token-card', { 'aria-labelledby': `token-${role}-title` });
  const render = () => {
    const token = getToken(role);
    if (token) {
      fill(card, h('h2', { id: `token-${role}-title`, text: title }),
        h('p', {}, 'Token tersimpan di perangkat ini: ', h('code', { text: maskToken(token) }), ' ',
          h('button.link', { type: 'button', onclick: () => { setToken(role, ''); render(); onChange(''); }, text: 'Ganti token' })));
      return;
    }
    const input = h('input', { id: `token-${role}`, type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': `token-${role}-help` });
    fill(card, h('h2', { id: `token-${role}-title`, text: title }),
      h('form.row', {
        onsubmit: (e) => { e.preventDefault(); if (!input.value.trim()) return; setToken(role, input.value); render(); onChange(getToken(role)); },
      },
      h('div.field', {}, h('label', { for: `token-${role}`, text: 'Token' }), input,
        h('span.help', { id: `token-${role}-help`, text: help })),
      h('button.primary', { type: 'submit', text: 'Simpan token' })));
  };
  render();
  return card;
}
