// EJS templates (hbf:templates, src/js/builtin/templates.js) inside QuickJS
// through HBF's engine (js_harness.h). Input bytes, read as Latin-1
// characters, are used twice: as data interpolated by <%= %>, and as
// template source compiled and rendered.
//
// Invariants: <%= s %> renders exactly escapeXML(s), and escapeXML output
// has no < > " ' and no '&' that does not start one of its five entities;
// compiling any source either throws or gives a function whose result is a
// string (or throws); a template that loops or allocates forever is stopped
// by the engine's limits (counted, not a failure).
#include "js_harness.h"

namespace {

constexpr const char* kRouter = R"JS(
import { Router } from "hbf:router";
import templates from "hbf:templates";

const router = new Router();
router.post("/fuzz", (req, res) => {
  try {
    const text = String.fromCharCode(...req.rawBody);
    const escaped = templates.escapeXML(text);
    if (/[<>"']/.test(escaped) || /&(?!(amp|lt|gt|#34|#39);)/.test(escaped)) {
      throw new Error("invariant: escapeXML leaves markup");
    }
    const page = templates.render("<p><%= s %></p>", { s: text });
    if (page !== "<p>" + escaped + "</p>") throw new Error("invariant: <%= %> differs from escapeXML");

    let out = "refused";
    let fn = null;
    try {
      fn = templates.compile(text, { filename: "fuzz.ejs" });
    } catch (e) {
      if (typeof e !== "object" || e === null) throw new Error("invariant: compile threw a non-object");
    }
    if (fn !== null) {
      if (typeof fn !== "function") throw new Error("invariant: compile returned no function");
      try {
        const r = fn({ s: text, n: 1, list: [1, 2] });
        if (typeof r !== "string") throw new Error("invariant: a render gave a " + typeof r);
        out = "rendered";
      } catch (e) {
        if (e instanceof Error && e.message.startsWith("invariant")) throw e;
        out = "threw";
      }
    }
    templates.clearCache();
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
  if (size > 4096) return 0;  // templates this long only slow the search
  harness.Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
