// Breadcrumbs from the province down to a region: [{code, name, level}].
import { h } from './dom.js';

// items: the ancestors and the region itself; href(code) makes each link.
export function crumbs(items, href) {
  return h('nav.crumbs', { 'aria-label': 'Jejak wilayah' },
    h('ol', {}, items.map((r, i) => h('li', {},
      i === items.length - 1
        ? h('span', { 'aria-current': 'page', text: r.name })
        : h('a', { href: href(r), text: r.name })))));
}
