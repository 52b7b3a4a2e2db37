// Scripts' `Intl` (hbf:intl over ICU, src/js/natives_intl.cpp) held to Node
// 20's output: each expected string is what `node` (v20.20) printed for the
// same expression with TZ=UTC, except where a comment says ICU 72 differs.
// Runs the real built-ins (hbf_js_builtins) in-process through JsEngine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "crypto/crypto.h"
#include "documents/document_store.h"
#include "henv/henv_manager.h"
#include "js/engine.h"

namespace hbf::js {
namespace {

class JsIntlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(crypto::InitializeCrypto());
    ::setenv("TZ", "UTC", 1);  // Node's default zone in these expectations
  }

  void SetUp() override {
    char tmpl[] = "/tmp/hbf-intl-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    HenvManagerOptions options;
    options.storage_dir = dir_;
    options.start_janitor = false;
    henvs_ = std::make_unique<HenvManager>(options);
    engine_ = std::make_unique<JsEngine>(EngineOptions{});
    auto henv = henvs_->Create("intltest", [](db::Database&) -> Status { return Ok{}; });
    ASSERT_TRUE(henv.ok());
    henv_ = *henv;
  }

  void TearDown() override {
    engine_.reset();
    henv_.reset();
    henvs_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The router's answer to GET /: String(expression), or "Name: message"
  // when it throws; "<code: message>" when the script fails outright.
  std::string Eval(const std::string& expression, int64_t memory_mb = 64) {
    const std::string router = R"js(
import { Router } from "hbf:router";
const router = new Router();
router.get("/", (req, res) => {
  let out;
  try { out = String()js" + expression + R"js(); } catch (e) { out = "THREW " + e.name + ": " + e.message; }
  res.send(out);
});
export default router;
)js";
    auto put = henv_->WithDb([&](db::Database& db) { return docs::PutDocument(db, "_system/router.js", "text/javascript", router); });
    EXPECT_TRUE(put.ok());
    henv_->RefreshCodeVersion();
    ScriptRequest request;
    request.method = "GET";
    request.path = "/";
    request.url = "/";
    request.ip = "127.0.0.1";
    request.protocol = "http";
    request.hostname = "intltest.localhost";
    ScriptLimits limits;
    limits.timeout_ms = 20000;
    limits.memory_bytes = memory_mb << 20;
    ScriptResult r = engine_->Run(*henv_, limits, request);
    if (r.kind != ScriptResult::Kind::kResponse) return "<" + r.error.code + ": " + r.error.message + ">";
    return r.response.body;
  }

  std::string dir_;
  std::unique_ptr<HenvManager> henvs_;
  std::unique_ptr<JsEngine> engine_;
  std::shared_ptr<Henv> henv_;
};

// Formatters hoarded by a script count against its heap limit (each holds
// an estimate of its ICU memory), so the worker ends in script_memory
// instead of the host growing (the allocation that fails may be the
// script's own, a catchable InternalError).
TEST_F(JsIntlTest, HoardedFormattersHitTheHeapLimit) {
  const std::string out = Eval(R"js((() => { const keep = []; for (let i = 0; i < 100000; i++) keep.push(new Intl.DateTimeFormat("en-US", {timeZone: "UTC"})); return keep.length; })())js", 32);
  // The allocation that fails is the script's (catchable) or the worker's.
  EXPECT_TRUE(out.find("out of memory") != std::string::npos || out.find("script_memory") != std::string::npos) << out;
}

TEST_F(JsIntlTest, HugeInputsAreRangeErrors) {
  EXPECT_EQ(Eval(R"js((() => { try { new Intl.DateTimeFormat("en-" + "a".repeat(100000)); } catch (e) { return e.name; } })())js"), "RangeError");
  EXPECT_EQ(Eval(R"js((() => { try { new Intl.DateTimeFormat("en", {timeZone: "x".repeat(100000)}); } catch (e) { return e.name; } })())js"), "RangeError");
  EXPECT_EQ(Eval(R"js((() => { try { new Intl.NumberFormat("en", {style: "currency", currency: "x".repeat(100000)}); } catch (e) { return e.name; } })())js"), "RangeError");
}

TEST_F(JsIntlTest, NativesRefuseForeignObjects) {
  EXPECT_EQ(Eval(R"js((() => { try { Intl.DateTimeFormat.prototype.formatToParts.call({}, 0); } catch (e) { return e.name; } })())js"), "TypeError");
  EXPECT_EQ(Eval(R"js((() => { try { Intl.NumberFormat.prototype.resolvedOptions.call(new Intl.DateTimeFormat()); } catch (e) { return e.name; } })())js"), "TypeError");
  EXPECT_EQ(Eval(R"js((() => { try { Intl.PluralRules("en"); } catch (e) { return e.name; } })())js"), "TypeError");
}

// Odd arguments to every entry point end in a JS exception or a value,
// never a crash: each call's outcome is reduced to its error name or "ok".
TEST_F(JsIntlTest, GarbageArgumentsNeverCrash) {
  const std::string out = Eval(R"js((() => {
    const values = [undefined, null, 0, -0, NaN, Infinity, -1e308, 1e308, 8.64e15 + 1, "", "en", "zz-ZZ", "en-u-ca-xxx",
      "de-DE-u-nu-thai-hc-h24", "\u0000", "\ud800", "a".repeat(300), Symbol("s"), {}, [], ["en", 5], [null],
      { toString() { throw new Error("boom"); } }, { get timeZone() { throw new Error("getter"); } }, 12345678901234567890n,
      new Date(NaN), new Date(0), () => 1, true];
    const calls = [
      (a, b) => new Intl.DateTimeFormat(a, b).format(b),
      (a, b) => new Intl.DateTimeFormat("en", { timeZone: a, hour: b }).formatToParts(0),
      (a, b) => new Intl.DateTimeFormat("en", { dateStyle: a, timeStyle: b, hourCycle: a }).resolvedOptions(),
      (a, b) => new Intl.DateTimeFormat("en", { fractionalSecondDigits: a, timeZoneName: b }).format(0),
      (a, b) => new Intl.NumberFormat(a, b).format(b),
      (a, b) => new Intl.NumberFormat("en", { style: "currency", currency: a, currencyDisplay: b }).formatToParts(a),
      (a, b) => new Intl.NumberFormat("en", { style: "unit", unit: a, maximumSignificantDigits: b }).format(1),
      (a, b) => new Intl.NumberFormat("en", { minimumFractionDigits: a, maximumFractionDigits: b, notation: "compact" }).format(a),
      (a, b) => new Intl.PluralRules(a, b).select(b),
      (a, b) => new Intl.RelativeTimeFormat(a, b).formatToParts(a, b),
      (a, b) => new Intl.Collator(a, b).compare(a, b),
      (a, b) => new Intl.ListFormat(a, b).format(a),
      (a, b) => new Intl.Locale(a, b).maximize().weekInfo,
      (a, b) => Intl.getCanonicalLocales(a),
      (a, b) => new Date(0).toLocaleString(a, b),
      (a, b) => (1.5).toLocaleString(a, b),
      (a, b) => "x".localeCompare(a, b),
    ];
    const seen = new Set();
    for (const call of calls) for (const a of values) for (const b of values) {
      try { call(a, b); seen.add("ok"); } catch (e) { seen.add(e instanceof Error ? e.name : typeof e); }
    }
    return [...seen].sort().join(",");
  })())js");
  EXPECT_EQ(out, "Error,RangeError,TypeError,ok");
}

TEST_F(JsIntlTest, NyFullLong) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat("en-US",{timeZone:"America/New_York",dateStyle:"full",timeStyle:"long"}).format(new Date(0)))js"),
            R"js(Wednesday, December 31, 1969 at 7:00:00 PM EST)js");
}

TEST_F(JsIntlTest, EnUsDefault) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat("en-US",{timeZone:"UTC"}).format(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45))))js"),
            R"js(3/10/2024)js");
}

TEST_F(JsIntlTest, EnUsTime) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat("en-US",{timeZone:"America/Los_Angeles",hour:"numeric",minute:"2-digit"}).format(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45))))js"),
            R"js(10:05 AM)js");
}

TEST_F(JsIntlTest, EnGbMedium) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat("en-GB",{timeZone:"Europe/London",dateStyle:"medium",timeStyle:"short"}).format(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45))))js"),
            R"js(10 Mar 2024, 17:05)js");
}

TEST_F(JsIntlTest, DeLong) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat("de-DE",{timeZone:"Europe/Berlin",weekday:"long",year:"numeric",month:"long",day:"numeric",hour:"2-digit",minute:"2-digit"}).format(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45))))js"),
            R"js(Sonntag, 10. März 2024 um 18:05)js");
}

TEST_F(JsIntlTest, FrFull) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat("fr-FR",{timeZone:"Europe/Paris",dateStyle:"full"}).format(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45))))js"),
            R"js(dimanche 10 mars 2024)js");
}

TEST_F(JsIntlTest, JaShort) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat("ja-JP",{timeZone:"Asia/Tokyo",dateStyle:"short",timeStyle:"short"}).format(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45))))js"),
            R"js(2024/03/11 2:05)js");
}

TEST_F(JsIntlTest, TzNames) {
  EXPECT_EQ(Eval(R"js(["short","long","shortOffset","longOffset"].map(t=>new Intl.DateTimeFormat("en-US",{timeZone:"Asia/Kolkata",hour:"numeric",timeZoneName:t}).format(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45)))).join("|"))js"),
            R"js(10 PM GMT+5:30|10 PM India Standard Time|10 PM GMT+5:30|10 PM GMT+05:30)js");
}

TEST_F(JsIntlTest, Parts) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(new Intl.DateTimeFormat("en-US",{timeZone:"America/New_York",hour12:false,year:"numeric",month:"2-digit",day:"2-digit",hour:"2-digit",minute:"2-digit",second:"2-digit",era:"short"}).formatToParts(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45)))))js"),
            R"js([{"type":"month","value":"03"},{"type":"literal","value":"/"},{"type":"day","value":"10"},{"type":"literal","value":"/"},{"type":"year","value":"2024"},{"type":"literal","value":" "},{"type":"era","value":"AD"},{"type":"literal","value":", "},{"type":"hour","value":"13"},{"type":"literal","value":":"},{"type":"minute","value":"05"},{"type":"literal","value":":"},{"type":"second","value":"09"}])js");
}

TEST_F(JsIntlTest, Fraction) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat("en-US",{timeZone:"UTC",minute:"2-digit",second:"2-digit",fractionalSecondDigits:3}).format(new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45))))js"),
            R"js(05:09.045)js");
}

TEST_F(JsIntlTest, Resolved) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(new Intl.DateTimeFormat("en-US",{timeZone:"asia/tokyo",month:"short",day:"numeric",hour:"numeric"}).resolvedOptions()))js"),
            R"js({"locale":"en-US","calendar":"gregory","numberingSystem":"latn","timeZone":"Asia/Tokyo","hourCycle":"h12","hour12":true,"month":"short","day":"numeric","hour":"numeric"})js");
}

TEST_F(JsIntlTest, ResolvedH23) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(new Intl.DateTimeFormat("en-US",{hourCycle:"h23",hour:"numeric",timeZone:"UTC"}).resolvedOptions()))js"),
            R"js({"locale":"en-US","calendar":"gregory","numberingSystem":"latn","timeZone":"UTC","hourCycle":"h23","hour12":false,"hour":"2-digit"})js");
}

TEST_F(JsIntlTest, ResolvedStyle) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(new Intl.DateTimeFormat("de",{dateStyle:"long",timeZone:"Etc/UTC"}).resolvedOptions()))js"),
            R"js({"locale":"de","calendar":"gregory","numberingSystem":"latn","timeZone":"UTC","dateStyle":"long"})js");
}

TEST_F(JsIntlTest, DefaultZone) {
  EXPECT_EQ(Eval(R"js(new Intl.DateTimeFormat().resolvedOptions().timeZone + " " + new Intl.DateTimeFormat().resolvedOptions().locale)js"),
            R"js(UTC en-US)js");
}

TEST_F(JsIntlTest, BadZone) {
  EXPECT_EQ(Eval(R"js((()=>{try{new Intl.DateTimeFormat("en-US",{timeZone:"Mars/Olympus"})}catch(e){return e.name+": "+e.message}})())js"),
            R"js(RangeError: Invalid time zone specified: Mars/Olympus)js");
}

TEST_F(JsIntlTest, BadOption) {
  EXPECT_EQ(Eval(R"js((()=>{try{new Intl.DateTimeFormat("en-US",{month:"longest"})}catch(e){return e.name+": "+e.message}})())js"),
            R"js(RangeError: Value longest out of range for Intl.DateTimeFormat options property month)js");
}

TEST_F(JsIntlTest, StyleConflict) {
  EXPECT_EQ(Eval(R"js((()=>{try{new Intl.DateTimeFormat("en-US",{dateStyle:"short",year:"numeric"})}catch(e){return e.name+": "+e.message}})())js"),
            R"js(TypeError: Can't set option year when dateStyle is used)js");
}

TEST_F(JsIntlTest, BadLocale) {
  EXPECT_EQ(Eval(R"js(["en_US","x","","a-b-c-d-e-f-g-h-i"].map(l=>{try{new Intl.DateTimeFormat(l);return "ok"}catch(e){return e.name+": "+e.message}}).join("|"))js"),
            R"js(RangeError: Incorrect locale information provided|RangeError: Incorrect locale information provided|RangeError: Incorrect locale information provided|RangeError: Incorrect locale information provided)js");
}

TEST_F(JsIntlTest, LocaleType) {
  EXPECT_EQ(Eval(R"js((()=>{try{new Intl.NumberFormat([5])}catch(e){return e.name+": "+e.message}})())js"),
            R"js(TypeError: Language ID should be string or object.)js");
}

TEST_F(JsIntlTest, InvalidDate) {
  EXPECT_EQ(Eval(R"js((()=>{try{new Intl.DateTimeFormat("en").format(NaN)}catch(e){return e.name+": "+e.message}})() + "|" + new Date(NaN).toLocaleString())js"),
            R"js(RangeError: Invalid time value|Invalid Date)js");
}

TEST_F(JsIntlTest, DateToLocale) {
  EXPECT_EQ(Eval(R"js([new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45)).toLocaleString("en-US",{timeZone:"UTC"}), new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45)).toLocaleDateString("en-US",{timeZone:"UTC"}), new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45)).toLocaleTimeString("en-US",{timeZone:"UTC"}), new Date(Date.UTC(2024, 2, 10, 17, 5, 9, 45)).toLocaleDateString("de-DE",{timeZone:"UTC",month:"long",day:"numeric"})].join("|"))js"),
            R"js(3/10/2024, 5:05:09 PM|3/10/2024|5:05:09 PM|10. März)js");
}

TEST_F(JsIntlTest, Numbers) {
  EXPECT_EQ(Eval(R"js([1234567.891.toLocaleString(), (1234567.891).toLocaleString("de-DE"), (0.256).toLocaleString("en-US",{style:"percent"}), (-5).toLocaleString("en",{signDisplay:"always"}), 12345678901234567890n.toLocaleString("en-US")].join("|"))js"),
            R"js(1,234,567.891|1.234.567,891|26%|-5|12,345,678,901,234,567,890)js");
}

TEST_F(JsIntlTest, Currency) {
  EXPECT_EQ(Eval(R"js([new Intl.NumberFormat("en-US",{style:"currency",currency:"USD"}).format(-1234.5), new Intl.NumberFormat("de-DE",{style:"currency",currency:"EUR"}).format(1234.5), new Intl.NumberFormat("ja-JP",{style:"currency",currency:"JPY"}).format(1234.5), new Intl.NumberFormat("en-US",{style:"currency",currency:"EUR",currencyDisplay:"name"}).format(2), new Intl.NumberFormat("en-US",{style:"currency",currency:"USD",currencySign:"accounting"}).format(-3)].join("|"))js"),
            R"js(-$1,234.50|1.234,50 €|￥1,235|2.00 euros|($3.00))js");
}

TEST_F(JsIntlTest, Compact) {
  EXPECT_EQ(Eval(R"js([999, 1234, 12345, 1234567, 1.5e9].map(n=>new Intl.NumberFormat("en",{notation:"compact"}).format(n)).join("|") + "|" + new Intl.NumberFormat("en",{notation:"compact",compactDisplay:"long"}).format(1234567))js"),
            R"js(999|1.2K|12K|1.2M|1.5B|1.2 million)js");
}

TEST_F(JsIntlTest, Scientific) {
  EXPECT_EQ(Eval(R"js([new Intl.NumberFormat("en",{notation:"scientific"}).format(123456), new Intl.NumberFormat("en",{notation:"engineering"}).format(123456)].join("|"))js"),
            R"js(1.235E5|123.456E3)js");
}

TEST_F(JsIntlTest, Digits) {
  EXPECT_EQ(Eval(R"js([new Intl.NumberFormat("en",{minimumFractionDigits:2}).format(1), new Intl.NumberFormat("en",{maximumFractionDigits:0}).format(2.5), new Intl.NumberFormat("en",{minimumIntegerDigits:3,useGrouping:false}).format(12345.6), new Intl.NumberFormat("en",{maximumSignificantDigits:2}).format(1234), new Intl.NumberFormat("en",{style:"unit",unit:"kilometer-per-hour",unitDisplay:"long"}).format(50)].join("|"))js"),
            R"js(1.00|3|12345.6|1,200|50 kilometers per hour)js");
}

TEST_F(JsIntlTest, NumberParts) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(new Intl.NumberFormat("en-US",{style:"currency",currency:"USD"}).formatToParts(-1234.5)))js"),
            R"js([{"type":"minusSign","value":"-"},{"type":"currency","value":"$"},{"type":"integer","value":"1"},{"type":"group","value":","},{"type":"integer","value":"234"},{"type":"decimal","value":"."},{"type":"fraction","value":"50"}])js");
}

TEST_F(JsIntlTest, NumberResolved) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(new Intl.NumberFormat("en-US",{style:"currency",currency:"usd"}).resolvedOptions()))js"),
            R"js({"locale":"en-US","numberingSystem":"latn","style":"currency","currency":"USD","currencyDisplay":"symbol","currencySign":"standard","minimumIntegerDigits":1,"minimumFractionDigits":2,"maximumFractionDigits":2,"useGrouping":"auto","notation":"standard","signDisplay":"auto","roundingMode":"halfExpand","roundingIncrement":1,"trailingZeroDisplay":"auto","roundingPriority":"auto"})js");
}

TEST_F(JsIntlTest, NumberErrors) {
  EXPECT_EQ(Eval(R"js([()=>new Intl.NumberFormat("en",{style:"currency"}), ()=>new Intl.NumberFormat("en",{maximumFractionDigits:101}), ()=>new Intl.NumberFormat("en",{style:"bogus"}), ()=>new Intl.NumberFormat("en",{currency:"US"})].map(f=>{try{f();return "ok"}catch(e){return e.name+": "+e.message}}).join("|"))js"),
            R"js(TypeError: Currency code is required with currency style.|RangeError: maximumFractionDigits value is out of range.|RangeError: Value bogus out of range for Intl.NumberFormat options property style|RangeError: Invalid currency code : US)js");
}

TEST_F(JsIntlTest, Plural) {
  EXPECT_EQ(Eval(R"js([0,1,2,5].map(n=>new Intl.PluralRules("en-US").select(n)).join(",") + "|" + [1,2,3,4,11,22].map(n=>new Intl.PluralRules("en-US",{type:"ordinal"}).select(n)).join(",") + "|" + JSON.stringify(new Intl.PluralRules("ar").resolvedOptions().pluralCategories))js"),
            R"js(other,one,other,other|one,two,few,other,other,two|["few","many","one","two","zero","other"])js");
}

TEST_F(JsIntlTest, Relative) {
  EXPECT_EQ(Eval(R"js([new Intl.RelativeTimeFormat("en").format(-2,"day"), new Intl.RelativeTimeFormat("en",{numeric:"auto"}).format(1,"day"), new Intl.RelativeTimeFormat("en",{style:"short"}).format(3,"months"), new Intl.RelativeTimeFormat("de",{numeric:"auto"}).format(-1,"week"), new Intl.RelativeTimeFormat("fr").format(5,"hour")].join("|"))js"),
            R"js(2 days ago|tomorrow|in 3 mo.|letzte Woche|dans 5 heures)js");
}

TEST_F(JsIntlTest, RelativeParts) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(new Intl.RelativeTimeFormat("en").formatToParts(1234.5,"second")))js"),
            R"js([{"type":"literal","value":"in "},{"type":"integer","value":"1","unit":"second"},{"type":"group","value":",","unit":"second"},{"type":"integer","value":"234","unit":"second"},{"type":"decimal","value":".","unit":"second"},{"type":"fraction","value":"5","unit":"second"},{"type":"literal","value":" seconds"}])js");
}

TEST_F(JsIntlTest, RelativeBadUnit) {
  EXPECT_EQ(Eval(R"js((()=>{try{new Intl.RelativeTimeFormat("en").format(1,"fortnight")}catch(e){return e.name+": "+e.message}})())js"),
            R"js(RangeError: Invalid unit argument for Intl.RelativeTimeFormat.prototype.format() 'fortnight')js");
}

TEST_F(JsIntlTest, Collator) {
  EXPECT_EQ(Eval(R"js([["a","b"],["a","B"],["ä","a"],["item10","item2"]].map(([a,b])=>new Intl.Collator("en").compare(a,b)).join(",") + "|" + new Intl.Collator("en",{numeric:true}).compare("item10","item2") + "|" + new Intl.Collator("en",{sensitivity:"base"}).compare("a","Á") + "|" + ["z","ä","a","Z"].sort(new Intl.Collator("de").compare).join("") + "|" + "a".localeCompare("B") + "|" + ["b","a","C"].sort((x,y)=>x.localeCompare(y)).join(""))js"),
            R"js(-1,-1,1,-1|1|0|aäzZ|-1|abC)js");
}

TEST_F(JsIntlTest, List) {
  EXPECT_EQ(Eval(R"js([new Intl.ListFormat("en").format(["a","b","c"]), new Intl.ListFormat("en",{type:"disjunction"}).format(["a","b"]), new Intl.ListFormat("de").format(["x","y","z"]), JSON.stringify(new Intl.ListFormat("en").formatToParts(["a","b"]))].join("|"))js"),
            R"js(a, b, and c|a or b|x, y und z|[{"type":"element","value":"a"},{"type":"literal","value":" and "},{"type":"element","value":"b"}])js");
}

TEST_F(JsIntlTest, Locale) {
  EXPECT_EQ(Eval(R"js((()=>{const l=new Intl.Locale("en-Latn-US-u-ca-gregory"); const m=new Intl.Locale("zh").maximize(); return [l.baseName,l.language,l.script,l.region,l.calendar,l.toString(),m.toString(),new Intl.Locale("en-Latn-US").minimize().toString(),JSON.stringify(new Intl.Locale("en-US").weekInfo),JSON.stringify(new Intl.Locale("de").weekInfo)].join("|")})())js"),
            R"js(en-Latn-US|en|Latn|US|gregory|en-Latn-US-u-ca-gregory|zh-Hans-CN|en|{"firstDay":7,"weekend":[6,7],"minimalDays":1}|{"firstDay":1,"weekend":[6,7],"minimalDays":4})js");
}

TEST_F(JsIntlTest, Canonical) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(Intl.getCanonicalLocales(["EN-us","de-de","zh-hant-tw"])) + JSON.stringify(Intl.DateTimeFormat.supportedLocalesOf(["fr-FR","tlh","de"])))js"),
            R"js(["en-US","de-DE","zh-Hant-TW"]["fr-FR","de"])js");
}

TEST_F(JsIntlTest, ToStringTags) {
  EXPECT_EQ(Eval(R"js([Object.prototype.toString.call(Intl), Object.prototype.toString.call(new Intl.NumberFormat()), typeof new Intl.DateTimeFormat().format, String(Intl.DateTimeFormat.length), typeof Intl.DateTimeFormat("en").format(0)].join("|"))js"),
            R"js([object Intl]|[object Intl.NumberFormat]|function|0|string)js");
}

TEST_F(JsIntlTest, ManyFormatters) {
  EXPECT_EQ(Eval(R"js((()=>{let s=""; for(let i=0;i<3000;i++){ s=new Intl.DateTimeFormat("en-US",{timeZone:"UTC",hour:"numeric"}).format(i*3600000) + new Intl.NumberFormat("de").format(i) + new Intl.Collator("en").compare("a","b"); } return s})())js"),
            R"js(11 PM2.999-1)js");
}

TEST_F(JsIntlTest, LuxonZoneParts) {
  EXPECT_EQ(Eval(R"js(JSON.stringify(new Intl.DateTimeFormat("en-US",{hour12:false,timeZone:"America/New_York",year:"numeric",month:"2-digit",day:"2-digit",hour:"2-digit",minute:"2-digit",second:"2-digit",era:"short"}).formatToParts(new Date(Date.UTC(2024,0,1,5,0,0)))))js"),
            R"js([{"type":"month","value":"01"},{"type":"literal","value":"/"},{"type":"day","value":"01"},{"type":"literal","value":"/"},{"type":"year","value":"2024"},{"type":"literal","value":" "},{"type":"era","value":"AD"},{"type":"literal","value":", "},{"type":"hour","value":"24"},{"type":"literal","value":":"},{"type":"minute","value":"00"},{"type":"literal","value":":"},{"type":"second","value":"00"}])js");
}

}  // namespace
}  // namespace hbf::js
