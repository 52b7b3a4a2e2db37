// Request-body and small header parsers of the app layer
// (src/app/request_util.h): ParseObjectBody for each Content-Type HBF reads
// (JSON, application/x-www-form-urlencoded, others), ParseUrlEncoded,
// PercentEncodeQueryValue, ParseInt and SanitizeScriptCookie. HBF does not
// parse multipart/form-data anywhere (ParseObjectBody answers 415 and
// scripts get the raw body), so there is no multipart parser to drive.
// Input: byte 0 picks the Content-Type; the rest is the body.
//
// Invariants: ParseObjectBody yields an object or a 400/415; a form parses
// to an object of strings; PercentEncodeQueryValue's output parses back to
// the same value; ParseInt agrees with its own decimal printing; a sanitised
// cookie never keeps a Domain attribute or a session cookie's name.
#include <string>
#include <string_view>

#include "app/request_util.h"
#include "auth/authenticator.h"
#include "fuzz_input.h"

using hbf::fuzz::Check;

namespace {

constexpr const char* kTypes[] = {
    "application/x-www-form-urlencoded", "application/json", "Application/X-WWW-Form-Urlencoded; charset=utf-8",
    "text/plain", "multipart/form-data; boundary=xyz", nullptr,
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hbf::fuzz::FuzzInput in(data, size);
  const char* type = kTypes[in.Byte() % (sizeof kTypes / sizeof kTypes[0])];
  const std::string_view body = in.Rest();

  hbf::HttpRequest request;
  request.method = "POST";
  request.body = std::string(body);
  if (type != nullptr) request.headers.emplace_back("content-type", type);
  auto parsed = hbf::ParseObjectBody(request);
  if (parsed.ok()) {
    Check(parsed.value().is_object(), "ParseObjectBody returned a non-object");
  } else {
    const int s = parsed.error().http_status;
    Check(s == 400 || s == 415, "ParseObjectBody failed with neither 400 nor 415");
  }

  if (auto form = hbf::ParseUrlEncoded(body)) {
    Check(form->is_object(), "a form is not an object");
    for (const auto& [key, value] : form->as_object()) Check(value.is_string(), "a form value is not a string");
  }

  const std::string encoded = hbf::PercentEncodeQueryValue(body);
  auto back = hbf::ParseUrlEncoded("v=" + encoded);
  Check(back.has_value(), "an encoded value does not parse");
  const hbf::Json* v = back->find("v");
  Check(v != nullptr && v->is_string() && v->as_string() == body, "query value encoding does not round-trip");

  if (auto n = hbf::ParseInt(body)) {
    const auto again = hbf::ParseInt(std::to_string(*n));
    Check(again && *again == *n, "ParseInt does not read its own output");
  }

  if (auto cookie = hbf::SanitizeScriptCookie(body)) {
    std::string_view rest = *cookie;
    const size_t semi = rest.find(';');
    const std::string_view pair = rest.substr(0, semi);
    Check(!hbf::auth::IsSessionCookieName(Trim(pair.substr(0, pair.find('=')))), "a session cookie passes");
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!rest.empty()) {
      const size_t next = rest.find(';');
      const std::string_view attribute = Trim(rest.substr(0, next));
      Check(!hbf::EqualsIgnoreCase(Trim(attribute.substr(0, attribute.find('='))), "domain"),
            "a Domain attribute survives");
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    }
  }
  return 0;
}
