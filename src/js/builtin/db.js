// hbf:db — the henv's SQLite database.
//
//   import db from "hbf:db";
//   const rows = db.query("SELECT * FROM posts WHERE author = ?", [id]);
//   const post = db.get("SELECT * FROM posts WHERE id = :id", { id });
//   const { rows_affected, last_insert_id } = db.execute("DELETE FROM posts WHERE id = ?", [id]);
//   db.transaction(() => { ... });   // BEGIN IMMEDIATE ... COMMIT, or a SAVEPOINT when nested
//   db.search("cats -dogs", { limit: 10 })  // full-text search over the henv's documents

import native from "hbf:native";

function checkSql(sql, fn) {
  if (typeof sql !== "string") throw new TypeError(`db.${fn}(): sql must be a string`);
  if (sql.trim() === "") throw new TypeError(`db.${fn}(): sql must not be empty`);
}

function checkParams(params, fn) {
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) return params;
  if (typeof params === "object") {
    const proto = Object.getPrototypeOf(params);
    if (proto === Object.prototype || proto === null) return params;
  }
  throw new TypeError(`db.${fn}(): params must be an array (for ?) or a plain object (for :name, @name, $name)`);
}

/** Runs a SELECT (or anything returning rows); returns an array of row objects. */
export function query(sql, params = []) {
  checkSql(sql, "query");
  return native.dbQuery(sql, checkParams(params, "query"));
}

/** The first row, or null. */
export function get(sql, params = []) {
  checkSql(sql, "get");
  return native.dbGet(sql, checkParams(params, "get"));
}

/** Runs INSERT/UPDATE/DELETE/DDL; returns { rows_affected, last_insert_id }. */
export function execute(sql, params = []) {
  checkSql(sql, "execute");
  return native.dbExecute(sql, checkParams(params, "execute"));
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Full-text search over the henv's documents (FTS5, porter stemming: the
 * query syntax of GET /_api/documents/search - words, "phrases", prefix*,
 * AND/OR/NOT). Returns [{ id, snippet, rank }], best first; `snippet` is
 * HTML-escaped text with the matches in <mark>. Every document is searched,
 * private ones too: this is the app's own code asking. A malformed query
 * throws (code "sql_error").
 */
export function search(query, options = {}) {
  if (typeof query !== "string" || query.trim() === "") throw new TypeError("db.search(): query must be a non-empty string");
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new RangeError("db.search(): limit must be 1 to 500");
  const rows = native.dbQuery(
    "SELECT path AS id, snippet(documents_fts, 1, char(2), char(3), '\u2026', 12) AS snippet, rank " +
      "FROM documents_fts WHERE documents_fts MATCH ? ORDER BY rank LIMIT ?",
    [query, limit],
  );
  for (const row of rows) {
    const text = typeof row.snippet === "string" ? row.snippet : "";
    row.snippet = text.replace(/[&<>"']/g, (c) => ESCAPES[c]).replaceAll("\u0002", "<mark>").replaceAll("\u0003", "</mark>");
  }
  return rows;
}

let depth = 0;

function tryExec(sql) {
  try {
    native.dbExec(sql);
  } catch {
    // The original error matters more than a failed rollback.
  }
}

/**
 * Runs fn() in a transaction: BEGIN IMMEDIATE, or a SAVEPOINT when a transaction
 * is already open (so transactions nest). Commits when fn returns, rolls back and
 * rethrows when it throws. If fn returns a promise, commits/rolls back when it
 * settles and returns a promise. Concurrently pending async transactions in the
 * same request are not supported (they would share one SQLite transaction).
 */
export function transaction(fn) {
  if (typeof fn !== "function") throw new TypeError("db.transaction(): argument must be a function");
  const nested = native.dbInTransaction();
  const savepoint = nested ? `hbf_tx_${depth + 1}` : null;
  native.dbExec(nested ? `SAVEPOINT ${savepoint}` : "BEGIN IMMEDIATE");
  depth++;

  const commit = () => {
    depth--;
    if (nested) {
      native.dbExec(`RELEASE ${savepoint}`);
      return;
    }
    try {
      native.dbExec("COMMIT");
    } catch (err) {
      if (native.dbInTransaction()) tryExec("ROLLBACK");
      throw err;
    }
  };
  const rollback = () => {
    depth--;
    if (!native.dbInTransaction()) return;
    if (nested) {
      tryExec(`ROLLBACK TO ${savepoint}`);
      tryExec(`RELEASE ${savepoint}`);
    } else {
      tryExec("ROLLBACK");
    }
  };

  let result;
  try {
    result = fn();
  } catch (err) {
    rollback();
    throw err;
  }
  if (result !== null && typeof result === "object" && typeof result.then === "function") {
    return Promise.resolve(result).then(
      (value) => {
        commit();
        return value;
      },
      (err) => {
        rollback();
        throw err;
      },
    );
  }
  commit();
  return result;
}

export default { query, get, execute, transaction, search };
