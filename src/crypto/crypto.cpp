#include "crypto/crypto.h"

#include <sodium.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <mutex>

#include "core/cores.h"

namespace hbf::crypto {
namespace {

constexpr unsigned long long kArgonOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;  // t=2
constexpr size_t kArgonMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;             // 64 MiB

// Bounds concurrent Argon2id computations (each holds kArgonMem) and hands
// freed slots to waiters round-robin by key, oldest first within a key.
// One slot per core the process may run on (its affinity: a container
// given 2 of a machine's 64 cores runs 2 at once, not 64, and holds 128 MiB
// for them, not 4 GiB), at least 2.
class HashGate {
 public:
  HashGate() : slots_(static_cast<unsigned>(std::max(2, CoresAvailable()))) {}

  void Enter(std::string_view key) {
    std::unique_lock lock(mu_);
    if (slots_ > 0 && turns_.empty()) {
      --slots_;
      return;
    }
    Waiter me;
    auto [it, inserted] = queues_.try_emplace(std::string(key));
    if (it->second.empty()) turns_.push_back(it->first);
    it->second.push_back(&me);
    me.cv.wait(lock, [&me] { return me.granted; });
  }

  void Leave() {
    std::lock_guard lock(mu_);
    if (turns_.empty()) {
      ++slots_;
      return;
    }
    // The slot passes straight to the next key's oldest waiter.
    std::string key = std::move(turns_.front());
    turns_.pop_front();
    auto it = queues_.find(key);
    Waiter* next = it->second.front();
    it->second.pop_front();
    if (it->second.empty()) {
      queues_.erase(it);
    } else {
      turns_.push_back(std::move(key));
    }
    next->granted = true;
    next->cv.notify_one();  // under the lock: `next` lives until it sees `granted`
  }

 private:
  struct Waiter {
    std::condition_variable cv;
    bool granted = false;
  };
  std::mutex mu_;
  unsigned slots_;                                              // guarded by mu_
  std::unordered_map<std::string, std::deque<Waiter*>> queues_;  // guarded by mu_: waiters per key
  std::deque<std::string> turns_;                               // guarded by mu_: keys with waiters, in turn
};

HashGate& Gate() {
  static HashGate gate;
  return gate;
}

struct GateScope {
  explicit GateScope(std::string_view key) { Gate().Enter(key); }
  ~GateScope() { Gate().Leave(); }
  GateScope(const GateScope&) = delete;
  GateScope& operator=(const GateScope&) = delete;
};

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string EncodeWith(std::string_view data, int variant) {
  std::string out(sodium_base64_encoded_len(data.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), Bytes(data), data.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> DecodeWith(std::string_view text, int variant) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace

bool InitializeCrypto() { return sodium_init() >= 0; }

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest{};
  crypto_hash_sha256(digest.data(), Bytes(data), data.size());
  return digest;
}

std::string Sha256Hex(std::string_view data) {
  auto d = Sha256(data);
  return ToHex(d.data(), d.size());
}

Sha256Digest HmacSha256(std::string_view key, std::string_view message) {
  Sha256Digest mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, Bytes(key), key.size());
  crypto_auth_hmacsha256_update(&state, Bytes(message), message.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  return mac;
}

std::string ToHex(const uint8_t* data, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string RandomToken(size_t bytes) { return Base64UrlEncode(RandomBytes(bytes)); }

std::string Base64UrlEncode(std::string_view data) { return EncodeWith(data, sodium_base64_VARIANT_URLSAFE_NO_PADDING); }

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return DecodeWith(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string Base64Encode(std::string_view data) { return EncodeWith(data, sodium_base64_VARIANT_ORIGINAL); }

std::optional<std::string> Base64Decode(std::string_view text) {
  return DecodeWith(text, sodium_base64_VARIANT_ORIGINAL);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> HashPassword(std::string_view password, std::string_view fairness_key) {
  char out[crypto_pwhash_STRBYTES];
  GateScope gate(fairness_key);
  if (crypto_pwhash_str(out, password.data(), password.size(), kArgonOps, kArgonMem) != 0) return std::nullopt;
  return std::string(out);
}

bool VerifyPassword(std::string_view phc_hash, std::string_view password, std::string_view fairness_key) {
  std::string hash(phc_hash);  // NUL-terminated for libsodium
  GateScope gate(fairness_key);
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string SodiumVersion() { return sodium_version_string(); }

}  // namespace hbf::crypto
