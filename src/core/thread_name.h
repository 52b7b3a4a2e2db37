// Names a thread as `top -H`, `perf report --sort comm`, gdb and
// /proc/<pid>/task/<tid>/comm show it: which of hbf's threads spends the
// CPU (I/O loops, handler threads, the engine's housekeeper...) is then one
// look, not a guess from a profile's symbols.
//
// Named by its creator, right after the std::thread is made: the name is
// there before the creator returns (a thread naming itself would race
// whoever reads the names first).
//
// Thread safety: any thread may name a thread it holds.
#pragma once

#include <pthread.h>

#include <string>
#include <thread>

namespace hbf {

// `name` past 15 bytes (the kernel's limit) is cut. Never fails loudly: a
// thread without a name works as before.
inline void NameThread(std::thread& thread, const std::string& name) {
  (void)::pthread_setname_np(thread.native_handle(), name.substr(0, 15).c_str());
}

}  // namespace hbf
