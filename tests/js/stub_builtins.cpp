// Stand-in built-in modules for engine tests: the engine's contract without
// the real router runtime. hbf:http's dispatch hands the tenant's default
// export the raw request and the native module, so tests can reach every
// native function directly.
#include "js/builtin_sources.h"

namespace hbf::js {
namespace {

constexpr char kBootstrap[] = "globalThis.__booted = true;\n";
constexpr char kHttp[] =
    "import * as native from 'hbf:native';\n"
    "export async function dispatch(router, raw) { return await router(raw, native); }\n";

}  // namespace

const BuiltinSource kBuiltinSources[] = {
    {"hbf:bootstrap", kBootstrap, sizeof kBootstrap - 1},
    {"hbf:http", kHttp, sizeof kHttp - 1},
};
const size_t kBuiltinSourceCount = 2;

}  // namespace hbf::js
