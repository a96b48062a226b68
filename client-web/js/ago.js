// How old a moment is, the way people say it: "baru saja", "2 menit lalu",
// "1 jam lalu"; older than a day, the date and time. Pages that show an age
// refresh it with everyAge(), which calls back only when the words change.

import { time } from './format.js';

const MINUTE = 60000;

export function ago(at, now = Date.now()) {
  if (!at) return '';
  const ms = Math.max(0, now - at.valueOf());
  if (ms < MINUTE) return 'baru saja';
  if (ms < 60 * MINUTE) return `${Math.floor(ms / MINUTE)} menit lalu`;
  if (ms < 24 * 60 * MINUTE) return `${Math.floor(ms / (60 * MINUTE))} jam lalu`;
  return `pukul ${time(new Date(at))}`;
}

// Calls fn(text) now and whenever ago(getAt()) reads differently (checked
// every 10 s); returns the function that stops it.
export function everyAge(getAt, fn) {
  let last = null;
  const tick = () => {
    const text = ago(getAt());
    if (text !== last) { last = text; fn(text); }
  };
  tick();
  const timer = setInterval(tick, 10000);
  return Object.assign(() => clearInterval(timer), { now: tick });
}
