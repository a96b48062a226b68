// Batched repaints: schedule(fn) runs fn in the next animation frame, but no
// sooner than minMs after the previous batch, and each fn at most once per
// batch however often it was asked for. A dashboard fed 40 updates a second
// therefore repaints at most 1000/minMs times a second, and a hidden tab
// (no animation frames) not at all until it is shown again.

export function scheduler(minMs) {
  const due = new Set();
  let last = -Infinity;
  let timer = null;
  let frame = null;
  let stopped = false;
  let batches = 0;

  function run() {
    frame = null;
    last = performance.now();
    batches += 1;
    const fns = [...due];
    due.clear();
    for (const fn of fns) fn();
  }

  function schedule(fn) {
    if (stopped) return;
    due.add(fn);
    if (timer !== null || frame !== null) return;
    const wait = Math.max(0, last + minMs - performance.now());
    timer = setTimeout(() => { timer = null; frame = requestAnimationFrame(run); }, wait);
  }
  schedule.stop = () => {
    stopped = true;
    clearTimeout(timer);
    if (frame !== null) cancelAnimationFrame(frame);
  };
  schedule.batches = () => batches;
  return schedule;
}
