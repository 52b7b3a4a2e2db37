// HBF's built-in JavaScript modules, embedded at build time from
// src/js/builtin/*.js (see cmake/EmbedJs.cmake).
#pragma once

#include <cstddef>

namespace hbf::js {

struct BuiltinSource {
  const char* name;    // module name, e.g. "hbf:router"
  const char* source;  // UTF-8, NUL-terminated
  size_t size;         // bytes, without the NUL
};

extern const BuiltinSource kBuiltinSources[];
extern const size_t kBuiltinSourceCount;

}  // namespace hbf::js
