#include "auth/jwt.h"

#include "crypto/crypto.h"

namespace hbf::auth {
namespace {

Error Unauthorized(std::string message) { return Error{"unauthorized", std::move(message), 401}; }

std::string_view AsView(const crypto::Sha256Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace

std::string SignJwt(const Json& claims, std::string_view kid, std::string_view secret) {
  Json header = Json::MakeObject({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", std::string(kid)}});
  std::string signing_input = crypto::Base64UrlEncode(header.dump()) + "." + crypto::Base64UrlEncode(claims.dump());
  auto mac = crypto::HmacSha256(secret, signing_input);
  return signing_input + "." + crypto::Base64UrlEncode(AsView(mac));
}

Result<Json> VerifyJwt(std::string_view token, const KeyLookup& keys, int64_t now) {
  if (token.size() > 8192) return Unauthorized("token too long");
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot1 == std::string_view::npos || dot2 == std::string_view::npos ||
      token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthorized("malformed token");
  }
  auto header_text = crypto::Base64UrlDecode(token.substr(0, dot1));
  auto payload_text = crypto::Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = crypto::Base64UrlDecode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) return Unauthorized("malformed token");

  auto header = Json::Parse(*header_text);
  if (!header.ok() || !header->is_object()) return Unauthorized("malformed token header");
  const Json* alg = header->find("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256") {
    return Unauthorized("unsupported token algorithm");
  }
  const Json* kid = header->find("kid");
  if (kid == nullptr || !kid->is_string()) return Unauthorized("token has no key id");
  auto secret = keys(kid->as_string());
  if (!secret) return Unauthorized("token signed with an unknown or retired key");

  auto expected = crypto::HmacSha256(*secret, token.substr(0, dot2));
  if (!crypto::ConstantTimeEquals(AsView(expected), *signature)) return Unauthorized("invalid token signature");

  auto claims = Json::Parse(*payload_text);
  if (!claims.ok() || !claims->is_object()) return Unauthorized("malformed token claims");
  const Json* exp = claims->find("exp");
  if (exp == nullptr || !exp->is_int()) return Unauthorized("token has no expiry");
  if (exp->as_int() <= now) return Unauthorized("token expired");
  return std::move(claims).value();
}

}  // namespace hbf::auth
