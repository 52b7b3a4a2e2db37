// JWT verification (src/auth/jwt.h) with a fixed key, as the authenticator
// verifies a Bearer token. Three ways in per input:
//   1. the input as a token, verified as it is;
//   2. the input split at the first '\n' into header and claims texts,
//      base64url-encoded and signed with the fixed key, so the fuzzer gets
//      past the signature to the header and claims handling;
//   3. that signed token with its signature altered, which must fail.
// Invariants: whatever verifies has an object of claims with an integer exp
// in the future; a token we signed over claims VerifyJwt accepts returns
// those claims unchanged; an altered signature never verifies; base64url
// decodes what it encodes; at most 8 session cookies are taken, none empty.
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "auth/jwt.h"
#include "crypto/crypto.h"
#include "fuzz_input.h"

using hbf::fuzz::Check;

namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr std::string_view kKid = "k1";
constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef0123";

const hbf::auth::KeyLookup& Keys() {
  static const hbf::auth::KeyLookup keys = [](const std::string& kid) -> std::optional<std::string> {
    if (kid == kKid) return std::string(kSecret);
    return std::nullopt;
  };
  return keys;
}

void CheckVerified(const hbf::Result<hbf::Json>& claims) {
  if (!claims.ok()) {
    Check(claims.error().http_status == 401, "a refused token is not a 401");
    return;
  }
  Check(claims.value().is_object(), "verified claims are not an object");
  const hbf::Json* exp = claims.value().find("exp");
  Check(exp != nullptr && exp->is_int() && exp->as_int() > kNow, "verified token without a future exp");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool crypto_ready = hbf::crypto::InitializeCrypto();
  Check(crypto_ready, "libsodium did not initialise");
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  CheckVerified(hbf::auth::VerifyJwt(text, Keys(), kNow));

  const std::string as_header(text);
  const auto credentials = hbf::auth::ExtractCredentials(&as_header, &as_header);
  Check(credentials.cookies.size() <= 8, "more than 8 session cookies taken");
  for (const auto& c : credentials.cookies) Check(!c.empty(), "an empty session cookie taken");
  Check(!credentials.bearer || !credentials.bearer->empty(), "an empty bearer token taken");

  const std::string encoded = hbf::crypto::Base64UrlEncode(text);
  const auto decoded = hbf::crypto::Base64UrlDecode(encoded);
  Check(decoded && *decoded == text, "base64url does not round-trip");

  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return 0;
  const std::string signing_input = hbf::crypto::Base64UrlEncode(text.substr(0, nl)) + "." +
                                    hbf::crypto::Base64UrlEncode(text.substr(nl + 1));
  const auto mac = hbf::crypto::HmacSha256(kSecret, signing_input);
  const std::string_view mac_view(reinterpret_cast<const char*>(mac.data()), mac.size());
  const std::string token = signing_input + "." + hbf::crypto::Base64UrlEncode(mac_view);
  const auto verified = hbf::auth::VerifyJwt(token, Keys(), kNow);
  CheckVerified(verified);
  if (verified.ok()) {
    const auto claims = hbf::Json::Parse(text.substr(nl + 1));
    Check(claims.ok() && claims.value() == verified.value(), "verified claims differ from what was signed");
    const auto header = hbf::Json::Parse(text.substr(0, nl));
    const hbf::Json* alg = header.ok() ? header.value().find("alg") : nullptr;
    Check(alg != nullptr && alg->is_string() && alg->as_string() == "HS256", "a token verified without alg HS256");
  }

  std::string forged = token;
  forged[signing_input.size() + 1] = forged[signing_input.size() + 1] == 'A' ? 'B' : 'A';
  Check(!hbf::auth::VerifyJwt(forged, Keys(), kNow).ok(), "an altered signature verifies");
  return 0;
}
