// The henv hash: the 8-character DNS-safe name of a henv, used as its
// subdomain ({hash}.{base_domain}) and its folder ({storage_dir}/{hash}/).
//
// Algorithm (DECISIONS.md §3, which corrects the spec's broken reference):
// lowercase and trim the name; SHA-256 it; read the digest as a big-endian
// integer; take its 8 least-significant base-36 digits (alphabet 0-9a-z),
// most significant first, left-padded with '0'.
// Vectors: myapp→5h9h66rt, alice→ma3ys3gw, bob→rzslpxwp, hello world→n2azdcyx.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace hbf {

inline constexpr size_t kHenvHashLength = 8;

std::string HenvHash(std::string_view name);

// True when `s` is exactly 8 characters of [0-9a-z].
bool IsValidHenvHash(std::string_view s);

}  // namespace hbf
