// Express 4 route patterns (hbf:router's pathToRegExp and Router, in
// src/js/builtin/router.js and router_path.js) compiled and matched inside
// QuickJS through HBF's engine (js_harness.h). Input: a pattern, '\n', a
// request path (bytes read as Latin-1 characters).
//
// Invariants: pathToRegExp returns a RegExp or throws a SyntaxError or
// TypeError (a tenant's mistake), never anything else; for a pattern without
// '(' '[' or '\\' there is one key per capture group; a pattern of only
// letters, digits, '/', '_' and '-' matches itself; Router accepts or refuses
// the pattern the same way, where it is declared (it may compile the
// pattern only when first needed), and an accepted route reads its RegExp.
// Matching a hostile path against a pattern is bounded by the engine's time
// limit (counted, not a failure: it is what the limit is for).
#include "js_harness.h"

namespace {

constexpr const char* kRouter = R"JS(
import { Router, pathToRegExp } from "hbf:router";

const isTenantMistake = (e) => e instanceof SyntaxError || e instanceof TypeError;
const groupCount = (re) => new RegExp(re.source + "|").exec("").length - 1;

function check(pattern, path) {
  let out = "";
  for (const options of [{}, { strict: true, end: false, sensitive: true }]) {
    const keys = [];
    let re;
    try {
      re = pathToRegExp(pattern, keys, options);
    } catch (e) {
      if (!isTenantMistake(e)) throw e;
      out += "refused;";
      continue;
    }
    if (!(re instanceof RegExp)) throw new Error("invariant: pathToRegExp returned no RegExp");
    if (!/[(\[\\]/.test(pattern) && groupCount(re) !== keys.length) {
      throw new Error(`invariant: ${groupCount(re)} capture groups but ${keys.length} keys`);
    }
    if (/^\/[A-Za-z0-9_\/-]*$/.test(pattern) && !re.test(pattern)) {
      throw new Error("invariant: a literal pattern does not match itself");
    }
    const m = re.exec(path);
    out += m ? "match:" + m.length + ";" : "nomatch;";
  }
  return out;
}

const router = new Router();
router.post("/fuzz", async (req, res) => {
  try {
    const text = String.fromCharCode(...req.rawBody);
    const nl = text.indexOf("\n");
    const pattern = nl < 0 ? text : text.slice(0, nl);
    const path = nl < 0 ? "/" : text.slice(nl + 1);
    let out = check(pattern, path);
    // As a tenant writes it: a route on a sub-router, and a request for the path.
    // Its pattern may be compiled only when first needed: a refusal must
    // still come where it is declared, exactly when pathToRegExp refuses it
    // with the same options (a route's: not strict, not sensitive, end).
    const inner = new Router();
    let routerRefused = false;
    try {
      inner.get(pattern, (q, s) => s.send("routed"));
    } catch (e) {
      if (!isTenantMistake(e)) throw e;
      routerRefused = true;
      out += "router-refused";
    }
    if (routerRefused !== out.startsWith("refused;")) {
      throw new Error("invariant: the router " + (routerRefused ? "refused" : "accepted") +
                      " a pattern pathToRegExp " + (routerRefused ? "accepts" : "refuses"));
    }
    if (!routerRefused && !(inner.stack[0].regexp instanceof RegExp)) {
      throw new Error("invariant: an accepted route has no RegExp");
    }
    res.send(out);
  } catch (e) {
    res.status(500).send("FAIL " + (e && e.stack ? e.message + "\n" + e.stack : String(e)));
  }
});
export default router;
)JS";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hbf::fuzz::JsHarness harness(kRouter);
  if (size > 4096) return 0;  // patterns are short; longer inputs only slow the search
  harness.Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
