// Black-box tests of templates and the Node-compatible module system: EJS
// rendering (res.render, .ejs documents, the preview API), ES imports between
// documents, packages under modules/ (installed with `hbf modules add` and the
// API), CommonJS require, JSON modules and the Node shims.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "blackbox/henv_fixture.h"

namespace hbf::test {
namespace {

using ModulesTest = OneHenvTest;

TEST_F(ModulesTest, ImportsRequireAndJsonAcrossDocumentsAndPackages) {
  Put("modules/greet/package.json", R"({"name":"greet","version":"1.0.0","main":"lib/index.js"})", "application/json");
  Put("modules/greet/lib/index.js",
      "const { suffix } = require('./suffix');\n"
      "let loads = (globalThis.__greetLoads = (globalThis.__greetLoads || 0) + 1);\n"
      "exports.greet = (name) => 'hello ' + name + suffix;\nexports.loads = () => loads;\n");
  Put("modules/greet/lib/suffix.js", "module.exports = { suffix: '!' };\n");
  Put("_system/data.json", R"({"answer": 42})", "application/json");
  Put("_system/lib/util.js", "export const twice = (x) => x * 2;\n");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import { greet } from "greet";
import greetDefault from "greet";
import data from "./data.json";
import { twice } from "./lib/util.js";
import path from "node:path";
const router = new Router();
router.get("/all", (req, res) => {
  const again = require("greet");
  res.json({
    esm: greet("esm"), cjs: again.greet("cjs"), same: again === greetDefault, loads: again.loads(),
    json: data.answer, twice: twice(21), join: path.join("/a", "b", "../c"),
  });
});
router.get("/missing", (req, res) => {
  try { require("no-such-package"); } catch (e) { return res.json({ message: e.message }); }
});
export default router;
)js");
  auto all = Get("/all");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.body,
            R"({"esm":"hello esm!","cjs":"hello cjs!","same":true,"loads":1,"json":42,"twice":42,"join":"/a/c"})");
  auto missing = Get("/missing");
  EXPECT_NE(missing.json().find("message")->as_string().find("no-such-package"), std::string::npos) << missing.body;
}

// require() of an ES module, as Node 22 (and 20.19) allow: CommonJS code
// (the tenant's or a package's) gets the module's namespace, the same
// instance `import` gets; top-level await and evaluation errors throw.
TEST_F(ModulesTest, RequireOfAnEsModuleReturnsItsNamespace) {
  Put("modules/idgen/package.json", R"({"name":"idgen","version":"5.0.0","type":"module","main":"index.js"})",
      "application/json");
  Put("modules/idgen/index.js",
      "import { alphabet } from './alphabet.js';\n"
      "globalThis.__idgenLoads = (globalThis.__idgenLoads || 0) + 1;\n"
      "export const id = (n) => alphabet.slice(0, n);\nexport default 'idgen';\n");
  Put("modules/idgen/alphabet.js", "export const alphabet = 'abcdefgh';\n");
  Put("modules/awaits/package.json", R"({"name":"awaits","type":"module"})", "application/json");
  Put("modules/awaits/index.js", "export const v = await Promise.resolve(1);\n");
  Put("modules/broken/package.json", R"({"name":"broken","type":"module"})", "application/json");
  Put("modules/broken/index.js", "export const v = 1;\nthrow new Error('broken at load');\n");
  Put("modules/user/package.json", R"({"name":"user","main":"index.js"})", "application/json");
  Put("modules/user/index.js", "const { id } = require('idgen');\nexports.make = () => id(3);\n");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import * as imported from "idgen";
const router = new Router();
const code = (f) => { try { f(); return null; } catch (e) { return [e.code ?? null, String(e.message)]; } };
router.get("/esm", (req, res) => {
  const ns = require("idgen");
  res.json({
    id: ns.id(4), def: ns.default, same: ns === imported, loads: globalThis.__idgenLoads,
    fromCjs: require("user").make(),
    awaits: code(() => require("awaits"))?.[0], broken: code(() => require("broken"))?.[1],
    brokenAgain: code(() => require("broken"))?.[1],
  });
});
export default router;
)js");
  auto r = Get("/esm");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"id":"abcd","def":"idgen","same":true,"loads":1,"fromCjs":"abc",)"
            R"("awaits":"ERR_REQUIRE_ASYNC_MODULE","broken":"broken at load","brokenAgain":"broken at load"})");
}

TEST_F(ModulesTest, PackagesInstalledWithTheCliAndShims) {
  TempDir pkg;
  std::filesystem::create_directories(pkg.path() + "/src");
  std::ofstream(pkg.path() + "/package.json") << R"({"name":"@acme/shout","version":"2.1.0","type":"module","exports":{".":"./src/shout.js"}})";
  std::ofstream(pkg.path() + "/src/shout.js") << "export default (s) => s.toUpperCase() + '!';\n";
  auto installed = RunHbf({"modules", "add", "--henv", hash_, "--storage_dir", server_->storage_dir(), pkg.path()});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_NE(installed.out.find("@acme/shout@2.1.0"), std::string::npos) << installed.out;
  auto listed = Api("GET", "/_api/modules");
  EXPECT_NE(listed.body.find("@acme/shout"), std::string::npos) << listed.body;

  Put("notes/a.txt", "alpha", "text/plain");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import shout from "@acme/shout";
import fs from "fs";
import { EventEmitter } from "events";
const router = new Router();
router.get("/shims", async (req, res) => {
  const emitter = new EventEmitter();
  let heard = "";
  emitter.on("x", (v) => { heard = v; });
  emitter.emit("x", "event");
  await new Promise((r) => setTimeout(r, 10));
  let writeError = "";
  try { fs.writeFileSync("notes/b.txt", "x"); } catch (e) { writeError = e.code; }
  res.json({
    shout: shout("hi"), read: fs.readFileSync("notes/a.txt", "utf8"), exists: fs.existsSync("/notes/zzz"),
    heard, buffer: Buffer.from("hi").toString("base64"), writeError,
  });
});
export default router;
)js");
  auto shims = Get("/shims");
  ASSERT_EQ(shims.status, 200) << shims.body;
  EXPECT_EQ(shims.body,
            R"({"shout":"HI!","read":"alpha","exists":false,"heard":"event","buffer":"aGk=","writeError":"EROFS"})");
}

// The Node globals and core modules are loaded on first use (hbf:native
// loadBuiltin): whichever way a script reaches a shim first, it must get the
// one instance, and a script may still replace a global it never read.
TEST_F(ModulesTest, LazyNodeGlobalsAndRequireShareOneInstanceOfEachShim) {
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import { Buffer as ImportedBuffer } from "buffer";
const router = new Router();
router.get("/lazy", (req, res) => {
  globalThis.setImmediate = "mine";
  res.json({
    buffer: Buffer === ImportedBuffer && require("buffer").Buffer === Buffer && require("node:buffer").Buffer === Buffer,
    process: process === require("process") && typeof process.env === "object",
    path: require("path").join("a", "b"),
    overwritten: setImmediate,
    descriptor: typeof Object.getOwnPropertyDescriptor(globalThis, "Buffer").value,
  });
});
export default router;
)js");
  auto lazy = Get("/lazy");
  ASSERT_EQ(lazy.status, 200) << lazy.body;
  EXPECT_EQ(lazy.body, R"({"buffer":true,"process":true,"path":"a/b","overwritten":"mine","descriptor":"function"})");
}

// The module loader answers core modules and built-in packages itself
// (js/builtin_specifiers.h), without hbf:modules' resolver, which require()
// uses: both must load the same module for every name.
TEST_F(ModulesTest, BuiltinSpecifiersLoadWhatRequireLoads) {
  Put("modules/lodash-like/package.json", R"({"name":"lodash-like","version":"1.0.0","main":"index.js"})",
      "application/json");
  Put("modules/lodash-like/index.js", "module.exports = { id: (x) => x };\n");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import { builtinModules } from "node:module";
import express from "express";
import fs from "fs";
import { join } from "node:path";
import pkg from "lodash-like";
const router = new Router();
router.get("/same", async (req, res) => {
  const differ = [];
  const names = [...builtinModules, ...builtinModules.map((n) => "node:" + n), "express"];
  for (const name of names) {
    const ns = await import(name);
    if (ns.default === undefined || ns.default !== require(name)) differ.push(name);
  }
  const failure = async (name) => { try { await import(name); return "loaded"; } catch (e) { return e.message; } };
  res.json({
    names: names.length, differ,
    statics: express === require("express") && fs === require("fs") && join("a", "b") === "a/b" && pkg.id(1) === 1 &&
    require("util/types") === require("util").types,
    nope: await failure("node:nope"), express: await failure("node:express"),
  });
});
export default router;
)js");
  auto same = Get("/same");
  ASSERT_EQ(same.status, 200) << same.body;
  Json j = same.json();
  EXPECT_GE(j.find("names")->as_int(), 50);
  EXPECT_EQ(j.find("differ")->dump(), "[]");
  EXPECT_TRUE(j.find("statics")->as_bool()) << same.body;
  // Names it does not know still go to the resolver, and get its errors.
  EXPECT_EQ(j.find("nope")->as_string(), "No such built-in module: node:nope") << same.body;
  EXPECT_EQ(j.find("express")->as_string(), "No such built-in module: node:express") << same.body;
}

// Another process (here the CLI) changing a henv's code while the server runs
// is noticed without a restart: the server checks for foreign commits at
// most every 100 ms, so the test polls (bounded) for the new answer.
TEST_F(ModulesTest, CodeChangedByAnotherProcessIsServedWithoutARestart) {
  TempDir pkg;
  auto write_package = [&](const std::string& word) {
    std::ofstream(pkg.path() + "/package.json") << R"({"name":"word","version":"1.0.0","type":"module","main":"index.js"})";
    std::ofstream(pkg.path() + "/index.js") << "export default \"" << word << "\";\n";
    auto installed = RunHbf({"modules", "add", "--henv", hash_, "--storage_dir", server_->storage_dir(), pkg.path()});
    ASSERT_EQ(installed.exit_code, 0) << installed.err;
  };
  write_package("before");
  Put("_system/router.js", R"js(
import { Router } from "hbf:router";
import word from "word";
const router = new Router();
router.get("/word", (req, res) => res.send(word));
export default router;
)js");
  ASSERT_EQ(Get("/word").body, "before");
  write_package("after");
  std::string body;
  for (int i = 0; i < 100 && body != "after"; ++i) {  // up to ~5 s
    body = Get("/word").body;
    if (body != "after") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(body, "after");
}

}  // namespace
}  // namespace hbf::test
