// State shared by the fake "hbf:native" implementations: a scripted database,
// a log sink and the built-in module registry. Tests reach it as `__fake`
// exported from "hbf:native".

export const logs = [];
export let echoLogs = false;

export const db = {
  calls: [],
  results: [],
  inTx: false,
  savepoints: [],
  failOn: null, // { re: RegExp, message: string }

  reset() {
    this.calls = [];
    this.results = [];
    this.inTx = false;
    this.savepoints = [];
    this.failOn = null;
  },

  /** Queues the value the next dbQuery/dbGet/dbExecute call returns. */
  queue(value) { this.results.push(value); },

  call(fn, sql, params) {
    if (typeof sql !== "string") throw new TypeError("sql must be a string");
    this.calls.push({ fn, sql, params });
    if (this.failOn && this.failOn.re.test(sql)) throw new Error(this.failOn.message);
    if (this.results.length) return this.results.shift();
    if (fn === "query") return [];
    if (fn === "get") return null;
    if (fn === "execute") return { rows_affected: 0, last_insert_id: null };
    return undefined;
  },

  exec(sql) {
    this.calls.push({ fn: "exec", sql });
    if (this.failOn && this.failOn.re.test(sql)) throw new Error(this.failOn.message);
    const s = sql.trim().toUpperCase();
    if (s.startsWith("BEGIN")) {
      if (this.inTx) throw new Error("cannot start a transaction within a transaction");
      this.inTx = true;
    } else if (s === "COMMIT" || s === "END" || s === "ROLLBACK") {
      if (!this.inTx) throw new Error("cannot commit - no transaction is active");
      this.inTx = false;
      this.savepoints = [];
    } else if (s.startsWith("SAVEPOINT ")) {
      if (!this.inTx) { this.inTx = true; this.savepoints.push({ name: s.slice(10), implicit: true }); }
      else this.savepoints.push({ name: s.slice(10), implicit: false });
    } else if (s.startsWith("RELEASE ")) {
      const name = s.slice(8).replace(/^SAVEPOINT /, "");
      const i = this.savepoints.map((x) => x.name).lastIndexOf(name);
      if (i === -1) throw new Error("no such savepoint: " + name);
      const implicit = this.savepoints[i].implicit;
      this.savepoints.length = i;
      if (implicit) this.inTx = false;
    } else if (s.startsWith("ROLLBACK TO ")) {
      const name = s.slice(12).replace(/^SAVEPOINT /, "");
      if (!this.savepoints.some((x) => x.name === name)) throw new Error("no such savepoint: " + name);
    } else {
      throw new Error("dbExec only runs transaction control statements, got: " + sql);
    }
  },
};

export function log(level, message) {
  if (!["debug", "info", "warn", "error"].includes(level)) throw new TypeError("bad log level " + level);
  if (typeof message !== "string") throw new TypeError("log message must be a string");
  logs.push([level, message]);
  if (echoLogs) (globalThis.print ?? globalThis.console.log)(`[${level}] ${message}`);
}

export function setEcho(v) { echoLogs = v; }

export let clock = null; // when set, now() returns it
export function setClock(v) { clock = v; }

export const __fake = { db, logs, setEcho, setClock, clearLogs: () => { logs.length = 0; } };

// The real loadBuiltin(id) evaluates a built-in synchronously on first use
// (the lazy Buffer/process/timer globals, require() of core modules). Neither
// Node's ESM nor qjs can import synchronously, so the runners import every
// hbf:node_* module into this registry (id -> namespace) before tests run.
export function loadBuiltin(id) {
  const ns = globalThis[Symbol.for("hbf.test.builtins")]?.[id];
  if (ns === undefined) throw new Error(`loadBuiltin: ${id} is not in the test registry (the runner must import it first)`);
  return ns;
}
