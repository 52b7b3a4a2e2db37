// hbf:node_path against node:path (posix) over a large generated set.
import nodePath from "node:path";
import hbfPath from "hbf:node_path";
import * as hbfPathNs from "hbf:node_path";
import { test, Cases, outcome, same } from "../lib.mjs";

const P = nodePath.posix;
const SEGMENTS = ["", ".", "..", "a", "b", "/", "//", "a/", "/a", "../..", "foo.bar", ".hidden", "x.tar.gz", "a//b", " ",
  "./c", "c/./d", "d/../e", "...", "..a", "a..", "file.", ".x.", "/..", "é/ü.txt", "a/b/c/", "///"];

function* combos(max) {
  // Deterministic pseudo-random combinations.
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < max; i++) {
    const n = 1 + Math.floor(rnd() * 4);
    const parts = [];
    for (let k = 0; k < n; k++) parts.push(SEGMENTS[Math.floor(rnd() * SEGMENTS.length)]);
    yield parts;
  }
}

const singles = [...SEGMENTS, ...Array.from(combos(400), (p) => p.join(""))];

test("join/resolve/normalize/relative on 3000 generated inputs", () => {
  const c = new Cases("path");
  for (const parts of combos(3000)) {
    c.check(`join(${JSON.stringify(parts)})`, outcome(() => hbfPath.join(...parts)), outcome(() => P.join(...parts)));
    c.check(`resolve(${JSON.stringify(parts)})`, outcome(() => hbfPath.resolve(...parts)), outcome(() => P.resolve("/", ...parts)));
    const [a, b = ""] = parts;
    c.check(`relative(${JSON.stringify([a, b])})`, outcome(() => hbfPath.relative(a, b)),
      outcome(() => P.relative(P.resolve("/", a), P.resolve("/", b))));
  }
  for (const s of singles) {
    c.check(`normalize(${JSON.stringify(s)})`, outcome(() => hbfPath.normalize(s)), outcome(() => P.normalize(s)));
    c.check(`dirname(${JSON.stringify(s)})`, hbfPath.dirname(s), P.dirname(s));
    c.check(`basename(${JSON.stringify(s)})`, hbfPath.basename(s), P.basename(s));
    for (const ext of [".gz", "z", ".tar.gz", "", s.slice(-2)]) {
      c.check(`basename(${JSON.stringify(s)}, ${JSON.stringify(ext)})`, hbfPath.basename(s, ext), P.basename(s, ext));
    }
    c.check(`extname(${JSON.stringify(s)})`, hbfPath.extname(s), P.extname(s));
    c.check(`isAbsolute(${JSON.stringify(s)})`, hbfPath.isAbsolute(s), P.isAbsolute(s));
    c.check(`parse(${JSON.stringify(s)})`, hbfPath.parse(s), P.parse(s));
    c.check(`format(parse(${JSON.stringify(s)}))`, hbfPath.format(hbfPath.parse(s)), P.format(P.parse(s)));
    c.check(`toNamespacedPath(${JSON.stringify(s)})`, hbfPath.toNamespacedPath(s), P.toNamespacedPath(s));
  }
  c.done();
});

test("format() objects, constants and argument errors", () => {
  const c = new Cases("path");
  const objs = [{ root: "/", dir: "/home/u", base: "f.txt" }, { root: "/", base: "f.txt", ext: "ignored" },
    { root: "/", name: "f", ext: ".txt" }, { name: "f", ext: "txt" }, { dir: "d", name: "n", ext: ".e" }, {},
    { root: "/x/", dir: "/x/" }];
  for (const o of objs) c.check(`format(${JSON.stringify(o)})`, hbfPath.format(o), P.format(o));
  c.check("sep", hbfPath.sep, P.sep);
  c.check("delimiter", hbfPath.delimiter, P.delimiter);
  c.check("posix", hbfPath.posix === hbfPath, true);
  for (const bad of [1, null, undefined, {}, ["a"]]) {
    c.check(`join(${String(bad)})`, outcome(() => hbfPath.join("a", bad)), outcome(() => P.join("a", bad)));
    c.check(`dirname(${String(bad)})`, outcome(() => hbfPath.dirname(bad)), outcome(() => P.dirname(bad)));
    c.check(`basename(a, ${String(bad)})`, outcome(() => hbfPath.basename("a", bad === undefined ? 1 : bad)),
      outcome(() => P.basename("a", bad === undefined ? 1 : bad)));
    c.check(`format(${String(bad)})`, outcome(() => hbfPath.format(bad)), outcome(() => P.format(bad)));
  }
  c.check("resolve() is the cwd /", hbfPath.resolve(), "/");
  c.done();
});

test("named exports match the default object", () => {
  for (const k of ["join", "resolve", "normalize", "dirname", "basename", "extname", "relative", "isAbsolute", "parse", "format", "sep", "delimiter"]) {
    same(hbfPathNs[k], hbfPath[k], k);
  }
});
