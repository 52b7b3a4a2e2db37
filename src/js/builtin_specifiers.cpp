#include "js/builtin_specifiers.h"

#include <utility>

namespace hbf::js {
namespace {

// As hbf:modules' BUILTINS (core modules: also reached as "node:NAME").
constexpr std::pair<std::string_view, const char*> kCoreModules[] = {
    {"fs", "hbf:node_fs"},
    {"fs/promises", "hbf:node_fs_promises"},
    {"path", "hbf:node_path"},
    {"path/posix", "hbf:node_path"},
    {"buffer", "hbf:node_buffer"},
    {"util", "hbf:node_util"},
    {"util/types", "hbf:node_util_types"},
    {"events", "hbf:node_events"},
    {"timers", "hbf:node_timers"},
    {"timers/promises", "hbf:node_timers_promises"},
    {"process", "hbf:node_process"},
    {"crypto", "hbf:node_crypto"},
    {"module", "hbf:node_module"},
    {"os", "hbf:node_os"},
    {"url", "hbf:node_url"},
    {"querystring", "hbf:node_querystring"},
    {"string_decoder", "hbf:node_string_decoder"},
    {"assert", "hbf:node_assert"},
    {"assert/strict", "hbf:node_assert_strict"},
    {"tty", "hbf:node_tty"},
    {"stream", "hbf:node_stream"},
    {"stream/promises", "hbf:node_stream_promises"},
    {"stream/consumers", "hbf:node_stream_consumers"},
    {"http", "hbf:node_http"},
    {"perf_hooks", "hbf:node_perf_hooks"},
    {"zlib", "hbf:node_zlib"},
};

// As hbf:modules' BUILTIN_PACKAGES (bare names only; the bare name wins
// over a package of the same name under modules/).
constexpr std::pair<std::string_view, const char*> kBuiltinPackages[] = {
    {"express", "hbf:express"},
};

}  // namespace

const char* BuiltinModuleFor(std::string_view specifier) {
  constexpr std::string_view kNodePrefix = "node:";
  const bool node_prefixed = specifier.substr(0, kNodePrefix.size()) == kNodePrefix;
  const std::string_view name = node_prefixed ? specifier.substr(kNodePrefix.size()) : specifier;
  for (const auto& [core, id] : kCoreModules) {
    if (core == name) return id;
  }
  if (node_prefixed) return nullptr;
  for (const auto& [package, id] : kBuiltinPackages) {
    if (package == name) return id;
  }
  return nullptr;
}

}  // namespace hbf::js
