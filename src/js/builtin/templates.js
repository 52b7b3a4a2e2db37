// hbf:templates — EJS templates whose files are the henv's documents.
//
// The compiler is a port of the `ejs` npm package (v3.1.x, lib/ejs.js): the
// same tokenizer, the same generated JavaScript and therefore byte-identical
// output, the same error excerpts. Differences from ejs:
//   - templates are documents (native.readDocument), ids are '/'-separated;
//     includes resolve relative to the including template's id;
//   - compiled functions are always cached (by document id, or by source for
//     compile(), and the options that shape the generated code; an entry is
//     used only while the document's bytes, and its legacy includes', are
//     the ones it was compiled from), and documents are read at most once
//     per top-level render, and not again while no document of the henv
//     has changed;
//   - the ejs v2 preprocessor directive `<% include path %>` is supported;
//   - includes nest at most MAX_INCLUDE_DEPTH levels (cycles throw);
//   - errors always carry `templateId`/`templateLine`, compile-time errors
//     (unclosed tags, missing legacy includes, JavaScript syntax errors) get
//     the `id:LINE` header and excerpt as well (ejs adds it to run-time
//     errors only; syntax-error lines come from QuickJS's `lineNumber`);
//   - no `client`, `debug`, `compileDebug: false`, `root`, `views`,
//     `includer`; options are never read from `data`.
// Compiling a template uses the Function constructor (as ejs does).

import native from "hbf:native";
import { escapeXML } from "hbf:template_escape";

export { escapeXML };

const DEFAULT_OPEN_DELIMITER = "<";
const DEFAULT_CLOSE_DELIMITER = ">";
const DEFAULT_DELIMITER = "%";
const DEFAULT_LOCALS_NAME = "locals";
const REGEX_STRING = "(<%%|%%>|<%=|<%-|<%_|<%#|<%|%>|-%>|_%>)";
const BOM = /^\uFEFF/;
const JS_IDENTIFIER = /^[a-zA-Z_$][0-9a-zA-Z_$]*$/;
const LEGACY_INCLUDE = /^\s*include\s+(\S+)/;
const NOT_A_PATH = /^[(=[,;?:]/;

/** How deep includes may nest (function includes and legacy directives are counted separately). */
export const MAX_INCLUDE_DEPTH = 50;
const CACHE_LIMIT = 500;
// An error that crosses many include levels gets at most this many `id:LINE` excerpts.
const MAX_ERROR_CONTEXTS = 10;

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const kContexts = Symbol("hbf.templates.contexts");

const REGEXP_CHARS = /[|\\{}()[\]^$+*?.]/g;
function escapeRegExpChars(string) {
  if (!string) return "";
  return String(string).replace(REGEXP_CHARS, "\\$&");
}

const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

function shallowCopy(to, from) {
  from = from || {};
  for (const p in from) {
    if (!hasOwn(from, p) || p === "__proto__" || p === "constructor") continue;
    to[p] = from[p];
  }
  return to;
}

// ---------------------------------------------------------------------------
// Errors

function templateNotFound(message, id) {
  const err = new Error(message);
  err.name = "TemplateNotFound";
  err.templateId = id;
  return err;
}

function excerpt(str, lineno) {
  const lines = str.split("\n");
  const start = Math.max(lineno - 3, 0);
  const end = Math.min(lines.length, lineno + 3);
  return lines
    .slice(start, end)
    .map((line, i) => {
      const curr = i + start + 1;
      return (curr == lineno ? " >> " : "    ") + curr + "| " + line;
    })
    .join("\n");
}

// ejs's rethrow(): prefixes the message with "id:LINE", an excerpt with a
// ">>" marker, and a blank line. Errors crossing several includes collect one
// such block per level (outermost first), like ejs. The innermost level sets
// templateId/templateLine.
function addContext(err, str, flnm, lineno, esc) {
  if (err === null || (typeof err !== "object" && typeof err !== "function")) {
    const wrapped = new Error(String(err));
    wrapped.thrown = err;
    err = wrapped;
  }
  try {
    const count = err[kContexts] || 0;
    if (count >= MAX_ERROR_CONTEXTS) return err;
    const filename = esc(flnm);
    err.path = filename;
    err.message = (filename || "ejs") + ":" + lineno + "\n" + excerpt(str, lineno) + "\n\n" + err.message;
    if (count === 0) {
      err.templateId = flnm ?? null;
      err.templateLine = lineno;
    }
    err[kContexts] = count + 1;
  } catch {
    // a frozen or exotic error object: rethrow it unchanged
  }
  return err;
}

// QuickJS reports the line of a syntax error in `new Function` code as
// err.lineNumber, counted in its wrapper "(function anonymous(params\n) {\n".
const lineOffsets = new Map();
function syntaxErrorLine(err, ctor) {
  if (typeof err.lineNumber !== "number") return null;
  if (!lineOffsets.has(ctor)) {
    let offset = null;
    try {
      new ctor("a", "\n\n)");
    } catch (e) {
      if (typeof e.lineNumber === "number") offset = e.lineNumber - 3;
    }
    lineOffsets.set(ctor, offset);
  }
  const offset = lineOffsets.get(ctor);
  return offset === null ? null : err.lineNumber - offset;
}

// ---------------------------------------------------------------------------
// Documents and ids

function normalizeId(id) {
  return String(id).replace(/^\/+/, "");
}

// path.extname(name) !== "" (the last segment has a dot that is not its first character).
function hasExtension(name) {
  const base = name.replace(/\/+$/, "");
  const seg = base.slice(base.lastIndexOf("/") + 1);
  if (seg === "..") return false;
  return seg.lastIndexOf(".") > 0;
}

/**
 * Resolves an include path against the including template's id like ejs's
 * resolveInclude(): relative to its directory, or from the document root
 * with a leading "/"; ".ejs" is added when the path has no extension.
 */
export function resolveInclude(name, filename) {
  if (typeof name !== "string") throw new TypeError("include path must be a string");
  let joined;
  if (name[0] === "/") {
    joined = name;
  } else {
    const from = filename ? normalizeId(filename) : "";
    const slash = from.lastIndexOf("/");
    joined = (slash === -1 ? "" : from.slice(0, slash + 1)) + name;
  }
  const parts = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw new Error(`include path "${name}" leaves the document root`);
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  let id = parts.join("/");
  if (!hasExtension(name)) id += ".ejs";
  return id;
}

// A template's source: a document (id, and its bytes or, from a string
// document, its text) or a string given to compile() (id null). `content`
// is what a compiled entry remembers of it, to tell later whether the
// source is still the same: the bytes (compared natively, a memcmp; hashing
// them per render cost a tenth of a template request) or the string.
function stringDoc(source) {
  return { id: null, bytes: null, source, text: source };
}

const contentOf = (doc) => (doc.bytes !== null ? doc.bytes : doc.source);

function sameContent(doc, content) {
  return doc.bytes !== null
    ? typeof content !== "string" && native.bytesEqual(doc.bytes, content)
    : doc.source === content;
}

// The page HBF itself is rendering at its own URL (Worker::Render passes
// options.page), if any: every other template read here is one the henv's
// server code uses (a view, a partial) and so is not served by its path.
let currentPage = null;

// Reads a document once per top-level render (docs: Map id -> doc | null).
function loadDocument(id, docs) {
  let doc = docs.get(id);
  if (doc === undefined) {
    if (id !== currentPage) native.noteServerCode(id);
    const content = native.readDocument(id);
    if (content == null) {
      doc = null;
    } else if (typeof content === "string") {
      doc = { id, bytes: null, source: content, text: content.replace(BOM, "") };
    } else {
      const bytes = content instanceof Uint8Array ? content : new Uint8Array(content);
      doc = { id, bytes, source: null, text: undefined };
    }
    docs.set(id, doc);
  }
  return doc;
}

function textOf(doc) {
  if (doc.text === undefined) doc.text = native.utf8Decode(doc.bytes, false).replace(BOM, "");
  return doc.text;
}

// ---------------------------------------------------------------------------
// Options

function normalizeOptions(o) {
  const opts = Object.create(null);
  if (o !== null && typeof o === "object") {
    for (const p in o) if (hasOwn(o, p)) opts[p] = o[p];
  }
  const out = Object.create(null);
  out.escapeFunction = opts.escape || opts.escapeFunction || escapeXML;
  out.filename = opts.filename;
  out.openDelimiter = opts.openDelimiter || DEFAULT_OPEN_DELIMITER;
  out.closeDelimiter = opts.closeDelimiter || DEFAULT_CLOSE_DELIMITER;
  out.delimiter = opts.delimiter || DEFAULT_DELIMITER;
  out.strict = opts.strict || false;
  out.context = opts.context;
  out.rmWhitespace = opts.rmWhitespace;
  out.outputFunctionName = opts.outputFunctionName;
  out.localsName = opts.localsName || DEFAULT_LOCALS_NAME;
  out.async = opts.async;
  out.destructuredLocals = opts.destructuredLocals;
  out.legacyInclude = opts.legacyInclude !== undefined ? !!opts.legacyInclude : true;
  out._with = out.strict ? false : opts._with !== undefined ? opts._with : true;
  return out;
}

function withFilename(opts, filename) {
  const out = Object.create(null);
  for (const p in opts) out[p] = opts[p];
  out.filename = filename;
  return out;
}

// The options that change the generated function (the rest is applied when it runs).
const kKey = Symbol("hbf.templates.key");
function compileKey(opts) {
  const memo = opts[kKey];
  if (memo !== undefined) return memo;
  return (opts[kKey] = JSON.stringify([
    opts.filename === undefined ? null : String(opts.filename),
    String(opts.delimiter), String(opts.openDelimiter), String(opts.closeDelimiter),
    !!opts.strict, opts._with !== false, String(opts.localsName), !!opts.rmWhitespace, !!opts.async,
    opts.outputFunctionName ?? null, opts.destructuredLocals ?? null, opts.legacyInclude,
  ]));
}

// ---------------------------------------------------------------------------
// The compiler (ejs's Template)

const MODES = { EVAL: "eval", ESCAPED: "escaped", RAW: "raw", COMMENT: "comment", LITERAL: "literal" };

function createRegex(opts) {
  let str = REGEX_STRING;
  const delim = escapeRegExpChars(opts.delimiter);
  const open = escapeRegExpChars(opts.openDelimiter);
  const close = escapeRegExpChars(opts.closeDelimiter);
  str = str.replace(/%/g, delim).replace(/</g, open).replace(/>/g, close);
  return new RegExp(str, "g");
}

function stripSemi(str) {
  return str.replace(/;(\s*$)/, "$1");
}

class Template {
  // env: { sources: [{ text, filename }], deps: [id, content, ...], docs, depth }
  constructor(text, opts, env, srcIndex, depth) {
    this.templateText = text;
    this.mode = null;
    this.truncate = false;
    this.currentLine = 1;
    this.source = "";
    this.lineMap = []; // per generated line: srcIndex, template line
    this.opts = opts;
    this.env = env;
    this.srcIndex = srcIndex;
    this.depth = depth;
  }

  emit(code, perLine) {
    this.source += code;
    let n = 0;
    for (let i = code.indexOf("\n"); i !== -1; i = code.indexOf("\n", i + 1)) {
      this.lineMap.push(this.srcIndex, perLine ? this.currentLine + n++ : this.currentLine);
    }
  }

  generateSource() {
    const opts = this.opts;
    if (opts.rmWhitespace) {
      this.templateText = this.templateText.replace(/[\r\n]+/g, "\n").replace(/^\s+|\s+$/gm, "");
    }
    // Slurp spaces and tabs before <%_ and after _%> (ejs does this with the default delimiters only).
    this.templateText = this.templateText.replace(/[ \t]*<%_/gm, "<%_").replace(/_%>[ \t]*/gm, "_%>");
    this.env.sources[this.srcIndex].text = this.templateText;

    try {
      const matches = this.parseTemplateText();
      const d = opts.delimiter;
      const o = opts.openDelimiter;
      const c = opts.closeDelimiter;
      for (let index = 0; index < matches.length; index++) {
        const line = matches[index];
        if (line.indexOf(o + d) === 0 && line.indexOf(o + d + d) !== 0) {
          const closing = matches[index + 2];
          if (!(closing == d + c || closing == "-" + d + c || closing == "_" + d + c)) {
            throw new Error('Could not find matching close tag for "' + line + '".');
          }
        }
        if (opts.legacyInclude) {
          const m = LEGACY_INCLUDE.exec(line);
          // (`include ("x")` with a space is a v3 function call, `include = ...` an assignment)
          if (m !== null && !NOT_A_PATH.test(m[1])) {
            const opening = matches[index - 1];
            if (opening && (opening == o + d || opening == o + d + "-" || opening == o + d + "_")) {
              this.legacyInclude(m[1], line);
              continue;
            }
          }
        }
        this.scanLine(line);
      }
    } catch (err) {
      throw addContext(err, this.templateText, opts.filename, this.currentLine, opts.escapeFunction);
    }
  }

  parseTemplateText() {
    const str = this.templateText;
    const pat = createRegex(this.opts);
    const arr = [];
    let pos = 0;
    let result;
    while ((result = pat.exec(str)) !== null) {
      if (result[0] === "") {
        pat.lastIndex++; // an empty delimiter could match the empty string: step over it
        continue;
      }
      if (result.index !== pos) arr.push(str.substring(pos, result.index));
      arr.push(result[0]);
      pos = result.index + result[0].length;
    }
    if (pos < str.length) arr.push(str.slice(pos));
    return arr;
  }

  addOutput(line) {
    if (this.truncate) {
      // Only the single line break right after -%> / _%>
      line = line.replace(/^(?:\r\n|\r|\n)/, "");
      this.truncate = false;
    }
    if (!line) return;
    line = line.replace(/\\/g, "\\\\");
    line = line.replace(/\n/g, "\\n");
    line = line.replace(/\r/g, "\\r");
    line = line.replace(/"/g, '\\"');
    this.emit('    ; __append("' + line + '")' + "\n", false);
  }

  scanLine(line) {
    const d = this.opts.delimiter;
    const o = this.opts.openDelimiter;
    const c = this.opts.closeDelimiter;
    const newLineCount = line.split("\n").length - 1;

    switch (line) {
      case o + d:
      case o + d + "_":
        this.mode = MODES.EVAL;
        break;
      case o + d + "=":
        this.mode = MODES.ESCAPED;
        break;
      case o + d + "-":
        this.mode = MODES.RAW;
        break;
      case o + d + "#":
        this.mode = MODES.COMMENT;
        break;
      case o + d + d:
        this.mode = MODES.LITERAL;
        this.emit('    ; __append("' + line.replace(o + d + d, o + d) + '")' + "\n", false);
        break;
      case d + d + c:
        this.mode = MODES.LITERAL;
        this.emit('    ; __append("' + line.replace(d + d + c, d + c) + '")' + "\n", false);
        break;
      case d + c:
      case "-" + d + c:
      case "_" + d + c:
        if (this.mode == MODES.LITERAL) this.addOutput(line);
        this.mode = null;
        this.truncate = line.indexOf("-") === 0 || line.indexOf("_") === 0;
        break;
      default:
        if (this.mode) {
          switch (this.mode) {
            case MODES.EVAL:
            case MODES.ESCAPED:
            case MODES.RAW:
              // A trailing // comment would swallow the code ejs appends.
              if (line.lastIndexOf("//") > line.lastIndexOf("\n")) line += "\n";
          }
          switch (this.mode) {
            case MODES.EVAL:
              this.emit("    ; " + line + "\n", true);
              break;
            case MODES.ESCAPED:
              this.emit("    ; __append(escapeFn(" + stripSemi(line) + "))" + "\n", true);
              break;
            case MODES.RAW:
              this.emit("    ; __append(" + stripSemi(line) + ")" + "\n", true);
              break;
            case MODES.COMMENT:
              break;
            case MODES.LITERAL:
              this.addOutput(line);
              break;
          }
        } else {
          this.addOutput(line);
        }
    }

    if (newLineCount) {
      this.currentLine += newLineCount;
      this.emit("    ; __line = " + this.currentLine + "\n", false);
    }
  }

  // ejs v2's preprocessor directive: `<% include path %>` inlines the other
  // template's code here, so it shares the output and the current locals.
  legacyInclude(rawPath, chunk) {
    const env = this.env;
    const opts = this.opts;
    let path = rawPath;
    if (path.length >= 2 && (path[0] === '"' || path[0] === "'") && path[path.length - 1] === path[0]) path = path.slice(1, -1);
    if (this.depth >= MAX_INCLUDE_DEPTH) {
      throw new Error(`includes nest deeper than ${MAX_INCLUDE_DEPTH} levels (is there an include cycle?)`);
    }
    const id = resolveInclude(path, opts.filename);
    const doc = loadDocument(id, env.docs);
    if (doc === null) {
      throw templateNotFound('Could not find the include file "' + opts.escapeFunction(path) + '" (template not found: ' + id + ")", id);
    }
    env.deps.push(id, contentOf(doc));
    const srcIndex = env.sources.length;
    env.sources.push({ text: "", filename: id });
    const child = new Template(textOf(doc), withFilename(opts, id), env, srcIndex, this.depth + 1);
    child.generateSource();
    this.emit(
      "    ; " + (opts.async ? "await (async function(){" : "(function(){") + "\n" +
      "      var __line = 1;\n" +
      "      try {\n", false);
    this.source += child.source;
    for (let i = 0; i < child.lineMap.length; i++) this.lineMap.push(child.lineMap[i]);
    this.emit(
      "      } catch (e) {\n" +
      "        rethrow(e, " + srcIndex + ", __line, escapeFn);\n" +
      "      }\n" +
      "    ; }).call(this)\n", false);
    const newLineCount = chunk.split("\n").length - 1;
    if (newLineCount) {
      this.currentLine += newLineCount;
      this.emit("    ; __line = " + this.currentLine + "\n", false);
    }
  }
}

// Builds { fn, rethrow, deps } for a template's text.
function buildEntry(text, opts, docs) {
  const env = { sources: [{ text, filename: opts.filename }], deps: [], docs };
  const templ = new Template(text, opts, env, 0, 0);
  templ.generateSource();

  let prepended =
    '  var __output = "";\n' +
    "  function __append(s) { if (s !== undefined && s !== null) __output += s }\n";
  let appended = "";
  if (opts.outputFunctionName) {
    if (!JS_IDENTIFIER.test(opts.outputFunctionName)) throw new Error("outputFunctionName is not a valid JS identifier.");
    prepended += "  var " + opts.outputFunctionName + " = __append;" + "\n";
  }
  if (opts.localsName && !JS_IDENTIFIER.test(opts.localsName)) throw new Error("localsName is not a valid JS identifier.");
  if (opts.destructuredLocals && opts.destructuredLocals.length) {
    let destructuring = "  var __locals = (" + opts.localsName + " || {}),\n";
    for (let i = 0; i < opts.destructuredLocals.length; i++) {
      const name = opts.destructuredLocals[i];
      if (!JS_IDENTIFIER.test(name)) throw new Error("destructuredLocals[" + i + "] is not a valid JS identifier.");
      if (i > 0) destructuring += ",\n  ";
      destructuring += name + " = __locals." + name;
    }
    prepended += destructuring + ";\n";
  }
  if (opts._with !== false) {
    prepended += "  with (" + opts.localsName + " || {}) {" + "\n";
    appended += "  }" + "\n";
  }
  appended += "  return __output;" + "\n";

  const filename = opts.filename ? JSON.stringify(String(opts.filename)) : "undefined";
  let header = "var __line = 1\n" + "  , __filename = " + filename + ";\n" + "try {\n" + prepended;
  if (opts.strict) header = '"use strict";\n' + header;
  const src = header + templ.source + appended + "} catch (e) {\n" + "  rethrow(e, 0, __line, escapeFn);\n" + "}\n";

  const ctor = opts.async ? AsyncFunction : Function;
  let fn;
  try {
    fn = new ctor(opts.localsName + ", escapeFn, include, rethrow", src);
  } catch (e) {
    if (e instanceof SyntaxError) throw syntaxError(e, ctor, header, templ, env, opts);
    throw e;
  }
  const sources = env.sources;
  const rethrow = (err, index, line, esc) => {
    const s = sources[index];
    throw addContext(err, s.text, s.filename, line, esc);
  };
  return { fn, rethrow, deps: env.deps, content: null };
}

function syntaxError(e, ctor, header, templ, env, opts) {
  try {
    if (opts.filename) e.message += " in " + opts.filename;
    e.message += " while compiling ejs\n\n";
    e.message += "If the above error is not helpful, you may want to try EJS-Lint:\n";
    e.message += "https://github.com/RyanZim/EJS-Lint";
    if (!opts.async) {
      e.message += "\n";
      e.message += "Or, if you meant to create an async function, pass `async: true` as an option.";
    }
  } catch {
    return e;
  }
  const genLine = syntaxErrorLine(e, ctor);
  let srcIndex = 0;
  let line = null;
  if (genLine !== null) {
    const headerLines = header.split("\n").length - 1;
    const i = genLine - 1 - headerLines;
    if (i < 0) line = 1;
    else if (2 * i < templ.lineMap.length) {
      srcIndex = templ.lineMap[2 * i];
      line = templ.lineMap[2 * i + 1];
    } else line = templ.currentLine;
  }
  if (line === null) {
    try {
      e.templateId = opts.filename ?? null;
      e.templateLine = null;
    } catch {
      // ignore
    }
    return e;
  }
  const s = env.sources[srcIndex];
  return addContext(e, s.text, s.filename, line, opts.escapeFunction);
}

// ---------------------------------------------------------------------------
// Cache of compiled templates: key -> entry, in least-recently-used order.

const cache = new Map();

function depsCurrent(deps, docs) {
  for (let i = 0; i < deps.length; i += 2) {
    const doc = loadDocument(deps[i], docs);
    if (doc === null || !sameContent(doc, deps[i + 1])) return false;
  }
  return true;
}

function getCompiled(doc, opts, docs) {
  // A document's entry is replaced when its bytes change; compile()'s
  // sources are keyed by themselves.
  const key = (doc.id !== null ? "d" + doc.id : "s" + doc.source) + "\u0000" + compileKey(opts);
  let entry = cache.get(key);
  if (entry !== undefined) {
    cache.delete(key);
    if (sameContent(doc, entry.content) && (entry.deps.length === 0 || depsCurrent(entry.deps, docs))) {
      cache.set(key, entry);
      return entry;
    }
  }
  entry = buildEntry(textOf(doc), opts, docs);
  entry.content = contentOf(doc);
  cache.set(key, entry);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value);
  return entry;
}

/** Drops every compiled template (they are recompiled on next use). */
export function clearCache() {
  cache.clear();
}

/** { size, limit } of the compiled-template cache. */
export function cacheStats() {
  return { size: cache.size, limit: CACHE_LIMIT };
}

// ---------------------------------------------------------------------------
// Running

// Per top-level render: documents read (id -> doc | null) and include calls
// already resolved (opts -> path -> { childOpts, entry }), so an include in a
// loop reads and looks up its document once. The documents read are kept
// for the next renders while no document of the henv has changed since
// (native.documentsEpoch(): any commit of this process that changed a
// document row moves it on; another process's, once the henv's
// foreign-commit look sees it, within ~100 ms), up to KEPT_DOCS of them.
const KEPT_DOCS = 256;
let keptEpoch = -1;
let keptDocs = new Map();
const newRenderState = () => {
  const epoch = native.documentsEpoch();
  if (epoch !== keptEpoch || epoch === -1 || keptDocs.size > KEPT_DOCS) {
    keptDocs = new Map();
    keptEpoch = epoch;
  }
  return { docs: keptDocs, includes: new Map() };
};

// The template function for one compiled entry, as ejs's compile() returns it:
// includes resolve against opts.filename and inherit all options.
function renderer(entry, opts, depth, state) {
  return function (data) {
    const include = (path, includeData) => {
      let d = shallowCopy(Object.create(null), data);
      if (includeData) d = shallowCopy(d, includeData);
      return includeFile(path, opts, depth + 1, state)(d);
    };
    return entry.fn.apply(opts.context, [data || Object.create(null), opts.escapeFunction, include, entry.rethrow]);
  };
}

function includeFile(path, opts, depth, state) {
  if (depth > MAX_INCLUDE_DEPTH) {
    throw new Error(`includes nest deeper than ${MAX_INCLUDE_DEPTH} levels (is there an include cycle?)`);
  }
  let resolved = state.includes.get(opts);
  if (resolved === undefined) state.includes.set(opts, (resolved = new Map()));
  let hit = resolved.get(path);
  if (hit === undefined) {
    const id = resolveInclude(path, opts.filename);
    const doc = loadDocument(id, state.docs);
    if (doc === null) {
      throw templateNotFound('Could not find the include file "' + opts.escapeFunction(path) + '" (template not found: ' + id + ")", id);
    }
    const childOpts = withFilename(opts, id);
    hit = { childOpts, entry: getCompiled(doc, childOpts, state.docs) };
    resolved.set(path, hit);
  }
  return renderer(hit.entry, hit.childOpts, depth, state);
}

/**
 * Compiles template source into a function (data) -> string (a Promise of
 * the string with `async: true`). Includes resolve against `options.filename`.
 */
export function compile(source, options = {}) {
  if (typeof source !== "string") throw new TypeError("template source must be a string");
  const opts = normalizeOptions(options);
  const entry = getCompiled(stringDoc(source), opts, new Map());
  const fn = function (data) {
    return renderer(entry, opts, 0, newRenderState())(data);
  };
  return fn;
}

function renderLoaded(doc, data, options, state) {
  const opts = normalizeOptions(options);
  opts.filename = doc.id;
  const entry = getCompiled(doc, opts, state.docs);
  return renderer(entry, opts, 0, state)(data || Object.create(null));
}

/** Renders the document `id` (its own id is the filename for includes and errors). */
export function renderDocument(id, data = {}, options = {}) {
  const docId = normalizeId(id);
  const state = newRenderState();
  const previousPage = currentPage;
  if (options && options.page === true) currentPage = docId;
  try {
    const doc = loadDocument(docId, state.docs);
    if (doc === null) throw templateNotFound("template not found: " + docId, docId);
    return renderLoaded(doc, data, options, state);
  } finally {
    currentPage = previousPage;
  }
}

/**
 * Renders a view for res.render(): the first document that exists among
 * `view`, `view + ".ejs"` and `"views/" + view + ".ejs"`, then `"views/" + view`
 * when the name has an extension, else `"views/" + view + "/index.ejs"`.
 */
export function renderView(view, data = {}, options = {}) {
  const v = normalizeId(view);
  const candidates = [v, v + ".ejs", "views/" + v + ".ejs"];
  if (hasExtension(v)) candidates.push("views/" + v);
  else candidates.push("views/" + v + "/index.ejs"); // Express looks a view up as dir/index too
  const state = newRenderState();
  for (const id of candidates) {
    const doc = loadDocument(id, state.docs);
    if (doc !== null) return renderLoaded(doc, data, options, state);
  }
  throw templateNotFound(`template not found: ${v} (tried ${candidates.join(", ")})`, v);
}

function looksLikeSource(s, options) {
  if (options.source === true) return true;
  if (options.source === false) return false;
  if (s.includes("<%") || s.includes("\n")) return true;
  const open = (options.openDelimiter || DEFAULT_OPEN_DELIMITER) + (options.delimiter || DEFAULT_DELIMITER);
  return s.includes(open);
}

/**
 * render(source, data, options) renders template source; render(id, data,
 * options) renders a document. A string is source when options.source is
 * true, or it contains "<%" (or the configured open tag) or a line break.
 */
export function render(idOrSource, data = {}, options = {}) {
  if (typeof idOrSource !== "string") throw new TypeError("render() needs template source or a document id (a string)");
  const o = options || {};
  if (looksLikeSource(idOrSource, o)) return compile(idOrSource, o)(data || Object.create(null));
  return renderDocument(idOrSource, data, o);
}

export default { render, compile, renderDocument, renderView, escapeXML, clearCache, cacheStats, resolveInclude };
