// Initialises libsodium once, before any test in this executable runs
// (HenvHash, signing keys, tokens and password hashing all need it).
#include <gtest/gtest.h>

#include "crypto/crypto.h"

namespace {

class CryptoEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(hbf::crypto::InitializeCrypto()); }
};

[[maybe_unused]] ::testing::Environment* const kCryptoEnvironment =
    ::testing::AddGlobalTestEnvironment(new CryptoEnvironment);

}  // namespace
