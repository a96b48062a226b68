// A quiet live region for the dashboard: it speaks only of what a listener
// needs, not of every number that moves. It says when the leading pair
// changes and when another tenth of the TPS has come in, and never more often
// than once every MIN_GAP_MS (a later message replaces one still waiting).

import { h } from './dom.js';
import { nomor } from './format.js';
import { leader } from './strip.js';

const MIN_GAP_MS = 20000;

export function announcer(contest) {
  const el = h('div.sr-only', { role: 'status', 'aria-live': 'polite', 'data-announce': '' });
  let lastLead = undefined; // undefined: nothing seen yet
  let lastDecile = null;
  let lastSaid = 0;
  let pending = null;
  let timer = null;

  function say(text) {
    pending = text;
    const wait = lastSaid + MIN_GAP_MS - Date.now();
    if (wait > 0) { timer ??= setTimeout(flush, wait); return; }
    flush();
  }
  function flush() {
    timer = null;
    if (pending === null) return;
    el.textContent = pending;
    pending = null;
    lastSaid = Date.now();
  }

  // Called after every render with the node shown.
  el.observe = (node) => {
    const t = node.tps;
    const decile = t.total ? Math.floor((10 * t.counted) / t.total) : 0;
    const lead = leader(contest.candidates, node.votes, node.valid);
    const who = lead && !lead.tie ? lead.first.c.number : null;
    const first = lastLead === undefined;
    const parts = [];
    if (!first && who !== lastLead && who !== null) parts.push(`Unggul sekarang: nomor ${nomor(who)}, ${lead.first.c.head}.`);
    if (!first && decile > lastDecile) parts.push(`Data masuk ${decile * 10}% TPS.`);
    lastLead = who;
    lastDecile = decile;
    if (parts.length) say(parts.join(' '));
  };
  el.stop = () => clearTimeout(timer);
  return el;
}
