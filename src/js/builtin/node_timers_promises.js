// hbf:node_timers_promises — Node's `timers/promises` (setTimeout, setImmediate,
// setInterval as an async iterator, scheduler.wait/yield) on hbf:node_timers.

import { promises } from "hbf:node_timers";

export const setTimeout = promises.setTimeout;
export const setImmediate = promises.setImmediate;
export const setInterval = promises.setInterval;
export const scheduler = promises.scheduler;
export default promises;
