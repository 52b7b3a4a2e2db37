// HBF's own QuickJS patches (scripts/patches/quickjs/) that change how the
// interpreter behaves inside, checked against the behaviour they must keep.
// (Patches with a user-visible purpose are tested where HBF uses them.)
#include <gtest/gtest.h>

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>

#include "support/quickjs_eval.h"

namespace {

using hbf::test::ContextPtr;
using hbf::test::EvalToString;
using hbf::test::RuntimePtr;

// Patch 0010: `===` and `!==` decide most operand pairs inline. Every pair of
// a set of values of every kind (numbers of both representations, -0, NaN,
// interned and computed strings, ropes, wide strings, symbols, objects, big
// ints) must compare as Array.prototype.indexOf compares them: that is
// QuickJS's own strict equality (js_strict_eq2), which the operator no longer
// calls for most pairs.
TEST(QuickJsPatches, StrictEqualityAgreesWithTheLibrarysOwnForEveryKindOfValue) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  const char* src = R"JS(
    const obj = {}, arr = [1], fn = () => 1, sym = Symbol("s");
    let rope = "";
    for (let i = 0; i < 300; i++) rope += "ab";
    let rope2 = "";
    for (let i = 0; i < 150; i++) rope2 += "abab";
    const values = [
      undefined, null, true, false, 0, -0, 1, -1, 1.5, 2 ** 31, 2 ** 31 - 1, NaN, Infinity, 0.1 + 0.2, 0.3,
      "", "a", "ab", "string", typeof "x", "str" + "ing", "strinG", "é€", "é" + "€", "e€", rope, rope2,
      rope.slice(0, 598) + "ab", sym, Symbol.for("s"), Symbol.for("s"), Symbol.iterator, obj, obj, arr, fn, {},
      [], 1n, 1n, 2n ** 70n, 2n ** 70n, -(2n ** 70n), Object(1), Object("a"),
    ];
    let checked = 0, wrong = [];
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values.length; j++) {
        const a = values[i], b = values[j];
        const expected = [a].indexOf(b) === 0;
        if ((a === b) !== expected || (a !== b) === expected) wrong.push(i + "," + j);
        checked++;
      }
    }
    // Operands freed as the slow path frees them: fresh objects compared
    // and dropped many times over (a leak shows as a failed free at exit).
    let same = 0;
    for (let i = 0; i < 1000; i++) if ({ i } === { i }) same++;
    wrong.length === 0 && same === 0 ? "ok " + checked : "wrong: " + wrong.join(" ");
  )JS";
  EXPECT_EQ(EvalToString(ctx.get(), src), "ok 2025");
}

// Patch 0010: array literals are made whole (one allocation of their size);
// what they are made of, and what can be done with them after, is unchanged.
TEST(QuickJsPatches, ArrayLiteralsAreWholeArrays) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  const char* src = R"JS(
    const o = {};
    const a = [1, "two", o, undefined, null, 3.5];
    const big = [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32];
    const empty = [];
    const holes = [1, , 3];
    const spread = [0, ...a, 7];
    const checks = [
      a.length === 6, a[2] === o, a[3] === undefined && 3 in a, Array.isArray(a), JSON.stringify(a.slice(0, 2)) === '[1,"two"]',
      big.length === 33 && big.reduce((s, x) => s + x, 0) === 528, big.indexOf(32) === 32,
      empty.length === 0 && empty.push(1, 2) === 2 && empty[1] === 2,
      holes.length === 3 && !(1 in holes) && holes[2] === 3,
      spread.length === 8 && spread[7] === 7 && spread[3] === o,
      a.push(9) === 7 && a[6] === 9, (a.length = 2, a.join()) === "1,two",
      Object.getOwnPropertyDescriptor([5], "0").writable === true,
      Object.keys(["x", "y"]).join() === "0,1",
    ];
    checks.every((c) => c === true) ? "ok" : "failed: " + checks.map((c, i) => (c ? "" : i)).join(" ");
  )JS";
  EXPECT_EQ(EvalToString(ctx.get(), src), "ok");
}

// Patch 0010: JS_NewArrayFrom takes its values, and frees them when it fails.
TEST(QuickJsPatches, NewArrayFromTakesItsValuesAndFreesThemOnFailure) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  JSValue values[3] = {JS_NewInt32(ctx.get(), 7), JS_NewString(ctx.get(), "seven"), JS_NewObject(ctx.get())};
  JSValue arr = JS_NewArrayFrom(ctx.get(), 3, values);
  ASSERT_FALSE(JS_IsException(arr));
  JSValue global = JS_GetGlobalObject(ctx.get());
  JS_SetPropertyStr(ctx.get(), global, "made", arr);
  JS_FreeValue(ctx.get(), global);
  EXPECT_EQ(EvalToString(ctx.get(),
                         "String(Array.isArray(made) && made.length === 3 && made[0] === 7 && made[1] === 'seven' && "
                         "typeof made[2] === 'object' && made.push(8) === 4)"),
            "true");
  JSValue none = JS_NewArrayFrom(ctx.get(), 0, nullptr);
  ASSERT_FALSE(JS_IsException(none));
  int64_t length = -1;
  JSValue len = JS_GetPropertyStr(ctx.get(), none, "length");
  JS_ToInt64(ctx.get(), &length, len);
  EXPECT_EQ(length, 0);
  JS_FreeValue(ctx.get(), len);
  JS_FreeValue(ctx.get(), none);

  // At the memory limit: an exception, and the values it was given freed
  // (JS_FreeRuntime then finds nothing left over; ASan would report a leak).
  JSValue more[2] = {JS_NewInt32(ctx.get(), 1), JS_NewObject(ctx.get())};
  JS_SetMemoryLimit(rt.get(), 1);
  JSValue refused = JS_NewArrayFrom(ctx.get(), 2, more);
  EXPECT_TRUE(JS_IsException(refused));
  JS_FreeValue(ctx.get(), JS_GetException(ctx.get()));
  JS_SetMemoryLimit(rt.get(), static_cast<size_t>(-1));
}

}  // namespace

namespace {

// Runs `src` as a global script (its value dropped) and then every pending job.
void RunScript(JSContext* ctx, const char* src) {
  JSValue v = JS_Eval(ctx, src, std::strlen(src), "<test>", JS_EVAL_TYPE_GLOBAL);
  if (JS_IsException(v)) {
    JSValue e = JS_GetException(ctx);
    const char* s = JS_ToCString(ctx, e);
    ADD_FAILURE() << "threw: " << (s != nullptr ? s : "?");
    JS_FreeCString(ctx, s);
    JS_FreeValue(ctx, e);
  }
  JS_FreeValue(ctx, v);
  JSContext* job_ctx = nullptr;
  for (int i = 0; i < 1000 && JS_IsJobPending(JS_GetRuntime(ctx)); ++i) JS_ExecutePendingJob(JS_GetRuntime(ctx), &job_ctx);
}

// Patch 0011: the young generation. A cycle made after JS_SetGCYoung is
// freed by JS_RunGCYoung; a young cycle an old object holds is not; once
// old (it survived a young collection) only a full collection frees it;
// an old object only young garbage held is freed with that garbage.
// (FinalizationRegistry tells what was freed: its callbacks are queued when
// the next collection clears the weak references, so each step below runs
// one more young collection before it looks.)
TEST(QuickJsPatches, AYoungCollectionFreesOnlyTheCyclesNothingOldHolds) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  JSContext* c = ctx.get();
  RunScript(c, R"JS(
    globalThis.freed = [];
    globalThis.registry = new FinalizationRegistry((name) => freed.push(name));
    globalThis.holder = {};
    globalThis.keep = {};  // old: made before young objects exist
    registry.register(keep, "keep");
  )JS");
  JS_SetShapeTransitions(rt.get(), 1);  // (as a bound worker has it: patch 0005)
  JS_SetGCYoung(rt.get(), 1);

  // A young cycle nothing holds, and one the old `holder` holds.
  RunScript(c, R"JS(
    (() => {
      const a = {}, b = { a }; a.b = b; registry.register(a, "loose");
      const x = {}, y = { x }; x.y = y; holder.cycle = x; registry.register(x, "held");
    })();
  )JS");
  const auto settle = [&] {
    JS_RunGCYoung(rt.get());  // (queues the finalization callbacks)
    RunScript(c, "");
  };
  JS_RunGCYoung(rt.get());
  settle();
  EXPECT_EQ(EvalToString(c, "freed.join()"), "loose");
  EXPECT_EQ(EvalToString(c, "String(holder.cycle.y.x === holder.cycle)"), "true");

  // The held cycle is old now: let go, a young collection leaves it to a full one.
  RunScript(c, "holder.cycle = undefined;");
  JS_RunGCYoung(rt.get());
  settle();
  EXPECT_EQ(EvalToString(c, "freed.join()"), "loose");
  JS_RunGC(rt.get());
  settle();
  EXPECT_EQ(EvalToString(c, "freed.join()"), "loose,held");

  // An old object whose last holder is young garbage goes with it.
  RunScript(c, R"JS(
    (() => {
      const p = {}, q = { p, old: keep }; p.q = q;
      registry.register(p, "young");
    })();
    keep = undefined;
  )JS");
  JS_RunGCYoung(rt.get());
  settle();
  EXPECT_EQ(EvalToString(c, "freed.sort().join()"), "held,keep,loose,young");

  // Young objects whose shapes are resized in place (a deleted property
  // makes a dictionary shape; QuickJS then copies it, header and all, to
  // grow or compact it): the copy stays in its generation, so later full
  // collections (and JS_FreeRuntime's) still free everything (the copy once
  // landed among old objects with its young bit: LeakSanitizer then found
  // the whole context leaked).
  // (QuickJS's assertion that a full collection starts with no mark set
  // fired here before the copy kept its generation.)
  RunScript(c, R"JS(
    globalThis.big = {};
    for (let i = 0; i < 70; i++) big["q" + i] = i;
    globalThis.big2 = {};
    for (let i = 0; i < 70; i++) big2["q" + i] = i;
    big.o = big2;
    big2.o = big;
  )JS");
  JS_RunGCYoung(rt.get());
  RunScript(c, R"JS(
    for (let k = 0; k < 3; k++) {
      const o = {};
      for (let i = 0; i < 70; i++) o["q" + i] = i;
      o.self = o;
    }
    globalThis.dict = { a: 1, b: 2 };
    delete dict.a;
    for (let i = 0; i < 40; i++) dict["p" + i] = { i };
    for (let i = 0; i < 30; i++) delete dict["p" + i];
    dict.self = dict;
  )JS");
  JS_RunGCYoung(rt.get());
  JS_RunGC(rt.get());
  EXPECT_EQ(EvalToString(c, "String(Object.keys(dict).length + Object.keys(big).length)"), "83");
  RunScript(c, "dict = big = big2 = undefined;");

  // Many rounds of young cycles with survivors between them (closures,
  // arrays, maps, shapes): nothing freed twice, nothing left (ASan, and
  // JS_FreeRuntime's own check that no object is left).
  for (int round = 0; round < 50; ++round) {
    RunScript(c, R"JS(
      (() => {
        const req = { headers: new Map([["a", [1, 2]]]), list: [1, "x", {}] };
        const res = { req, locals: Object.create(null) };
        req.res = res;
        req.next = () => res;
        if (Math.random() < 0.2) holder["k" + Object.keys(holder).length % 7] = req;
      })();
    )JS");
    JS_RunGCYoung(rt.get());
  }
  JS_SetGCYoung(rt.get(), 0);
  JS_RunGC(rt.get());
}

}  // namespace

namespace {

// Patch 0012: JS_ToCStringLen converts 8-bit strings to UTF-8 a word at a
// time. Every length up to 40 with one, two or no characters past ASCII at
// every position (across the 8-byte words' edges) must convert as one
// character at a time does.
TEST(QuickJsPatches, Latin1ToUtf8ByWordsMatchesOneCharacterAtATime) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  auto expected_utf8 = [](const std::string& latin1) {
    std::string out;
    for (unsigned char c : latin1) {
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    return out;
  };
  int checked = 0;
  for (int len = 0; len <= 40; ++len) {
    for (int at = -1; at < len; ++at) {
      for (int second = -1; second < len; second += 3) {
        std::string latin1;
        for (int i = 0; i < len; ++i) latin1 += static_cast<char>('a' + i % 26);
        if (at >= 0) latin1[static_cast<size_t>(at)] = static_cast<char>(0xE9);   // é
        if (second >= 0) latin1[static_cast<size_t>(second)] = static_cast<char>(0xFF);  // ÿ
        // Build the 8-bit string from its code points (JS_NewStringLen reads UTF-8).
        JSValue codes = JS_NewArray(ctx.get());
        for (size_t i = 0; i < latin1.size(); ++i) {
          JS_SetPropertyUint32(ctx.get(), codes, static_cast<uint32_t>(i),
                               JS_NewInt32(ctx.get(), static_cast<unsigned char>(latin1[i])));
        }
        JSValue global = JS_GetGlobalObject(ctx.get());
        JS_SetPropertyStr(ctx.get(), global, "codes", codes);
        JS_FreeValue(ctx.get(), global);
        JSValue str = JS_Eval(ctx.get(), "String.fromCharCode(...codes)", 29, "<t>", JS_EVAL_TYPE_GLOBAL);
        ASSERT_FALSE(JS_IsException(str));
        size_t size = 0;
        const char* utf8 = JS_ToCStringLen(ctx.get(), &size, str);
        ASSERT_NE(utf8, nullptr);
        EXPECT_EQ(std::string(utf8, size), expected_utf8(latin1)) << "length " << len << ", at " << at << ", " << second;
        EXPECT_EQ(utf8[size], '\0');
        JS_FreeCString(ctx.get(), utf8);
        JS_FreeValue(ctx.get(), str);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 5000);
}

}  // namespace

namespace {

// Patch 0013: JSON.stringify without JS arrays of its own (the cycle check
// in C, a plain object's keys from its shape, strings quoted straight into
// the output). Its output must be the spec's: compared with a plain
// JavaScript rendering of the spec's algorithm for values that reach every
// path the patch changed (key order, deleted and non-enumerable keys,
// symbols, private fields, array-index keys, getters that change the object
// while it is written, toJSON and replacers given keys, cycles, more keys
// than the patch's stack array holds, escapes).
TEST(QuickJsPatches, JsonStringifyWritesWhatTheSpecSays) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  const char* src = R"JS(
    function quote(s) {
      let out = '"';
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        const named = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\" }[c];
        const lone = c >= 0xd800 && c <= 0xdfff &&
          !(c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) &&
          !(c >= 0xdc00 && i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800);
        if (named) out += named;
        else if (c < 0x20 || lone) out += "\\u" + c.toString(16).padStart(4, "0");
        else out += s[i];
      }
      return out + '"';
    }
    function reference(value, replacer, space) {
      let replacerFn, keysList, gap = "";
      if (typeof replacer === "function") replacerFn = replacer;
      else if (Array.isArray(replacer)) {
        keysList = [];
        for (const v of replacer) {
          const item = typeof v === "string" ? v : typeof v === "number" || v instanceof Number || v instanceof String ? String(v) : undefined;
          if (item !== undefined && !keysList.includes(item)) keysList.push(item);
        }
      }
      if (typeof space === "number") gap = " ".repeat(Math.max(0, Math.min(10, Math.trunc(space))));
      else if (typeof space === "string") gap = space.slice(0, 10);
      const stack = [];
      function ser(key, holder, indent) {
        let v = holder[key];
        if ((typeof v === "object" && v !== null) || typeof v === "bigint") {
          const f = v.toJSON;
          if (typeof f === "function") v = f.call(v, key);
        }
        if (replacerFn) v = replacerFn.call(holder, key, v);
        if (v instanceof Number) v = Number(v);
        else if (v instanceof String) v = String(v);
        else if (v instanceof Boolean) v = v.valueOf();
        if (v === null) return "null";
        if (v === true) return "true";
        if (v === false) return "false";
        if (typeof v === "string") return quote(v);
        if (typeof v === "number") return isFinite(v) ? String(v) : "null";
        if (typeof v === "bigint") throw new TypeError("BigInt");
        if (typeof v !== "object") return undefined;
        if (stack.includes(v)) throw new TypeError("circular");
        stack.push(v);
        const inner = indent + gap;
        const parts = [];
        let out;
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) parts.push(ser(String(i), v, inner) ?? "null");
          out = parts.length === 0 ? "[]" : gap === "" ? "[" + parts.join(",") + "]"
              : "[\n" + inner + parts.join(",\n" + inner) + "\n" + indent + "]";
        } else {
          for (const k of keysList ?? Object.keys(v)) {
            const s = ser(k, v, inner);
            if (s !== undefined) parts.push(quote(k) + (gap === "" ? ":" : ": ") + s);
          }
          out = parts.length === 0 ? "{}" : gap === "" ? "{" + parts.join(",") + "}"
              : "{\n" + inner + parts.join(",\n" + inner) + "\n" + indent + "}";
        }
        stack.pop();
        return out;
      }
      return ser("", { "": value }, "");
    }
    class WithPrivate { #hidden = 1; shown = 2; static s = 3; get got() { return 4; } }
    const many = {};
    for (let i = 0; i < 40; i++) many["k" + (39 - i)] = i % 3 === 0 ? { i } : "v" + i;
    const makers = [
      () => ({ msg: "hi" }),
      () => ({ b: 1, a: 2, c: [1, "x", null, undefined, () => 1, Symbol("s")], d: undefined, e: () => 2 }),
      () => { const o = { a: 1, b: 2, c: 3 }; delete o.b; o.b = 4; return o; },
      () => { const o = { a: 1 }; Object.defineProperty(o, "hidden", { value: 2, enumerable: false }); o[Symbol("s")] = 3; return o; },
      () => ({ z: 1, 2: "two", 1: "one", a: 3 }),
      () => ({ z: 1, "4294967294": "index", "4294967295": "not an index", "-1": "neg", "01": "lead" }),
      () => new WithPrivate(),
      () => Object.assign(Object.create(null), { p: 1, q: { r: 2 } }),
      () => { const o = { a: 1, get b() { delete this.c; this.d = 4; return 2; }, c: 3 }; return o; },
      () => ({ when: { toJSON(k) { return "key:" + k; } }, list: [{ toJSON(k) { return "at:" + k; } }] }),
      () => ({ "quote\"key": "tab\there", "new\nline": "\u0001\u001f", uni: "é€😀", lone: "\ud800x\udc00", back: "\\" }),
      // (patch 0027: runs of 8-bit characters copied whole, broken by escapes
      // at their start, middle and end, long ones, Latin-1 above 0x7f, and
      // runs written into a buffer already made wide)
      () => ["", "a", "\"", "a\"", "\"a", "a\\b", "\n", "abc\u0000def", "\u001f\u0020\u007f\u0080\u00ff",
             "x".repeat(5000) + "\"" + "y".repeat(3000) + "\\", "caf\u00e9\u0007\u00ff\\ end",
             "é".repeat(100) + "\t" + "ü"],
      () => ["€", "after wide: a\"b", "plain", "\ud83d", "tail"],
      () => ({ "k\"ey": "v", "a long key without any escape in it": "\b\f", ["x".repeat(300)]: "y" }),
      () => many,
      () => [[], {}, [[[]]], { a: { b: { c: {} } } }, new Number(3), new String("s"), new Boolean(false), NaN, -0, 1e21],
      () => new Proxy({ x: 1, y: [2] }, {}),
      () => { const a = [1, 2, 3]; a.extra = "ignored"; delete a[1]; return a; },
      () => ({ date: new Date(0), re: /x/g, map: new Map([[1, 2]]) }),
    ];
    const replacers = [undefined, (k, v) => (typeof v === "number" ? v + 1 : v), ["a", "b", "msg", 1, "k3"], null];
    const spaces = [undefined, 2, "--", 20, ""];
    let checked = 0;
    const wrong = [];
    for (let m = 0; m < makers.length; m++) {
      for (const r of replacers) {
        for (const s of spaces) {
          let mine, theirs;
          try { mine = JSON.stringify(makers[m](), r, s); } catch (e) { mine = "throws " + e.name; }
          try { theirs = reference(makers[m](), r, s); } catch (e) { theirs = "throws " + e.name; }
          checked++;
          if (mine !== theirs) wrong.push(m + ": " + mine + " | " + theirs);
        }
      }
    }
    const cyclic = { a: [1] };
    cyclic.a.push({ back: cyclic });
    let cycle = "";
    try { JSON.stringify(cyclic); } catch (e) { cycle = e.name + ": " + e.message; }
    const shared = { leaf: 1 };
    const twice = JSON.stringify({ x: shared, y: [shared, shared] });
    if (cycle !== "TypeError: circular reference") wrong.push("cycle: " + cycle);
    if (twice !== '{"x":{"leaf":1},"y":[{"leaf":1},{"leaf":1}]}') wrong.push("shared: " + twice);
    wrong.length === 0 ? "ok " + checked : wrong.slice(0, 5).join("\n");
  )JS";
  EXPECT_EQ(EvalToString(ctx.get(), src), "ok 380");
}

}  // namespace

namespace {
// Allocator hooks that count live blocks, so a test can tell that freeing a
// runtime gave back everything it took. Once armed (`left` >= 0) they grant
// that many more allocations (a growing realloc counts) and refuse every one
// after, for walking an operation's failure paths one by one. While
// `watching`, they note the largest block asked for.
struct Counted {
  long live = 0;
  long left = -1;  // allocations still granted; -1: all
  bool watching = false;
  size_t largest = 0;
  void Asked(size_t size) {
    if (watching) largest = std::max(largest, size);
  }
  long refused = 0;
  bool Refuse() {
    if (left < 0) return false;
    if (left == 0) {
      ++refused;
      return true;
    }
    --left;
    return false;
  }
};
void* CountedMalloc(JSMallocState* s, size_t size) {
  auto* c = static_cast<Counted*>(s->opaque);
  c->Asked(size);
  if (c->Refuse()) return nullptr;
  void* p = std::malloc(size);
  if (p != nullptr) ++c->live;
  return p;
}
void CountedFree(JSMallocState* s, void* p) {
  if (p == nullptr) return;
  --static_cast<Counted*>(s->opaque)->live;
  std::free(p);
}
void* CountedRealloc(JSMallocState* s, void* p, size_t size) {
  if (p == nullptr) return CountedMalloc(s, size);
  if (size == 0) {
    CountedFree(s, p);
    return nullptr;
  }
  static_cast<Counted*>(s->opaque)->Asked(size);
  if (size > malloc_usable_size(p) && static_cast<Counted*>(s->opaque)->Refuse()) return nullptr;
  return std::realloc(p, size);
}
size_t CountedUsable(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }
const JSMallocFunctions kCounted = {CountedMalloc, CountedFree, CountedRealloc, CountedUsable, nullptr};
}  // namespace

// Patch 0014: after JS_BeginFreeRuntime, atoms are neither counted down nor
// freed one by one; JS_FreeRuntime's last loop frees them. Whatever the
// runtime made (atoms of every kind: names, strings used as keys, symbols,
// registered symbols, private names, symbols as weak keys; functions whose
// bytecode names atoms; cycles), every block comes back, once (ASan checks
// the "once"), with and without the call.
TEST(QuickJsPatches, FreeingARuntimeAfterBeginFreeRuntimeGivesBackEveryBlock) {
  constexpr const char* kWork = R"js(
    globalThis.keep = [];
    for (let i = 0; i < 2000; i++) {
      const o = { ["k" + i]: i, [Symbol("s" + i)]: i, [Symbol.for("r" + (i % 50))]: i };
      o.self = o;
      keep.push(o, "str" + i, (x) => x + i + o["k" + i]);
    }
    class C { #p = 1; static #q = 2; m() { return this.#p + C.#q; } }
    const wm = new WeakMap();
    const sym = Symbol("weak key");
    wm.set(sym, { back: wm });
    keep.push(new C().m(), wm, sym, new Function("a", "return a.zz + 'yy'"));
    JSON.stringify(keep.filter((v) => typeof v === "string").slice(0, 30));
  )js";
  for (bool begin : {false, true}) {
    Counted counted;
    JSRuntime* rt = JS_NewRuntime2(&kCounted, &counted);
    ASSERT_NE(rt, nullptr);
    JSContext* ctx = JS_NewContext(rt);
    ASSERT_NE(ctx, nullptr);
    EXPECT_EQ(EvalToString(ctx, std::string(kWork) + "; keep.length"), "6004") << begin;
    if (begin) JS_BeginFreeRuntime(rt);
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
    EXPECT_EQ(counted.live, 0) << (begin ? "with" : "without") << " JS_BeginFreeRuntime";
  }
}

// Patch 0015: plain and async functions, and C functions over
// Function.prototype, are made with their `length`, `name` (and a
// constructor's lazy `prototype`) from a shape the context keeps, not defined
// one by one. What a script can see of a function is unchanged: the same own
// properties in the same order with the same attributes (V8's and the
// spec's), for the functions made the new way and those still made the old
// way (generators, classes, bound functions, getters) as QuickJS made them
// before (and as V8 does, but for V8's own `arguments` and `caller` on sloppy
// functions); changing one function leaves the others that share its shape
// alone.
TEST(QuickJsPatches, FunctionsMadeWithTheirShapeHaveTheirOwnProperties) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  const char* src = R"JS(
    const describe = (f) => Object.getOwnPropertyNames(f).map((k) => {
      const d = Object.getOwnPropertyDescriptor(f, k);
      const v = k === "prototype" ? (d.value === undefined ? "undefined" : typeof d.value) : JSON.stringify(d.value);
      return k + "=" + v + ":" + (d.writable ? "w" : "") + (d.enumerable ? "e" : "") + (d.configurable ? "c" : "");
    }).join(" ");
    const o = { method(a) {}, 1() {}, get g() { return 1; }, async am(x, y) {} };
    const fns = {
      plain: function plain(a, b) {}, arrow: (a, b, c) => a, anon: [function () {}][0],
      async: async function af(a) {}, asyncArrow: async () => 1, method: o.method, numbered: o[1],
      getter: Object.getOwnPropertyDescriptor(o, "g").get, asyncMethod: o.am,
      generator: function* gen(a) {}, klass: class K { constructor(a, b) {} }, bound: function bf(a, b) {}.bind(null, 1),
      cmax: Math.max, cpush: [].push, ctor: Boolean, defaulted: function d(a, b = 1, c) {}, rest: function r(a, ...b) {},
    };
    const out = [];
    for (const [k, f] of Object.entries(fns)) out.push(k + ": " + describe(f));
    // The lazy prototype, and constructing.
    const p = fns.plain;
    out.push("proto: " + (p.prototype.constructor === p) + " " + (new p() instanceof p) + " " +
             (Object.getPrototypeOf(p) === Function.prototype) + " " +
             (Object.getPrototypeOf(fns.async) === Object.getPrototypeOf(async function () {})));
    let threw = 0;
    for (const f of [fns.arrow, fns.method, fns.async, fns.cmax]) { try { new f(); } catch (e) { if (e instanceof TypeError) threw++; } }
    out.push("not constructors: " + threw);
    // One function changed; its shape's other users unchanged.
    const a = function a(x) {}, b = function b(x) {}, c = () => 1, d = () => 2;
    delete a.name; Object.defineProperty(b, "length", { value: 7 }); a.extra = 1; c.name2 = "x"; delete d.length;
    out.push("changed: " + JSON.stringify([a.name, a.length, b.name, b.length, c.name, c.length, d.name, d.length]) +
             " " + describe(a) + " | " + describe(function e(x) {}) + " | " + describe(() => 3));
    out.join("\n");
  )JS";
  EXPECT_EQ(EvalToString(ctx.get(), src),
            "plain: length=2:c name=\"plain\":c prototype=object:w\n"
            "arrow: length=3:c name=\"arrow\":c\n"
            "anon: length=0:c name=\"\":c prototype=object:w\n"
            "async: length=1:c name=\"af\":c\n"
            "asyncArrow: length=0:c name=\"asyncArrow\":c\n"
            "method: length=1:c name=\"method\":c\n"
            "numbered: length=0:c name=\"1\":c\n"
            "getter: length=0:c name=\"get g\":c\n"
            "asyncMethod: length=2:c name=\"am\":c\n"
            "generator: length=1:c name=\"gen\":c prototype=object:w\n"
            "klass: length=2:c name=\"K\":c prototype=object:\n"
            "bound: length=1:c name=\"bound bf\":c\n"
            "cmax: length=2:c name=\"max\":c\n"
            "cpush: length=1:c name=\"push\":c\n"
            "ctor: length=1:c name=\"Boolean\":c prototype=object:\n"
            "defaulted: length=1:c name=\"d\":c prototype=object:w\n"
            "rest: length=1:c name=\"r\":c prototype=object:w\n"
            "proto: true true true true\n"
            "not constructors: 4\n"
            "changed: [\"\",1,\"b\",7,\"c\",0,\"d\",0] length=1:c prototype=object:w extra=1:wec | "
            "length=1:c name=\"e\":c prototype=object:w | length=0:c name=\"\":c");
}

// Patch 0015: a function made from the kept shape has a property array as
// long as its properties, as one made property by property had (a longer
// one cost 17 KB per worker: its built-ins' functions).
TEST(QuickJsPatches, FunctionsMadeWithTheirShapeHoldNoSpareProperties) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  for (const char* make : {"() => i", "function () { return i; }", "async () => i"}) {
    JSMemoryUsage before{}, after{};
    EXPECT_EQ(EvalToString(ctx.get(), "globalThis.made = []; 'ok'"), "ok");
    JS_RunGC(rt.get());
    JS_ComputeMemoryUsage(rt.get(), &before);
    EXPECT_EQ(EvalToString(ctx.get(), std::string("for (let i = 0; i < 1000; i++) made.push(") + make + "); 'ok'"), "ok");
    JS_RunGC(rt.get());
    JS_ComputeMemoryUsage(rt.get(), &after);
    const int64_t props = after.prop_count - before.prop_count;
    const int64_t bytes = after.prop_size - before.prop_size;
    EXPECT_GE(props, 2000) << make;
    EXPECT_LE(bytes, props * static_cast<int64_t>(2 * sizeof(void*)) + 4096) << make;  // (+ the array's own growth)
  }
}

// Patch 0015: a function made at the heap limit fails cleanly wherever the
// limit strikes (its name's string, the object, its properties, its closure
// variables), and everything is freed with the runtime (QuickJS's own
// assertion that no object is left, in this build; ASan's leak check).
TEST(QuickJsPatches, FunctionsMadeAtTheHeapLimitFailCleanly) {
  for (size_t limit : {size_t{1} << 20, (size_t{1} << 20) + 4096, (size_t{1} << 20) + 7777}) {
    JSRuntime* rt = JS_NewRuntime();
    ASSERT_NE(rt, nullptr);
    JSContext* ctx = JS_NewContext(rt);
    ASSERT_NE(ctx, nullptr);
    JS_SetMemoryLimit(rt, limit);
    EXPECT_EQ(EvalToString(ctx, R"JS(
      const keep = [];
      let failed = "no";
      try {
        for (let i = 0; i < 1e6; i++) {
          const o = { [i + 1]() { return i; } };  // a name made of a number: a new string
          keep.push(function (x) { return x + i; }, async (y) => y, o[i + 1], Math.max.bind(null, i));
        }
      } catch (e) {
        keep.length = 0;  // (room to make the answer)
        failed = String(e);
      }
      failed;
    )JS"),
              "InternalError: out of memory")
        << limit;
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
  }
}

namespace {
int finalized = 0;
void CountFinalized(JSRuntime*, JSValue) { ++finalized; }
// A class of the owner's with `finalizer`, registered in rt (0: refused).
JSClassID NewFinalizedClass(JSRuntime* rt, const char* name, JSClassFinalizer* finalizer) {
  JSClassID id = 0;
  JS_NewClassID(&id);
  JSClassDef def{};
  def.class_name = name;
  def.finalizer = finalizer;
  return JS_NewClass(rt, id, &def) == 0 ? id : 0;
}
}  // namespace

// Patch 0016: after JS_BeginFreeRuntime, JS_FreeRuntime frees every object
// left as garbage without looking for live ones first. Each object's
// finalizer still runs once: objects in cycles, alone, held by closures, by
// a Map, weakly, and young or old (patch 0011's two lists).
TEST(QuickJsPatches, FreeingARuntimeAfterBeginFreeRuntimeFinalizesEveryObject) {
  for (bool begin : {false, true}) {
    Counted counted;
    JSRuntime* rt = JS_NewRuntime2(&kCounted, &counted);
    ASSERT_NE(rt, nullptr);
    const JSClassID id = NewFinalizedClass(rt, "Counted", CountFinalized);
    ASSERT_NE(id, 0u);
    JSContext* ctx = JS_NewContext(rt);
    ASSERT_NE(ctx, nullptr);
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue made = JS_NewArray(ctx);
    for (int i = 0; i < 300; i++) JS_SetPropertyUint32(ctx, made, i, JS_NewObjectClass(ctx, static_cast<int>(id)));
    JS_SetPropertyStr(ctx, global, "made", made);
    JS_FreeValue(ctx, global);
    EXPECT_EQ(EvalToString(ctx, R"js(
      globalThis.keep = [];
      const wm = new WeakMap(), m = new Map();
      made.forEach((o, i) => {
        if (i % 3 === 0) { o.self = o; keep.push({ o }); }          // a cycle
        else if (i % 3 === 1) { const f = () => o; o.f = f; m.set(i, f); }  // closure cycle, in a Map
        else { wm.set(o, { back: o }); keep.push(new WeakRef(o), o); }       // weakly held too
      });
      keep.push(wm, m);
      made = null;
      "ok";
    )js"),
              "ok");
    JS_RunGC(rt);  // some old, then some young
    EXPECT_EQ(EvalToString(ctx, "keep.push({ late: [keep[0], keep[1]] }); 'ok'"), "ok");
    finalized = 0;
    if (begin) JS_BeginFreeRuntime(rt);
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
    EXPECT_EQ(finalized, 300) << (begin ? "with" : "without") << " JS_BeginFreeRuntime";
    EXPECT_EQ(counted.live, 0) << (begin ? "with" : "without") << " JS_BeginFreeRuntime";
  }
}

// Patch 0021: with JS_BeginFreeRuntime, the garbage JS_FreeRuntime frees as
// one cycle is marked as the collector marks it. A WeakMap freed after its
// keys (their structures kept while weakly held) dropped its last weak
// reference to each and freed the key's structure, which the cycle's
// freeing still held in a list and then read and freed again (a double
// free of every such key: a worker whose router kept a WeakMap crashed the
// process when it was destroyed, or freed a block twice unnoticed when the
// key had been carved from its arena). Every block is freed exactly once.
struct FreedOnce {
  std::unordered_set<void*> live;
  long twice = 0;
  // Frees every block still live, as an owner dropping a runtime whole.
  void FreeAll() {
    for (void* p : live) std::free(p);
    live.clear();
  }
};
void* FreedOnceMalloc(JSMallocState* s, size_t size) {
  void* p = std::malloc(size);
  if (p != nullptr) static_cast<FreedOnce*>(s->opaque)->live.insert(p);
  return p;
}
void FreedOnceFree(JSMallocState* s, void* p) {
  if (p == nullptr) return;
  auto* f = static_cast<FreedOnce*>(s->opaque);
  if (f->live.erase(p) == 0) {
    ++f->twice;  // (not given to free() again)
    return;
  }
  std::free(p);
}
void* FreedOnceRealloc(JSMallocState* s, void* p, size_t size) {
  if (p == nullptr) return FreedOnceMalloc(s, size);
  if (size == 0) {
    FreedOnceFree(s, p);
    return nullptr;
  }
  auto* f = static_cast<FreedOnce*>(s->opaque);
  f->live.erase(p);
  void* q = std::realloc(p, size);
  f->live.insert(q != nullptr ? q : p);
  return q;
}
size_t FreedOnceUsable(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }
const JSMallocFunctions kFreedOnce = {FreedOnceMalloc, FreedOnceFree, FreedOnceRealloc, FreedOnceUsable, nullptr};

TEST(QuickJsPatches, FreeingARuntimeFreesAWeakMapsKeysOnce) {
  for (bool begin : {false, true}) {
    FreedOnce freed;
    JSRuntime* rt = JS_NewRuntime2(&kFreedOnce, &freed);
    ASSERT_NE(rt, nullptr);
    JSContext* ctx = JS_NewContext(rt);
    ASSERT_NE(ctx, nullptr);
    // Keys made before the WeakMap (so freed before it), held by an array
    // and a Map too, with values of every kind.
    EXPECT_EQ(EvalToString(ctx, R"js(
      const keys = Array.from({ length: 200 }, (_, i) => ({ i }));
      const m = new Map(keys.map((k) => [k, k.i]));
      const w = new WeakMap(keys.map((k, i) => [k, i % 3 === 0 ? i : i % 3 === 1 ? { back: k } : "v" + i]));
      const ws = new WeakSet(keys.slice(50));
      const refs = keys.slice(100).map((k) => new WeakRef(k));
      globalThis.all = { keys, m, w, ws, refs };
      all.self = all;
      [w.get(keys[3]), ws.has(keys[60]), refs.length].join();
    )js"),
              "3,true,100");
    if (begin) JS_BeginFreeRuntime(rt);
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
    EXPECT_EQ(freed.twice, 0) << (begin ? "with" : "without") << " JS_BeginFreeRuntime";
    EXPECT_EQ(freed.live.size(), 0u) << (begin ? "with" : "without") << " JS_BeginFreeRuntime";
  }
}

// Patch 0022: JS_FinalizeExternals runs, once each, the finalizers of the
// owner's classes (objects in cycles, young or old, held weakly, and one
// whose finalizer frees a value holding another such object) and array
// buffers' free functions that are not QuickJS's own; it frees no block
// but what those finalizers free. The owner then frees the rest whole. A
// runtime that never made such an object is not walked at all.
namespace {
int outside_finalized = 0;
int outside_buffers_freed = 0;
JSClassID holder_class = 0;
void CountOutside(JSRuntime*, JSValue) { ++outside_finalized; }
// A Holder's opaque is a heap value holding a JSValue (as a C++ object
// owning a callback would).
void FreeHolder(JSRuntime* rt, JSValue val) {
  ++outside_finalized;
  auto* held = static_cast<JSValue*>(JS_GetOpaque(val, holder_class));
  if (held == nullptr) return;
  JS_FreeValueRT(rt, *held);
  delete held;
}
void FreeOutsideBuffer(JSRuntime*, void*, void* data) {
  ++outside_buffers_freed;
  std::free(data);
}
}  // namespace

TEST(QuickJsPatches, FinalizeExternalsRunsOnlyWhatReachesOutsideOnce) {
  FreedOnce freed;
  JSRuntime* rt = JS_NewRuntime2(&kFreedOnce, &freed);
  ASSERT_NE(rt, nullptr);
  JSContext* ctx = JS_NewContext(rt);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(EvalToString(ctx, "globalThis.plain = [new ArrayBuffer(64), new Uint8Array(8), {a: [1]}]; 'ok'"), "ok");
  const JSClassID id = NewFinalizedClass(rt, "Outside", CountOutside);
  holder_class = NewFinalizedClass(rt, "Holder", FreeHolder);
  ASSERT_TRUE(id != 0 && holder_class != 0);
  JSValue global = JS_GetGlobalObject(ctx);
  JSValue made = JS_NewArray(ctx);
  for (uint32_t i = 0; i < 300; i++) JS_SetPropertyUint32(ctx, made, i, JS_NewObjectClass(ctx, static_cast<int>(id)));
  // Holders each holding one of the objects (by their own reference).
  JSValue holders = JS_NewArray(ctx);
  for (uint32_t i = 0; i < 10; i++) {
    JSValue h = JS_NewObjectClass(ctx, static_cast<int>(holder_class));
    JS_SetOpaque(h, new JSValue(JS_GetPropertyUint32(ctx, made, i * 7)));
    JS_SetPropertyUint32(ctx, holders, i, h);
  }
  JSValue buffers = JS_NewArray(ctx);
  for (uint32_t i = 0; i < 5; i++) {
    auto* data = static_cast<uint8_t*>(std::malloc(32));
    JS_SetPropertyUint32(ctx, buffers, i, JS_NewArrayBuffer(ctx, data, 32, FreeOutsideBuffer, nullptr, 0));
  }
  JS_SetPropertyStr(ctx, global, "made", made);
  JS_SetPropertyStr(ctx, global, "holders", holders);
  JS_SetPropertyStr(ctx, global, "buffers", buffers);
  JS_FreeValue(ctx, global);
  EXPECT_EQ(EvalToString(ctx, R"js(
    globalThis.keep = [];
    const wm = new WeakMap();
    made.forEach((o, i) => {
      if (i % 3 === 0) { o.self = o; keep.push({ o }); }
      else if (i % 3 === 1) { const f = () => o; o.f = f; keep.push(f); }
      else { wm.set(o, { back: o }); keep.push(new WeakRef(o), o); }
    });
    keep.push(wm, holders, new Uint8Array(buffers[0]));
    made = holders = null;
    "ok";
  )js"),
            "ok");
  JS_RunGC(rt);
  EXPECT_EQ(EvalToString(ctx, "keep.push({ late: [keep[0], keep[1]] }); 'ok'"), "ok");
  outside_finalized = 0;
  outside_buffers_freed = 0;
  const size_t live_before = freed.live.size();
  JS_FinalizeExternals(rt);
  EXPECT_EQ(outside_finalized, 310);
  EXPECT_EQ(outside_buffers_freed, 5);
  EXPECT_EQ(freed.twice, 0);
  EXPECT_EQ(freed.live.size(), live_before) << "no block of the runtime's is freed";
  freed.FreeAll();  // (the owner frees the rest whole)

  // Nothing of the owner's: QuickJS's own finalizers are not run (its
  // array buffers' data, freed by js_array_buffer_free, stays).
  FreedOnce plain_freed;
  JSRuntime* plain_rt = JS_NewRuntime2(&kFreedOnce, &plain_freed);
  ASSERT_NE(plain_rt, nullptr);
  JSContext* plain_ctx = JS_NewContext(plain_rt);
  EXPECT_EQ(EvalToString(plain_ctx, "globalThis.x = [new ArrayBuffer(64), new Uint8Array(8), {a: [1]}]; 'ok'"), "ok");
  const size_t plain_live = plain_freed.live.size();
  JS_FinalizeExternals(plain_rt);
  EXPECT_EQ(plain_freed.live.size(), plain_live);
  plain_freed.FreeAll();
}

// Patch 0017: a module namespace's names are sorted by comparing the atoms'
// strings in place: the order is still the spec's, by UTF-16 code units (a
// name outside the BMP after one inside it).
TEST(QuickJsPatches, ModuleNamespaceNamesAreInCodeUnitOrder) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  const std::string src = R"JS(
    const v = 1;
    export { v as b, v as a, v as B, v as é, v as 𝑥, v as ab, v as _, v as $, v as ÿ };
    export default v;
  )JS";
  JSValue mod = JS_Eval(ctx.get(), src.c_str(), src.size(), "names", JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
  ASSERT_FALSE(JS_IsException(mod));
  auto* m = static_cast<JSModuleDef*>(JS_VALUE_GET_PTR(mod));
  JSValue done = JS_EvalFunction(ctx.get(), mod);
  ASSERT_FALSE(JS_IsException(done));
  JS_FreeValue(ctx.get(), done);
  JSValue ns = JS_GetModuleNamespace(ctx.get(), m);
  ASSERT_FALSE(JS_IsException(ns));
  JSValue global = JS_GetGlobalObject(ctx.get());
  JS_SetPropertyStr(ctx.get(), global, "ns", ns);
  JS_FreeValue(ctx.get(), global);
  EXPECT_EQ(EvalToString(ctx.get(), "Reflect.ownKeys(ns).map(String).join(' ')"),
            "$ B _ a ab b default é ÿ 𝑥 Symbol(Symbol.toStringTag)");
}

// Patches 0015 and 0018: every allocation a function's making can fail at,
// failed in turn (the Nth of the operation, for N = 0, 1, ... until it needs
// no more: closures plain, async and constructing; Function.prototype.bind;
// C functions and objects made on first read): the operation throws or
// succeeds, the runtime goes on, and every block comes back when it is
// freed. Upstream QuickJS took the process down in two of them (a tenant's
// script at its heap limit could): bind() freed a bound function without its
// record and the finalizer read through a null pointer; an object made on
// first read went on with a null atom after a failed one and aborted on the
// second. Patch 0018.
TEST(QuickJsPatches, MakingAFunctionFailsCleanlyAtEveryAllocation) {
  struct Op {
    const char* source;
    // False where a refusal may leave the runtime without a built-in: a
    // property made on first read that failed to be made stays undefined
    // (QuickJS's JS_AutoInitProperty; HBF destroys a worker that hit its
    // heap limit, so such a runtime never serves again).
    bool again;
  };
  const Op kOps[] = {
      {"(x) => () => x", true},  // an arrow function over a closure variable
      {"(x) => async function named(a, b) { return x; }", true},
      {"(x) => function Ctor(a) { this.a = x; }", true},  // with a lazy prototype
      {"(Math.max.bind, (x) => Math.max.bind(null, x, 2))", true},  // (both made before)
      {"(x) => Object.values(Math).length + Object.values(String.prototype).length + x", false},  // C functions made on first read
  };
  for (const auto& [op, again_ok] : kOps) {
    int refused_somewhere = 0;
    bool walked_all = false;
    for (long n = 0; n < 2000 && !walked_all; n++) {
      Counted failing;
      JSRuntime* rt = JS_NewRuntime2(&kCounted, &failing);
      ASSERT_NE(rt, nullptr);
      JSContext* ctx = JS_NewContext(rt);
      ASSERT_NE(ctx, nullptr);
      const std::string src = std::string("(") + op + ")";
      JSValue make = JS_Eval(ctx, src.c_str(), src.size(), "<op>", JS_EVAL_TYPE_GLOBAL);
      ASSERT_FALSE(JS_IsException(make)) << op;
      JSValue arg = JS_NewInt32(ctx, 7);
      failing.left = n;
      JSValue made = JS_Call(ctx, make, JS_UNDEFINED, 1, &arg);
      const bool refused = failing.refused != 0;
      failing.left = -1;
      if (JS_IsException(made)) {
        JS_FreeValue(ctx, JS_GetException(ctx));
        EXPECT_TRUE(refused) << op << " at " << n;
      }
      // The runtime goes on: the same operation again, nothing refused.
      JSValue again = JS_Call(ctx, make, JS_UNDEFINED, 1, &arg);
      if (again_ok) EXPECT_FALSE(JS_IsException(again)) << op << " at " << n;
      if (JS_IsException(again)) JS_FreeValue(ctx, JS_GetException(ctx));
      JS_FreeValue(ctx, again);
      JS_FreeValue(ctx, made);
      JS_FreeValue(ctx, make);
      JS_FreeContext(ctx);
      JS_FreeRuntime(rt);
      EXPECT_EQ(failing.live, 0) << op << " at " << n;
      if (refused) {
        ++refused_somewhere;
      } else {
        walked_all = true;  // the operation made all it needed
      }
    }
    EXPECT_GT(refused_somewhere, 0) << op;
    EXPECT_TRUE(walked_all) << op;
  }
}

namespace {
// A script whose functions name many atoms (properties, strings, variables,
// nested closures, a class) and leave nothing behind in the global object.
constexpr const char* kSharedScript = R"JS(
  (function () {
    class Point { constructor(x, y) { this.alpha = x; this.beta = y; } sum() { return this.alpha + this.beta; } }
    const gamma = (o) => o.delta + "epsilon" + [1, 2, 3].map((k) => k * o.zeta).join(",");
    const table = { iota: 1, kappa: 2, lambda: { mu: "nu" } };
    let out = gamma({ delta: "d", zeta: 2 }) + new Point(3, 4).sum();
    for (const key of Object.keys(table)) out += ":" + key;
    return out + JSON.stringify(table.lambda);
  })()
)JS";
constexpr const char* kSharedResult = R"(depsilon2,4,67:iota:kappa:lambda{"mu":"nu"})";

// `source` compiled once, serialized as JS_WriteObject writes bytecode.
std::string ScriptBytecode(const char* source) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  JSValue fn = JS_Eval(ctx.get(), source, std::strlen(source), "<shared>",
                       JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
  size_t size = 0;
  uint8_t* buf = JS_WriteObject(ctx.get(), &size, fn, JS_WRITE_OBJ_BYTECODE);
  std::string out(reinterpret_cast<const char*>(buf), size);
  js_free(ctx.get(), buf);
  JS_FreeValue(ctx.get(), fn);
  return out;
}

struct SharedRun {
  std::string result;
  int used = -2;
  int64_t code_bytes = -1;   // the runtime's own function code (JS_ComputeMemoryUsage)
  int64_t atoms_before = -1;
  int64_t atoms_after = -1;  // once the script and its functions are gone
  long live_after_free = -1;
};

// Reads `bytecode` into a fresh runtime (after making `extra_atoms` atoms of
// its own, which shifts its numbering) with `shared`, runs it, frees it all.
SharedRun ReadShared(const std::string& bytecode, JSSharedBytecode* const* shared, int count,
                     JSSharedBytecode** made, int extra_atoms, bool begin_free) {
  SharedRun run;
  Counted counted;
  JSRuntime* rt = JS_NewRuntime2(&kCounted, &counted);
  JSContext* ctx = JS_NewContext(rt);
  for (int i = 0; i < extra_atoms; i++) {
    // Held until the runtime goes: they take the numbers the script's would.
    (void)JS_NewAtom(ctx, ("own atom " + std::to_string(i)).c_str());
  }
  JSMemoryUsage usage;
  JS_RunGC(rt);
  JS_ComputeMemoryUsage(rt, &usage);
  run.atoms_before = usage.atom_count;
  JSValue fn = JS_ReadObjectShared(ctx, reinterpret_cast<const uint8_t*>(bytecode.data()), bytecode.size(),
                                   JS_READ_OBJ_BYTECODE, shared, count, &run.used, made);
  if (JS_IsException(fn)) {
    run.result = "read failed";
  } else {
    JS_ComputeMemoryUsage(rt, &usage);
    run.code_bytes = usage.js_func_code_size;
    JSValue v = JS_EvalFunction(ctx, fn);  // (takes fn)
    const char* s = JS_ToCString(ctx, v);
    run.result = s != nullptr ? s : "(no string)";
    JS_FreeCString(ctx, s);
    JS_FreeValue(ctx, v);
  }
  JS_RunGC(rt);
  JS_ComputeMemoryUsage(rt, &usage);
  run.atoms_after = usage.atom_count;
  if (begin_free) JS_BeginFreeRuntime(rt);
  JS_FreeContext(ctx);
  JS_FreeRuntime(rt);
  run.live_after_free = counted.live;
  return run;
}
// Patch 0020: objects are hashed in shapes and Map keys by a number their
// runtime gives them in creation order, not by their address, so a runtime
// built twice is laid out the same (js/worker_image.h copies one). Maps and
// sets keyed by objects, weak ones too, must behave as before through
// growth, deletion and re-insertion, and objects of one layout made from
// many prototypes must keep their own properties.
TEST(QuickJsPatches, ObjectsHashedByNumberKeepMapsAndShapesRight) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  const char* src = R"JS(
    const keys = [];
    for (let i = 0; i < 5000; i++) keys.push({ i });
    const map = new Map(), set = new Set(), weak = new WeakMap();
    keys.forEach((k, i) => { map.set(k, i); set.add(k); weak.set(k, -i); });
    let wrong = 0;
    keys.forEach((k, i) => { if (map.get(k) !== i || !set.has(k) || weak.get(k) !== -i) wrong++; });
    for (let i = 0; i < 5000; i += 2) { map.delete(keys[i]); set.delete(keys[i]); weak.delete(keys[i]); }
    keys.forEach((k, i) => {
      const kept = i % 2 === 1;
      if (map.has(k) !== kept || set.has(k) !== kept || weak.has(k) !== kept) wrong++;
    });
    if (map.has({ i: 1 }) || [...map.keys()][0] !== keys[1] || map.size !== 2500) wrong++;
    // One layout over many prototypes: each object's shape is found by its
    // prototype's number.
    const protos = [];
    for (let i = 0; i < 300; i++) protos.push({ tag: i });
    const objs = protos.map((p, i) => { const o = Object.create(p); o.a = i; o.b = -i; return o; });
    objs.forEach((o, i) => { if (o.tag !== i || o.a !== i || o.b !== -i || Object.getPrototypeOf(o) !== protos[i]) wrong++; });
    "wrong " + wrong;
  )JS";
  EXPECT_EQ(EvalToString(ctx.get(), src), "wrong 0");
}

// Patch 0024: JS_MapForEachEntry walks a Map's live entries in insertion
// order (deleted ones skipped, a re-set key where it first was), stops where
// its function says, and refuses what is not a Map.
TEST(QuickJsPatches, MapEntriesAreReadFromCInOrder) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr ctx(JS_NewContext(rt.get()));
  const char* src = R"JS(
    const m = new Map([["a", 1], ["b", 2], ["c", 3], ["d", 4]]);
    m.delete("b");
    m.set("a", 10);
    m.set("e", 5);
    m;
  )JS";
  JSValue map = JS_Eval(ctx.get(), src, std::strlen(src), "<map>", JS_EVAL_TYPE_GLOBAL);
  ASSERT_FALSE(JS_IsException(map));
  struct Seen {
    std::string text;
    int stop_after = -1;
  } seen;
  auto collect = [](JSContext* c, JSValueConst key, JSValueConst value, void* opaque) -> int {
    auto* s = static_cast<Seen*>(opaque);
    const char* k = JS_ToCString(c, key);
    int32_t v = 0;
    JS_ToInt32(c, &v, value);
    s->text += std::string(k) + "=" + std::to_string(v) + " ";
    JS_FreeCString(c, k);
    return --s->stop_after == 0 ? 7 : 0;
  };
  EXPECT_EQ(JS_MapForEachEntry(ctx.get(), map, collect, &seen), 0);
  EXPECT_EQ(seen.text, "a=10 c=3 d=4 e=5 ");
  seen = Seen{"", 2};
  EXPECT_EQ(JS_MapForEachEntry(ctx.get(), map, collect, &seen), 7);
  EXPECT_EQ(seen.text, "a=10 c=3 ");
  JSValue set = JS_Eval(ctx.get(), "new Set([1])", 12, "<set>", JS_EVAL_TYPE_GLOBAL);
  EXPECT_EQ(JS_MapForEachEntry(ctx.get(), set, collect, &seen), -1);
  EXPECT_EQ(JS_MapForEachEntry(ctx.get(), JS_NewInt32(ctx.get(), 1), collect, &seen), -1);
  JS_FreeValue(ctx.get(), set);
  JS_FreeValue(ctx.get(), map);
}

// Patch 0025: an object following a chain of shapes other objects made
// (patch 0005) has its property array grown once, to the size the chain
// ahead needs. Objects that follow it, stop early, leave it, delete from it
// or grow past it must all keep every property right.
TEST(QuickJsPatches, PropertyArraysGrownAheadHoldEveryProperty) {
  RuntimePtr rt(JS_NewRuntime());
  JS_SetShapeTransitions(rt.get(), 1);
  ContextPtr ctx(JS_NewContext(rt.get()));
  const char* src = R"JS(
    function make(n, tag) {
      const o = {};
      for (let i = 0; i < n; i++) o["p" + i] = tag * 1000 + i;
      return o;
    }
    let wrong = 0;
    const check = (o, n, tag) => {
      for (let i = 0; i < n; i++) if (o["p" + i] !== tag * 1000 + i) wrong++;
      if (Object.keys(o).length !== n) wrong++;
    };
    const all = [];
    for (let round = 0; round < 50; round++) {
      const full = make(40, round);            // the chain's whole length
      const short = make(5 + (round % 7), round); // stops early on it
      const off = make(10, round);
      off.other = round;                        // leaves it
      off.p3 = -1;                              // an update, not an add
      const gone = make(20, round);
      delete gone.p19;                          // deletes from it
      gone.p19 = round * 1000 + 19;
      const past = make(60, round);             // grows past the chain ahead
      all.push([full, 40], [short, 5 + (round % 7)], [gone, 20], [past, 60]);
      for (let i = 0; i < 10; i++) if (off["p" + i] !== (i === 3 ? -1 : round * 1000 + i)) wrong++;
      if (off.other !== round || Object.keys(off).length !== 11) wrong++;
      all.push([full, 40]);
    }
    all.forEach(([o, n], k) => check(o, n, Math.floor(k / 5)));
    class Req {
      constructor(i) {
        this.a = i; this.b = i + 1; this.c = i + 2; this.d = i + 3; this.e = i + 4; this.f = i + 5;
        this.g = i + 6; this.h = i + 7; this.i = i + 8; this.j = i + 9; this.k = i + 10; this.l = i + 11;
      }
    }
    const reqs = [];
    for (let i = 0; i < 200; i++) reqs.push(new Req(i));
    reqs.forEach((r, i) => { if (r.a !== i || r.l !== i + 11 || Object.keys(r).length !== 12) wrong++; });
    "wrong " + wrong;
  )JS";
  EXPECT_EQ(EvalToString(ctx.get(), src), "wrong 0");
}

// Patch 0026: JS_ReserveShapeHash grows the shape hash ahead of need, so
// that the shapes made afterwards fit without a resize (a resize allocates
// the doubled table); shapes made before it are still found (objects of
// their layout read back), and asking for less than the table holds is a
// no-op.
TEST(QuickJsPatches, ReservedShapeHashTakesLaterShapesWithoutAResize) {
  constexpr const char* kBefore = R"js(
    globalThis.early = [];
    for (let i = 0; i < 40; i++) early.push({ ["e" + i]: i, tail: -i });
    "ok";
  )js";
  // ~600 new layouts: far more than a fresh runtime's table holds
  constexpr const char* kAfter = R"js(
    const late = [];
    for (let i = 0; i < 600; i++) late.push({ ["l" + i]: i, tail: i });
    const again = [];
    for (let i = 0; i < 40; i++) again.push({ ["e" + i]: 2 * i, tail: i });
    let wrong = 0;
    late.forEach((o, i) => { if (o["l" + i] !== i || o.tail !== i || Object.keys(o).length !== 2) wrong++; });
    early.forEach((o, i) => { if (o["e" + i] !== i || o.tail !== -i) wrong++; });
    again.forEach((o, i) => { if (o["e" + i] !== 2 * i || o.tail !== i || Object.keys(o)[0] !== "e" + i) wrong++; });
    "wrong " + wrong;
  )js";
  constexpr size_t kTable = 2048 * sizeof(void*);  // 1,024 shapes' worth
  for (bool reserve : {false, true}) {
    Counted largest;
    JSRuntime* rt = JS_NewRuntime2(&kCounted, &largest);
    ASSERT_NE(rt, nullptr);
    JSContext* ctx = JS_NewContext(rt);
    ASSERT_NE(ctx, nullptr);
    EXPECT_EQ(EvalToString(ctx, kBefore), "ok");
    if (reserve) {
      EXPECT_EQ(JS_ReserveShapeHash(rt, 1024), 0);
      EXPECT_EQ(JS_ReserveShapeHash(rt, 10), 0) << "less than it holds: nothing to do";
    }
    largest.watching = true;
    EXPECT_EQ(EvalToString(ctx, kAfter), "wrong 0") << (reserve ? "reserved" : "not reserved");
    largest.watching = false;
    if (reserve) {
      EXPECT_LT(largest.largest, kTable) << "no table allocated after the reservation";
    } else {
      EXPECT_GE(largest.largest, kTable) << "without it, the table is resized (the control)";
    }
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
  }
}

// Patch 0028: JS_PauseShapeTransitions turns transitions off and back on
// without releasing the chains kept so far (a worker image's templates keep
// a request's chains, and a bind's loading pauses): the next object of a
// kept layout then makes no shape, while objects made during the pause
// keep none. JS_SetShapeTransitions, the control, releases them: the same
// object makes its chain again.
TEST(QuickJsPatches, PausedShapeTransitionsKeepTheChainsForTheNextObject) {
  constexpr const char* kLayout = R"js(
    globalThis.make = () => { const o = {}; o.alpha = 1; o.beta = 2; o.gamma = 3; o.delta = 4; return o; };
    make();  // (dies at once: its chain is kept)
    "ok";
  )js";
  const auto hashed_shapes = [](JSRuntime* rt) {
    JSMemoryUsage usage;
    JS_ComputeMemoryUsage(rt, &usage);
    return usage.shape_count;
  };
  for (const bool pause : {true, false}) {
    RuntimePtr rt(JS_NewRuntime());
    ContextPtr ctx(JS_NewContext(rt.get()));
    ASSERT_NE(ctx, nullptr);
    JS_SetShapeTransitions(rt.get(), 1);
    ASSERT_EQ(EvalToString(ctx.get(), kLayout), "ok");
    if (pause) {
      JS_PauseShapeTransitions(rt.get(), 1);
    } else {
      JS_SetShapeTransitions(rt.get(), 0);
    }
    // Made while off: grown in place, nothing kept (the same layout too).
    ASSERT_EQ(EvalToString(ctx.get(), "globalThis.loaded = { x: 1 }; loaded.y = 2; make(); 'ok'"), "ok");
    if (pause) {
      JS_PauseShapeTransitions(rt.get(), 0);
    } else {
      JS_SetShapeTransitions(rt.get(), 1);
    }
    const int64_t before = hashed_shapes(rt.get());
    ASSERT_EQ(EvalToString(ctx.get(), "globalThis.kept = make(); kept.gamma + kept.delta"), "7");
    const int64_t made = hashed_shapes(rt.get()) - before;
    if (pause) {
      EXPECT_EQ(made, 0) << "the kept chain was found step by step";
    } else {
      EXPECT_GE(made, 3) << "switched: the chain was released and made again (the control)";
    }
    ASSERT_EQ(EvalToString(ctx.get(), "Object.keys(kept).join()"), "alpha,beta,gamma,delta");
  }
}

// Patch 0020: JS_SetRandomSeed sets Math.random's state: the same seed, the
// same numbers (a copied worker is given a fresh one).
// Patch 0029: `&&=`, `||=` and `??=` on an identifier in strict code read,
// test and assign it by name: no object is made per execution (QuickJS made
// a reference object each time: 12,021 allocations here), with the
// language's semantics, one of which upstream missed: a const that is not
// assigned (`k ??= 2` with k = 1) is not an error (it threw "'k' is
// read-only" when the reference was made). Sloppy code keeps the reference
// form (a `with` object may change what a name resolves to).
TEST(QuickJsPatches, LogicalAssignmentToAVariableMakesNoReferenceObject) {
  Counted counted;
  RuntimePtr rt(JS_NewRuntime2(&kCounted, &counted));
  ContextPtr ctx(JS_NewContext(rt.get()));
  ASSERT_EQ(EvalToString(ctx.get(), R"JS(
    globalThis.loop = (function () {
      "use strict";
      let a = 1, b = 0, c = null, d;
      return () => {
        for (let i = 0; i < 1000; i++) { a ??= 2; b ||= 0; c &&= 1; d ??= i; }
        return [a, b, c, d].join();
      };
    })();
    loop();
  )JS"), "1,0,,0");
  counted.left = 1L << 40;
  EXPECT_EQ(EvalToString(ctx.get(), "loop()"), "1,0,,0");
  const long made = (1L << 40) - counted.left;
  counted.left = -1;
  EXPECT_LT(made, 50) << "allocations for 4,000 logical assignments";

  const char* strict_cases = R"JS(
    (function () {
      "use strict";
      const out = [];
      let calls = 0;
      const f = () => (++calls, "f");
      let a; out.push(a ??= f(), a ??= f(), calls);
      let b = 0; out.push(b ||= 7, b ||= f(), calls);
      let c = 1; out.push(c &&= "c", c &&= 0, c &&= f(), calls);
      const k = 1; out.push(k ??= 2, k || (k ||= 3));
      try { const n = null; n ??= 2; out.push("no error"); } catch (e) { out.push(e.constructor.name); }
      try { (() => { t ??= 1; let t; })(); out.push("no error"); } catch (e) { out.push(e.constructor.name); }
      let v; const set = () => (v ??= 5); set(); v ??= 6; out.push(v);
      globalThis.gv = null; gv ??= 3; out.push(globalThis.gv);
      try { undeclaredX ??= 1; out.push("no error"); } catch (e) { out.push(e.constructor.name); }
      let fn; fn ??= function () {}; let ar; ar ||= () => 1; out.push(fn.name, ar.name);
      let p = 1; (p) ??= 2; out.push(p);
      return out.join();
    })()
  )JS";
  EXPECT_EQ(EvalToString(ctx.get(), strict_cases), "f,f,1,7,7,1,c,0,0,1,1,1,TypeError,ReferenceError,5,3,ReferenceError,fn,ar,1");
  for (const char* bad : {"(function () { 'use strict'; arguments ??= 1; })", "(function () { 'use strict'; eval ||= 1; })",
                          "(function () { 'use strict'; this ??= 1; })"}) {
    EXPECT_EQ(EvalToString(ctx.get(), bad).rfind("SyntaxError", 0), 0u) << bad;
  }
  // Sloppy code keeps the reference form (a `with` object's binding).
  EXPECT_EQ(EvalToString(ctx.get(), "var o = { w: null }; with (o) { w ??= 4; w ||= 5; } o.w"), "4");
}

TEST(QuickJsPatches, RandomSeedSetsMathRandomsSequence) {
  RuntimePtr rt(JS_NewRuntime());
  ContextPtr a(JS_NewContext(rt.get()));
  ContextPtr b(JS_NewContext(rt.get()));
  const char* src = "[Math.random(), Math.random(), Math.random()].join()";
  JS_SetRandomSeed(a.get(), 42);
  JS_SetRandomSeed(b.get(), 42);
  const std::string first = EvalToString(a.get(), src);
  EXPECT_EQ(first, EvalToString(b.get(), src));
  JS_SetRandomSeed(b.get(), 43);
  EXPECT_NE(first, EvalToString(b.get(), src));
  JS_SetRandomSeed(b.get(), 0);  // (the state is never 0: it would stay 0)
  EXPECT_EQ(EvalToString(b.get(), "Math.random() !== Math.random()"), "true");
}

}  // namespace

// Patch 0019: a runtime that reads bytecode with the atom numbering another
// read made shared code with runs that code, not a copy of its own (its
// function code: 0 bytes), with the same result; every atom the code names is
// taken and given back once (the atom count ends where a usual read's does); its
// blocks all come back whether or not the runtime is freed with
// JS_BeginFreeRuntime; and the shared code outlives it. A runtime whose
// numbering differs reads its own copy and can make a second variant. Other
// bytecode that happens to name the same atoms is refused (an exception),
// never run with the shared code.
TEST(QuickJsPatches, SharedBytecodeIsUsedOnlyWithTheSameAtoms) {
  const std::string bytecode = ScriptBytecode(kSharedScript);
  JSSharedBytecode* first = nullptr;
  SharedRun maker = ReadShared(bytecode, nullptr, 0, &first, 0, false);
  ASSERT_EQ(maker.result, kSharedResult);
  EXPECT_EQ(maker.used, -1);
  ASSERT_NE(first, nullptr);
  EXPECT_GT(maker.code_bytes, 0);
  EXPECT_EQ(JS_SharedBytecodeSize(first), static_cast<size_t>(maker.code_bytes));
  // (what a read leaves among the atoms, as a usual read does: one here)
  const int64_t atoms_kept = maker.atoms_after - maker.atoms_before;
  EXPECT_EQ(maker.live_after_free, 0);

  for (bool begin_free : {false, true}) {
    SharedRun user = ReadShared(bytecode, &first, 1, nullptr, 0, begin_free);
    EXPECT_EQ(user.result, kSharedResult) << begin_free;
    EXPECT_EQ(user.used, 0) << begin_free;
    EXPECT_EQ(user.code_bytes, 0) << "the runtime copied the code it could share";
    EXPECT_EQ(user.atoms_after - user.atoms_before, atoms_kept) << "an atom the shared code names was not given back";
    EXPECT_EQ(user.live_after_free, 0) << begin_free;
  }

  // Another numbering: its own copy, and a variant of its own if asked.
  JSSharedBytecode* second = nullptr;
  SharedRun other = ReadShared(bytecode, &first, 1, &second, 3, false);
  EXPECT_EQ(other.result, kSharedResult);
  EXPECT_EQ(other.used, -1);
  EXPECT_GT(other.code_bytes, 0);
  EXPECT_EQ(other.live_after_free, 0);
  ASSERT_NE(second, nullptr);
  JSSharedBytecode* both[] = {first, second};
  SharedRun shifted = ReadShared(bytecode, both, 2, nullptr, 3, false);
  EXPECT_EQ(shifted.result, kSharedResult);
  EXPECT_EQ(shifted.used, 1);
  EXPECT_EQ(shifted.code_bytes, 0);
  EXPECT_EQ(shifted.atoms_after - shifted.atoms_before, other.atoms_after - other.atoms_before);

  // Bytecode other than the one it was made from, with the same atoms (so
  // the atom check passes): refused, not misread, and nothing leaks.
  const std::string made_from = ScriptBytecode("(function () { const o = { alpha: 1 }; return o.alpha; })()");
  const std::string read_now = ScriptBytecode("(function () { const o = { alpha: 1 }; return o.alpha + o.alpha; })()");
  JSSharedBytecode* small = nullptr;
  ASSERT_EQ(ReadShared(made_from, nullptr, 0, &small, 0, false).result, "1");
  ASSERT_NE(small, nullptr);
  SharedRun wrong = ReadShared(read_now, &small, 1, nullptr, 0, false);
  EXPECT_EQ(wrong.used, 0) << "the two scripts were meant to name the same atoms";
  EXPECT_EQ(wrong.result, "read failed");
  EXPECT_EQ(wrong.live_after_free, 0);
  EXPECT_EQ(ReadShared(read_now, nullptr, 0, nullptr, 0, false).result, "2");
  JS_FreeSharedBytecode(small);
  JS_FreeSharedBytecode(first);
  JS_FreeSharedBytecode(second);
}
