// Real npm packages (lodash, dayjs, marked, nanoid; and uuid, semver, debug,
// depd, http-errors, jsonwebtoken, csv-parse, through2 with what they depend
// on) stored as documents under modules/{pkg}/ and loaded through
// hbf:modules (require and import), against the same packages loaded by Node
// from tools/nodecompat-test/node_modules.
import nodeFs from "node:fs";
import nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { requireFrom } from "hbf:modules";
import { __fake } from "hbf:native";
import { createLoader } from "../esm-loader.mjs";
import { npmResults } from "../qjs/portable.mjs";
import { test, same, ok } from "../lib.mjs";

const here = nodePath.dirname(fileURLToPath(import.meta.url));
const nodeModules = nodePath.join(here, "..", "node_modules");
const PACKAGES = ["lodash", "dayjs", "marked", "nanoid"];
const installed = PACKAGES.every((p) => nodeFs.existsSync(nodePath.join(nodeModules, p, "package.json")));

function copyPackage(name) {
  const base = nodePath.join(nodeModules, name);
  const walk = (dir) => {
    for (const entry of nodeFs.readdirSync(dir, { withFileTypes: true })) {
      const full = nodePath.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!entry.name.endsWith(".map") && !entry.name.endsWith(".d.ts")) {
        __fake.put(`modules/${name}/${nodePath.relative(base, full)}`, nodeFs.readFileSync(full));
      }
    }
  };
  walk(base);
}

function loadAll() {
  for (const id of [...__fake.docs.keys()]) __fake.remove(id);
  for (const p of PACKAGES) copyPackage(p);
}

// Packages that need stream, crypto's md5/sha1/HMACs, tty, util and
// Error.captureStackTrace (issue #20), and their dependencies.
const NODE_API_PACKAGES = ["uuid", "semver", "debug", "ms", "depd", "http-errors", "inherits", "setprototypeof", "statuses",
  "toidentifier", "jsonwebtoken", "jws", "jwa", "safe-buffer", "buffer-equal-constant-time", "ecdsa-sig-formatter",
  "lodash.includes", "lodash.isboolean", "lodash.isinteger", "lodash.isnumber", "lodash.isplainobject", "lodash.isstring",
  "lodash.once", "csv-parse", "through2", "readable-stream", "string_decoder", "util-deprecate"];

const FIXED = new Date(2024, 2, 5, 10, 20, 30, 400);
const MARKDOWN = "# Title\n\nSome *emphasis*, **bold** and `code`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[link](http://example.com \"t\") <b>html</b>\n";

function lodashResults(_) {
  return {
    chunk: _.chunk([1, 2, 3, 4, 5], 2),
    template: _.template("hello <%= user %>! <% _.forEach(list, function(x) { %><li><%- x %></li><% }); %>")({ user: "fred", list: ["<a>", "b"] }),
    merge: _.merge({ a: [{ b: 2 }, { d: 4 }] }, { a: [{ c: 3 }, { e: 5 }] }),
    debounceType: typeof _.debounce(() => {}, 10),
    camel: _.camelCase("Foo Bar-baz_qux"),
    groupBy: _.groupBy([6.1, 4.2, 6.3], Math.floor),
    sortBy: _.sortBy([{ u: "fred", a: 48 }, { u: "barney", a: 36 }, { u: "fred", a: 40 }], ["u", "a"]),
    get: _.get({ a: [{ b: { c: 3 } }] }, "a[0].b.c"),
    cloneDeep: _.cloneDeep({ d: new Date(0), m: new Map([[1, { x: 1 }]]) }).m.get(1),
    isEqual: _.isEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
    escape: _.escape("<a href='x'>&</a>"),
    version: _.VERSION,
    uniq: _.uniqBy([2.1, 1.2, 2.3], Math.floor),
  };
}

function dayjsResults(dayjs, utcPlugin) {
  dayjs.extend(utcPlugin);
  const d = dayjs(FIXED);
  return {
    format: d.format("YYYY-MM-DD HH:mm:ss.SSS dddd MMMM"),
    add: d.add(1, "month").subtract(3, "day").format("YYYY-MM-DD"),
    startOf: d.startOf("week").format(),
    diff: dayjs("2024-12-25").diff(d, "day"),
    utc: dayjs.utc("2024-03-05T10:20:30Z").format("YYYY-MM-DDTHH:mm:ss[Z] ddd"),
    valid: dayjs("not a date").isValid(),
    unix: d.unix(),
  };
}

function markedResults(marked) {
  return {
    parse: marked.parse(MARKDOWN),
    inline: marked.parseInline("**x** _y_"),
    lexerTypes: marked.lexer(MARKDOWN).map((t) => t.type),
  };
}

test("lodash and dayjs through require() match Node", async () => {
  if (!installed) return;
  loadAll();
  const req = requireFrom("_system/router.js");
  const nodeRequire = (await import("node:module")).createRequire(import.meta.url.replace("/tests/", "/"));
  same(lodashResults(req("lodash")), lodashResults(nodeRequire("lodash")), "lodash");
  same(dayjsResults(req("dayjs"), req("dayjs/plugin/utc")), dayjsResults(nodeRequire("dayjs"), nodeRequire("dayjs/plugin/utc")), "dayjs");
  same(req("lodash/chunk")([1, 2, 3], 2), [[1, 2], [3]], "lodash/chunk subpath");
  same(req("dayjs/package.json").name, "dayjs");
  ok(req("marked").__fakeRequireEsm?.startsWith("modules/marked/"), "marked is ESM-only: loaded as an ES module");
});

test("uuid, semver, debug, depd, http-errors, jsonwebtoken, csv-parse and through2 through require() match Node", async () => {
  if (!NODE_API_PACKAGES.every((p) => nodeFs.existsSync(nodePath.join(nodeModules, p, "package.json")))) return;
  for (const id of [...__fake.docs.keys()]) __fake.remove(id);
  for (const p of NODE_API_PACKAGES) copyPackage(p);
  const req = requireFrom("_system/router.js");
  const nodeRequire = (await import("node:module")).createRequire(import.meta.url.replace("/tests/", "/"));
  const mine = await npmResults(req);
  const theirs = await npmResults(nodeRequire);
  for (const key of Object.keys(theirs)) same(mine[key], theirs[key], key);
});

test("lodash, dayjs, marked and nanoid through import match Node", async () => {
  if (!installed) return;
  loadAll();
  __fake.put("_system/pkgtest.js", `
    import _ from "lodash";
    import { chunk, template } from "lodash";
    import dayjs from "dayjs";
    import utc from "dayjs/plugin/utc.js";
    import { marked } from "marked";
    import { nanoid, customAlphabet, urlAlphabet } from "nanoid";
    import { nanoid as insecure } from "nanoid/non-secure";
    export const lodash = _;
    export const named = { chunk: chunk([1, 2, 3], 2), same: chunk === _.chunk, template: template("<%= a %>")({ a: 1 }) };
    export { dayjs, utc, marked };
    export const ids = { a: nanoid(), b: nanoid(10), c: customAlphabet("abc", 8)(), d: insecure(5), alphabet: urlAlphabet };
  `);
  const loader = createLoader();
  const ns = await loader.importDocument("_system/pkgtest.js");
  const real = {
    lodash: (await import("lodash")).default,
    dayjs: (await import("dayjs")).default,
    utc: (await import("dayjs/plugin/utc.js")).default,
    marked: (await import("marked")).marked,
    nanoid: await import("nanoid"),
  };
  same(lodashResults(ns.lodash), lodashResults(real.lodash), "lodash");
  same(ns.named, { chunk: [[1, 2], [3]], same: true, template: "1" }, "lodash named exports");
  same(dayjsResults(ns.dayjs, ns.utc), dayjsResults(real.dayjs, real.utc), "dayjs");
  same(markedResults(ns.marked), markedResults(real.marked), "marked");
  ok(/^[A-Za-z0-9_-]{21}$/.test(ns.ids.a) && ns.ids.b.length === 10, "nanoid");
  ok(/^[abc]{8}$/.test(ns.ids.c) && ns.ids.d.length === 5, "customAlphabet / non-secure");
  same(ns.ids.alphabet, real.nanoid.urlAlphabet);
});

test("the black-box scenario: import of CommonJS (default + named), global require, JSON, node:path", async () => {
  for (const id of [...__fake.docs.keys()]) __fake.remove(id);
  __fake.put("modules/greet/package.json", JSON.stringify({ name: "greet", version: "1.0.0", main: "lib/index.js" }));
  __fake.put("modules/greet/lib/index.js", "const { suffix } = require('./suffix');\n" +
    "let loads = (globalThis.__greetLoads = (globalThis.__greetLoads || 0) + 1);\n" +
    "exports.greet = (name) => 'hello ' + name + suffix;\nexports.loads = () => loads;\n");
  __fake.put("modules/greet/lib/suffix.js", "module.exports = { suffix: '!' };\n");
  __fake.put("_system/data.json", '{"answer": 42}');
  __fake.put("_system/lib/util.js", "export const twice = (x) => x * 2;\n");
  __fake.put("_system/router.js", `
    import { greet } from "greet";
    import greetDefault from "greet";
    import data from "./data.json";
    import { twice } from "./lib/util.js";
    import path from "node:path";
    import fs from "fs";
    import { EventEmitter } from "events";
    export function all() {
      const again = require("greet");
      return { esm: greet("esm"), cjs: again.greet("cjs"), same: again === greetDefault, loads: again.loads(),
        json: data.answer, twice: twice(21), join: path.join("/a", "b", "../c"), ee: typeof EventEmitter,
        read: fs.readFileSync("_system/data.json", "utf8").length };
    }
  `);
  delete globalThis.__greetLoads;
  const loader = createLoader();
  const ns = await loader.importDocument("_system/router.js");
  same(ns.all(), { esm: "hello esm!", cjs: "hello cjs!", same: true, loads: 1, json: 42, twice: 42, join: "/a/c", ee: "function", read: 14 });
});
