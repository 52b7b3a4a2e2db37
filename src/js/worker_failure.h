// Internal to src/js: how a value a worker's script threw becomes the
// failure a request is answered with (worker.cpp loading, worker_dispatch.cpp
// running). Pure functions of their arguments; any thread.
#pragma once

#include <optional>
#include <string>
#include <utility>

extern "C" {
#include <quickjs.h>
}

#include "js/engine.h"

namespace hbf::js::internal {

// The uncatchable error QuickJS raises when the interrupt handler fires.
bool IsInterrupted(JSContext* ctx, JSValueConst exc);

// "file:line:col" from the first frame of a QuickJS stack that names one
// (not a built-in's); empty if none does.
std::string LocationFromStack(const std::string& stack);

// A write the server's storage refused (full disk, read-only storage;
// natives.cpp sets storageStatus) carried by `error`: its code and status
// (507 insufficient_storage, 503 read_only). The host's fault, answered as
// such whatever the script made of it.
std::optional<std::pair<std::string, int>> StorageFaultOf(JSContext* ctx, JSValueConst error);

// Why a value or job failed, classified for the HTTP answer.
ScriptResult::Failure DescribeException(JSContext* ctx, JSValue exc, bool timed_out, bool memory_refused);

// A 500 that is HBF's, not the script's.
ScriptResult::Failure InternalFailure(std::string code, std::string message);

}  // namespace hbf::js::internal
