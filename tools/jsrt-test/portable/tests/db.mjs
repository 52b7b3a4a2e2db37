import { test, assert } from "../harness.mjs";
import db, { query, get, execute, transaction } from "hbf:db";
import { __fake } from "hbf:native";

const sqls = () => __fake.db.calls.map((c) => c.sql);

test("default export has query/get/execute/transaction", () => {
  assert.equal(db.query, query);
  assert.equal(db.get, get);
  assert.equal(db.execute, execute);
  assert.equal(db.transaction, transaction);
});

test("query/get/execute pass SQL and params to the native side", () => {
  __fake.db.reset();
  __fake.db.queue([{ id: 1 }, { id: 2 }]);
  assert.deepEqual(query("SELECT id FROM t WHERE a = ?", [5]), [{ id: 1 }, { id: 2 }]);
  assert.deepEqual(query("SELECT 1"), []);
  __fake.db.queue({ id: 3 });
  assert.deepEqual(get("SELECT * FROM t WHERE id = :id", { id: 3 }), { id: 3 });
  assert.equal(get("SELECT * FROM t WHERE 0"), null);
  __fake.db.queue({ rows_affected: 1, last_insert_id: 9007199254740993n });
  assert.deepEqual(execute("INSERT INTO t VALUES (?)", [1n]), { rows_affected: 1, last_insert_id: 9007199254740993n });
  assert.deepEqual(__fake.db.calls.map((c) => [c.fn, c.params]), [["query", [5]], ["query", []], ["get", { id: 3 }], ["get", []], ["execute", [1n]]]);
  const nullProto = Object.create(null);
  nullProto.x = 1;
  query("SELECT :x", nullProto);
  query("SELECT 1", null);
});

test("argument validation", () => {
  assert.throws(() => query(5), /sql must be a string/);
  assert.throws(() => query("  "), /must not be empty/);
  // (blank: empty, or whitespace only, Unicode's too; a statement may start with it)
  for (const blank of ["", "\n\t ", "\u00a0\ufeff\u2028", "\u3000"]) {
    assert.throws(() => execute(blank), /must not be empty/, JSON.stringify(blank));
  }
  for (const sql of [" SELECT 1", "\nSELECT 1", "\u00a0SELECT 1", "S", "~"]) get(sql);  // (no throw)
  assert.throws(() => query("SELECT 1", "x"), /params must be an array/);
  assert.throws(() => get("SELECT 1", new Map()), TypeError);
  assert.throws(() => execute("SELECT 1", 7), TypeError);
  assert.throws(() => transaction("nope"), /must be a function/);
});

test("SQL errors propagate", () => {
  __fake.db.reset();
  __fake.db.failOn = { re: /BROKEN/, message: "near \"BROKEN\": syntax error" };
  assert.throws(() => query("BROKEN"), /syntax error/);
  __fake.db.reset();
});

test("transaction commits, returns the value", () => {
  __fake.db.reset();
  const v = transaction(() => { execute("INSERT 1"); return 42; });
  assert.equal(v, 42);
  assert.deepEqual(sqls(), ["BEGIN IMMEDIATE", "INSERT 1", "COMMIT"]);
  assert.equal(__fake.db.inTx, false);
});

test("transaction rolls back and rethrows", () => {
  __fake.db.reset();
  const e = assert.throws(() => transaction(() => { execute("INSERT 1"); throw new Error("abort"); }), /abort/);
  assert.equal(e.message, "abort");
  assert.deepEqual(sqls(), ["BEGIN IMMEDIATE", "INSERT 1", "ROLLBACK"]);
  assert.equal(__fake.db.inTx, false);
});

test("nested transactions use savepoints", () => {
  __fake.db.reset();
  transaction(() => {
    execute("A");
    try {
      transaction(() => { execute("B"); throw new Error("inner"); });
    } catch {}
    transaction(() => transaction(() => execute("C")));
  });
  assert.deepEqual(sqls(), ["BEGIN IMMEDIATE", "A", "SAVEPOINT hbf_tx_2", "B", "ROLLBACK TO hbf_tx_2", "RELEASE hbf_tx_2",
    "SAVEPOINT hbf_tx_2", "SAVEPOINT hbf_tx_3", "C", "RELEASE hbf_tx_3", "RELEASE hbf_tx_2", "COMMIT"]);
  assert.equal(__fake.db.inTx, false);
});

test("async transactions commit/roll back when the promise settles", async () => {
  __fake.db.reset();
  const p = transaction(async () => { await null; execute("X"); return "done"; });
  assert.ok(p instanceof Promise);
  assert.equal(await p, "done");
  assert.deepEqual(sqls(), ["BEGIN IMMEDIATE", "X", "COMMIT"]);
  __fake.db.reset();
  await assert.rejects(transaction(async () => { await null; throw new Error("late"); }), /late/);
  assert.deepEqual(sqls(), ["BEGIN IMMEDIATE", "ROLLBACK"]);
  assert.equal(__fake.db.inTx, false);
});

test("failed COMMIT rolls back and throws; user ROLLBACK inside is tolerated", () => {
  __fake.db.reset();
  __fake.db.failOn = { re: /^COMMIT$/, message: "database is locked" };
  assert.throws(() => transaction(() => 1), /database is locked/);
  __fake.db.failOn = null;
  assert.equal(__fake.db.inTx, false);
  assert.deepEqual(sqls(), ["BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"]);
  __fake.db.reset();
  assert.throws(() => transaction(() => { __fake.db.exec("ROLLBACK"); throw new Error("after manual rollback"); }), /after manual rollback/);
  assert.equal(__fake.db.inTx, false);
});
