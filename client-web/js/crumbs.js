// Breadcrumbs from the province down to a region: [{code, name, level}].
import { h } from './dom.js';

// items: the ancestors and the region itself; href(code) makes each link.
// A single item (the top of the contest) shows nothing: the heading says it.
export function crumbs(items, href) {
  if (items.length < 2) return null;
  return h('nav.crumbs', { 'aria-label': 'Jejak wilayah' },
    h('ol', {}, items.map((r, i) => h('li', {},
      i === items.length - 1
        ? h('span', { 'aria-current': 'page', text: r.name })
        : h('a', { href: href(r), text: r.name })))));
}
