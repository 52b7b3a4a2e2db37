// hbf:node_fs over documents against node:fs over a temp directory holding
// the same files.
import nodeFs from "node:fs";
import os from "node:os";
import nodePath from "node:path";
import fs from "hbf:node_fs";
import fsPromises from "hbf:node_fs_promises";
import { __fake } from "hbf:native";
import { test, same, ok, Cases } from "../lib.mjs";

const FILES = {
  "notes/a.txt": "alpha",
  "notes/b.md": "# beta\n",
  "notes/deep/c.json": '{"c":3}',
  "notes/deep/more/d.bin": Buffer.from([0, 1, 2, 255]),
  "notes/é ü.txt": "unicode name",
  "notes-x/z.txt": "sibling dir with a '-'",
  "top.txt": "top level",
};

/** Puts FILES in the document store and, with `mirror`, in a new temp directory (returned). */
function setup(mirror = false) {
  for (const id of [...__fake.docs.keys()]) if (!id.startsWith("modules/")) __fake.remove(id);
  const dir = mirror ? nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), "hbf-fs-")) : null;
  for (const [id, content] of Object.entries(FILES)) {
    __fake.put(id, typeof content === "string" ? content : new Uint8Array(content), 1700000000);
    if (!mirror) continue;
    nodeFs.mkdirSync(nodePath.dirname(nodePath.join(dir, id)), { recursive: true });
    nodeFs.writeFileSync(nodePath.join(dir, id), content);
  }
  return dir;
}

function shape(fn, dir) {
  try {
    const v = fn();
    if (v instanceof Uint8Array) return { bytes: Array.from(v) };
    if (Array.isArray(v) && v[0] && typeof v[0] === "object" && "name" in v[0]) {
      return v.map((d) => ({ name: d.name, file: d.isFile(), dir: d.isDirectory() }));
    }
    if (v && typeof v === "object" && typeof v.isFile === "function") {
      return { isFile: v.isFile(), isDirectory: v.isDirectory(), size: v.isFile() ? v.size : "dir" };
    }
    if (Array.isArray(v)) return [...v].sort();
    return { value: typeof v === "string" && v.startsWith(dir) ? v.slice(dir.length) || "/" : v };
  } catch (e) {
    const strip = (s) => (typeof s === "string" ? s.split(dir).join("") : s);
    return { error: { code: e.code, errno: e.errno, syscall: e.syscall, path: strip(e.path), message: strip(e.message) } };
  }
}

test("read operations match node:fs on a mirror directory", () => {
  const dir = setup(true);
  try {
    const c = new Cases("fs");
    const paths = ["/notes/a.txt", "/notes", "/notes/", "/notes/deep", "/notes/deep/more/d.bin", "/missing", "/notes/missing.txt",
      "/notes/a.txt/x", "/", "/top.txt", "/notes/é ü.txt", "/notes/../top.txt", "/notes-x", "/notes/deep/more"];
    for (const p of paths) {
      const real = dir + p;
      c.check(`readFileSync(${p})`, shape(() => fs.readFileSync(p), dir), shape(() => nodeFs.readFileSync(real), dir));
      c.check(`readFileSync(${p}, utf8)`, shape(() => fs.readFileSync(p, "utf8"), dir), shape(() => nodeFs.readFileSync(real, "utf8"), dir));
      c.check(`readFileSync(${p}, {encoding: base64})`, shape(() => fs.readFileSync(p, { encoding: "base64" }), dir),
        shape(() => nodeFs.readFileSync(real, { encoding: "base64" }), dir));
      c.check(`existsSync(${p})`, fs.existsSync(p), nodeFs.existsSync(real));
      c.check(`statSync(${p})`, shape(() => fs.statSync(p), dir), shape(() => nodeFs.statSync(real), dir));
      c.check(`statSync(${p}, throwIfNoEntry)`, shape(() => fs.statSync(p, { throwIfNoEntry: false }), dir),
        shape(() => nodeFs.statSync(real, { throwIfNoEntry: false }), dir));
      c.check(`readdirSync(${p})`, shape(() => fs.readdirSync(p), dir), shape(() => nodeFs.readdirSync(real), dir));
      c.check(`readdirSync(${p}, withFileTypes)`, shape(() => fs.readdirSync(p, { withFileTypes: true }), dir),
        shape(() => nodeFs.readdirSync(real, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)), dir));
      c.check(`readdirSync(${p}, recursive)`, shape(() => fs.readdirSync(p, { recursive: true }), dir),
        shape(() => nodeFs.readdirSync(real, { recursive: true }), dir));
      c.check(`accessSync(${p})`, shape(() => fs.accessSync(p), dir), shape(() => nodeFs.accessSync(real), dir));
      c.check(`realpathSync(${p})`, shape(() => fs.realpathSync(p), dir), shape(() => nodeFs.realpathSync(real), dir));
    }
    c.check("readFileSync bad encoding", shape(() => fs.readFileSync("/top.txt", "nope"), dir),
      shape(() => nodeFs.readFileSync(nodePath.join(dir, "top.txt"), "nope"), dir));
    c.check("readFileSync(5 args)", shape(() => fs.readFileSync(42), dir).error?.code, "EBADF");
    c.check("readFileSync({})", shape(() => fs.readFileSync({}), dir), shape(() => nodeFs.readFileSync({}), dir));
    c.done();
  } finally {
    nodeFs.rmSync(dir, { recursive: true, force: true });
  }
});

test("relative paths, Buffer and file: URL paths name documents; stats", () => {
  setup();
  same(fs.readFileSync("notes/a.txt", "utf8"), "alpha");
  same(fs.readFileSync("./notes/a.txt", "utf8"), "alpha");
  same(fs.readFileSync(Buffer.from("/notes/a.txt"), "utf8"), "alpha");
  same(fs.readFileSync(new URL("file:///notes/a.txt"), "utf8"), "alpha");
  ok(Buffer.isBuffer(fs.readFileSync("top.txt")) === false && fs.readFileSync("top.txt") instanceof Uint8Array, "a Buffer (hbf's)");
  same(fs.readFileSync("top.txt").constructor.name, "Buffer");
  const st = fs.statSync("notes/a.txt");
  same([st.size, st.mtimeMs, st.mtime.getTime(), st.isFile(), st.isDirectory(), st.isSymbolicLink()], [5, 1700000000000, 1700000000000, true, false, false]);
  same(fs.statSync("notes/a.txt", { bigint: true }).size, 5n);
  same(fs.realpathSync("notes/../top.txt"), "/top.txt");
});

test("writes fail with EROFS", async () => {
  setup();
  const writes = [() => fs.writeFileSync("/notes/new.txt", "x"), () => fs.appendFileSync("notes/a.txt", "x"), () => fs.mkdirSync("/d"),
    () => fs.rmSync("/notes/a.txt"), () => fs.unlinkSync("notes/a.txt"), () => fs.renameSync("top.txt", "t2.txt"),
    () => fs.openSync("top.txt", "w"), () => fs.readFileSync("top.txt", { flag: "a+" }), () => fs.accessSync("top.txt", fs.constants.W_OK),
    () => fs.copyFileSync("top.txt", "x"), () => fs.createWriteStream("x")];
  for (const w of writes) {
    let err = null;
    try {
      w();
    } catch (e) {
      err = e;
    }
    same([err?.code, err?.errno], ["EROFS", -30], String(w));
    ok(err.message.includes("write documents through the API"), "message explains");
  }
  const e1 = await fsPromises.writeFile("/x", "y").catch((e) => e.code);
  same(e1, "EROFS");
  const e2 = await new Promise((resolve) => fs.writeFile("/x", "y", (e) => resolve(e.code)));
  same(e2, "EROFS");
  same(fs.readdirSync("/notes").includes("new.txt"), false);
});

test("callbacks, promises, descriptors, streams, opendir", async () => {
  setup();
  same(await new Promise((r) => fs.readFile("notes/a.txt", "utf8", (e, d) => r([e, d]))), [null, "alpha"]);
  same(await new Promise((r) => fs.stat("/nope", (e) => r(e.code))), "ENOENT");
  same(await new Promise((r) => fs.exists("/top.txt", r)), true);
  same(await fsPromises.readFile("/notes/b.md", "utf8"), "# beta\n");
  same(await fs.promises.readdir("/notes/deep"), ["c.json", "more"]);
  same((await fsPromises.stat("/notes")).isDirectory(), true);
  same(await fsPromises.access("/nope").catch((e) => e.code), "ENOENT");
  const fd = fs.openSync("/notes/b.md", "r");
  const buf = Buffer.alloc(4);
  same(fs.readSync(fd, buf, 0, 4, null), 4);
  same(buf.toString(), "# be");
  same(fs.readSync(fd, buf, 0, 4, null), 3);
  same(buf.toString("utf8", 0, 3), "ta\n");
  same(fs.fstatSync(fd).size, 7);
  fs.closeSync(fd);
  same(shape(() => fs.closeSync(fd)).error.code, "EBADF");
  const handle = await fsPromises.open("/top.txt");
  same((await handle.readFile("utf8")), "top level");
  await handle.close();
  const chunks = [];
  await new Promise((resolve, reject) => {
    fs.createReadStream("/notes/a.txt", { encoding: "utf8", highWaterMark: 2 })
      .on("data", (c) => chunks.push(c)).on("end", resolve).on("error", reject);
  });
  same(chunks, ["al", "ph", "a"]);
  const streamed = [];
  for await (const c of fs.createReadStream("/top.txt")) streamed.push(c.toString());
  same(streamed.join(""), "top level");
  const errored = await new Promise((resolve) => fs.createReadStream("/nope").on("error", (e) => resolve(e.code)));
  same(errored, "ENOENT");
  const d = fs.opendirSync("/notes/deep");
  same([d.readSync().name, d.readSync().name, d.readSync()], ["c.json", "more", null]);
  d.closeSync();
  same(fs.writeSync(1, "via fd 1\n") > 0, true);
});
