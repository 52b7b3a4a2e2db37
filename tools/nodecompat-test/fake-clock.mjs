// The fake timers of both fake "hbf:native" modules (../fake-native.mjs for
// the Node run, qjs/native.mjs for the QuickJS run; qjs.mjs copies this file
// beside the latter): setTimer/clearTimer over a virtual clock that moves only
// when the harness fires the earliest timer, as the host's Drive loop would.
export function createFakeClock(start, logs) {
  let virtualNow = start;
  const timers = new Map(); // id -> { due, interval, fn, seq }
  let nextTimerId = 1;
  let seq = 0;
  return {
    timers,
    now: () => virtualNow,
    setTimer(delay, fn, repeat) {
      if (typeof fn !== "function") throw new TypeError("setTimer(delayMs, fn, repeat)");
      delay = Number(delay);
      if (!Number.isFinite(delay) || delay < 0) delay = 0;
      const ms = Math.trunc(Math.min(delay, 2147483647));
      const id = nextTimerId++;
      timers.set(id, { due: virtualNow + ms, interval: repeat ? Math.max(ms, 1) : -1, fn, seq: seq++ });
      return id;
    },
    clearTimer(id) {
      timers.delete(Number(id));
    },
    /** Fires the earliest timer (advancing the clock); false when none is pending. */
    fireNext() {
      let next = null;
      for (const [id, t] of timers) {
        if (next === null || t.due < next[1].due || (t.due === next[1].due && t.seq < next[1].seq)) next = [id, t];
      }
      if (next === null) return false;
      const [id, t] = next;
      if (t.due > virtualNow) virtualNow = t.due;
      if (t.interval >= 0) {
        t.due = virtualNow + t.interval;
        t.seq = seq++;
      } else {
        timers.delete(id);
      }
      try {
        t.fn();
      } catch (err) {
        logs.push(["error", "uncaught exception in a timer: " + (err && err.message)]);
      }
      return true;
    },
  };
}
