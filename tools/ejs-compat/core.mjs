// Engine-neutral part of the ejs-compat harness (runs under Node and qjs):
// builds a case's data/options from its JSON, renders it with hbf:templates
// and compares the result with what ejs produced (recorded by run.mjs).

// Functions can't live in JSON: cases name them.
export const HELPERS = {
  later: (v) => Promise.resolve(v),
  failLater: (msg) => Promise.reject(new Error(msg)),
  upper: (s) => String(s).toUpperCase(),
  fmtDate: (s) => new Date(s).toISOString(),
};

export const ESCAPERS = {
  brackets: (s) => (s == null ? "" : String(s).replace(/</g, "[").replace(/>/g, "]")),
};

export function buildData(meta) {
  const data = JSON.parse(JSON.stringify(meta.data ?? {}));
  for (const h of meta.helpers ?? []) data[h] = HELPERS[h];
  return data;
}

export function buildOptions(meta) {
  const opts = JSON.parse(JSON.stringify(meta.options ?? {}));
  if (typeof opts.escape === "string") opts.escape = ESCAPERS[opts.escape];
  return opts;
}

const EXCERPT_LINE = /^( >> |    )\d+\| /;

/** Splits an ejs error message into its "id:LINE" + excerpt blocks and the rest. */
export function parseErrorMessage(msg) {
  const lines = String(msg).split("\n");
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const h = /^(.*):(\d+)$/.exec(lines[i]);
    if (!h || i + 1 >= lines.length || !EXCERPT_LINE.test(lines[i + 1])) break;
    let j = i + 1;
    const ex = [];
    while (j < lines.length && EXCERPT_LINE.test(lines[j])) ex.push(lines[j++]);
    if (lines[j] !== "") break;
    blocks.push({ id: h[1], line: Number(h[2]), excerpt: ex.join("\n") });
    i = j + 1;
  }
  return { blocks, rest: lines.slice(i).join("\n") };
}

/** Runs fn() (sync or async) and captures { output } or { error: { name, message, templateId, templateLine } }. */
export async function capture(fn) {
  try {
    const out = await fn();
    return { output: out };
  } catch (e) {
    if (e === null || typeof e !== "object") return { error: { name: "(non-object)", message: String(e) } };
    return { error: { name: String(e.name), message: String(e.message), templateId: e.templateId, templateLine: e.templateLine } };
  }
}

function show(s) {
  return JSON.stringify(s);
}

function firstDiff(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `first difference at index ${i}: ejs ${show(a.slice(Math.max(0, i - 20), i + 40))} vs ours ${show(b.slice(Math.max(0, i - 20), i + 40))}`;
}

const sameName = (ours, theirs) => ours === theirs || (ours === "TemplateNotFound" && theirs === "Error");

/**
 * Compares our result with ejs's. expected: { output } | { error: { name, blocks, rest } }
 * (ids already corpus-relative). Returns null when they agree, else a reason.
 */
export function compareWithEjs(c, mine, expected, engine) {
  if (expected.error === undefined) {
    if (mine.error) return `ejs rendered, we threw ${mine.error.name}: ${mine.error.message}`;
    if (typeof mine.output !== "string") return `output is not a string: ${typeof mine.output}`;
    if (mine.output !== expected.output) return firstDiff(expected.output, mine.output);
    return null;
  }
  if (!mine.error) return `ejs threw ${expected.error.name}: ${expected.error.rest.slice(0, 200)}; we rendered ${show(String(mine.output).slice(0, 200))}`;
  if (!sameName(mine.error.name, expected.error.name)) return `error name: ejs ${expected.error.name}, ours ${mine.error.name}`;
  const got = parseErrorMessage(mine.error.message);
  const exp = expected.error.blocks;
  const a = exp.map((b) => `${b.id}:${b.line}\n${b.excerpt}`).join("\n\n");
  let b = got.blocks.map((x) => `${x.id}:${x.line}\n${x.excerpt}`).join("\n\n");
  let innermost = exp.length > 0 ? `${exp[exp.length - 1].id}:${exp[exp.length - 1].line}` : null;
  if (c.fuzz && exp.length === 0 && got.blocks.length <= 1) {
    // a compile-time error in a generated template: ejs gives no position, we may give one
    b = "";
  } else if (c.meta.compileErrorLine !== undefined) {
    // ejs gives compile-time errors no position; we add one more block (for
    // JavaScript syntax errors only where the engine reports the line: QuickJS
    // does, V8 doesn't).
    const extra = `${c.meta.compileErrorId ?? c.id}:${c.meta.compileErrorLine}`;
    const optional = engine !== "quickjs" && expected.error.name === "SyntaxError";
    if (got.blocks.length === exp.length + 1) {
      const last = got.blocks[got.blocks.length - 1];
      if (`${last.id}:${last.line}` !== extra) return `compile error position: want ${extra}, got ${last.id}:${last.line}\n${mine.error.message}`;
      b = got.blocks.slice(0, -1).map((x) => `${x.id}:${x.line}\n${x.excerpt}`).join("\n\n");
      innermost = extra;
    } else if (!optional) {
      return `compile error position: want ${extra} after ejs's ${exp.length} block(s)\n${mine.error.message}`;
    }
  }
  if (a !== b) return `error context differs:\n--- ejs\n${a}\n--- ours\n${b}\n--- our message\n${mine.error.message}`;
  if (innermost !== null && `${mine.error.templateId}:${mine.error.templateLine}` !== innermost) {
    return `templateId/templateLine: want ${innermost}, got ${mine.error.templateId}:${mine.error.templateLine}`;
  }
  if (engine === "node") {
    // Same engine as ejs: the underlying message must match too (we add the resolved id to "not found").
    const rest = got.rest.replace(/ \(template not found: [^)]*\)/, "");
    if (rest !== expected.error.rest) return `message differs:\n--- ejs\n${expected.error.rest}\n--- ours\n${got.rest}`;
  }
  return null;
}

/** Legacy `<% include %>` cases carry their own expectations (ejs v3 can't run them). */
export function compareLegacy(c, mine) {
  const m = c.meta;
  if (m.expect !== undefined) {
    if (mine.error) return `threw ${mine.error.name}: ${mine.error.message}`;
    if (mine.output !== m.expect) return firstDiff(m.expect, String(mine.output));
    return null;
  }
  if (!mine.error) return `expected an error, got ${show(mine.output)}`;
  const got = parseErrorMessage(mine.error.message);
  if (m.errorBlocks) {
    const ids = got.blocks.map((b) => [b.id, b.line]);
    if (JSON.stringify(ids) !== JSON.stringify(m.errorBlocks)) return `error blocks: want ${show(m.errorBlocks)}, got ${show(ids)}\n${mine.error.message}`;
  }
  if (m.errorMatch && !mine.error.message.includes(m.errorMatch)) return `message lacks ${show(m.errorMatch)}: ${mine.error.message.slice(0, 500)}`;
  return null;
}

/**
 * Runs every case through `templates` two ways (renderDocument(id) and
 * render(source)) and returns [{ name, failure }].
 */
export async function runCorpus(templates, cases, expected, engine) {
  const results = [];
  for (const c of cases) {
    const variants = [
      ["document", () => templates.renderDocument(c.id, buildData(c.meta), buildOptions(c.meta))],
      ["source", () => templates.render(c.text, buildData(c.meta), { ...buildOptions(c.meta), filename: c.id, source: true })],
    ];
    if (c.fuzz) variants.shift(); // generated: no document
    for (const [how, fn] of variants) {
      const mine = await capture(fn);
      let failure;
      try {
        failure = c.legacy ? compareLegacy(c, mine) : compareWithEjs(c, mine, expected[c.id], engine);
      } catch (e) {
        failure = `harness error: ${e && e.stack ? e.stack : e}`;
      }
      results.push({ name: `${c.id} (${how})`, failure });
    }
  }
  return results;
}

// --- a tiny test runner for api-tests.mjs -------------------------------------------

export function makeSuite() {
  const tests = [];
  const test = (name, fn) => tests.push({ name, fn });
  const run = async () => {
    const results = [];
    for (const t of tests) {
      let failure = null;
      try {
        await t.fn();
      } catch (e) {
        failure = e && e.stack ? `${e.name}: ${e.message}\n${e.stack}` : String(e);
      }
      results.push({ name: `api > ${t.name}`, failure });
    }
    return results;
  };
  return { test, run };
}

export const assert = {
  ok(v, msg = "expected a truthy value") {
    if (!v) throw new Error(msg);
  },
  equal(a, b, msg = "") {
    if (!Object.is(a, b)) throw new Error(`${msg ? msg + ": " : ""}expected ${show(b)}, got ${show(a)}`);
  },
  includes(s, part, msg = "") {
    if (typeof s !== "string" || !s.includes(part)) throw new Error(`${msg ? msg + ": " : ""}expected ${show(String(s).slice(0, 800))} to include ${show(part)}`);
  },
  throws(fn, check, msg = "") {
    let err;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    if (err === undefined) throw new Error(`${msg ? msg + ": " : ""}expected an exception`);
    if (check && !check(err)) throw new Error(`${msg ? msg + ": " : ""}unexpected error ${err && err.name}: ${err && err.message}`);
    return err;
  },
  async rejects(p, check, msg = "") {
    let err;
    try {
      await p;
    } catch (e) {
      err = e;
    }
    if (err === undefined) throw new Error(`${msg ? msg + ": " : ""}expected a rejection`);
    if (check && !check(err)) throw new Error(`${msg ? msg + ": " : ""}unexpected error ${err && err.name}: ${err && err.message}`);
    return err;
  },
};

export function report(results, label, verbose, out) {
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    if (r.failure) {
      failed++;
      out(`FAIL ${label}: ${r.name}\n  ${String(r.failure).split("\n").join("\n  ")}`);
    } else {
      passed++;
      if (verbose) out(`ok   ${label}: ${r.name}`);
    }
  }
  out(`${label}: ${passed} passed, ${failed} failed`);
  return { passed, failed };
}
