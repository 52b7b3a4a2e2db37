// Names the calling thread as `top -H`, `perf report --sort comm`, gdb and
// /proc/<pid>/task/<tid>/comm show it: which of hbf's threads spends the
// CPU (I/O loops, JavaScript handlers, the engine's housekeeper...) is then
// one look, not a guess from a profile's symbols.
//
// Thread safety: names only the calling thread.
#pragma once

#include <pthread.h>

#include <string>

namespace hbf {

// `name` past 15 bytes (the kernel's limit) is cut. Never fails loudly: a
// thread without a name works as before.
inline void NameThisThread(const std::string& name) {
  (void)::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace hbf
