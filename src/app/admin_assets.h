// The admin UI's files, built into the binary (app/tools/embed_assets.cpp
// writes the table at build time): HBF's shell, script and styles and the
// parts of monaco-editor it loads, each gzip-compressed.
//
// Thread safety: constant data.
#pragma once

#include <cstddef>
#include <string_view>

namespace hbf::admin_assets {

struct Asset {
  const char* name;          // "js/main.js", "monaco/vs/loader.js", ...
  const char* content_type;
  size_t offset;             // into Blob()
  size_t gzip_size;          // compressed bytes at Blob() + offset
  size_t size;               // bytes once inflated
};

// Changes whenever any asset's bytes do: the assets' URL segment, so they
// can be cached as immutable.
const char* BuildId();
const unsigned char* Blob();
const Asset* Begin();
const Asset* End();

// The asset named `name`, or null.
inline const Asset* Find(std::string_view name) {
  for (const Asset* a = Begin(); a != End(); ++a) {
    if (name == a->name) return a;
  }
  return nullptr;
}

inline std::string_view GzipBytes(const Asset& a) {
  return std::string_view(reinterpret_cast<const char*>(Blob()) + a.offset, a.gzip_size);
}

}  // namespace hbf::admin_assets
