// How many CPUs this process may run on: its affinity (taskset, cgroups'
// cpusets), not the machine's total; the machine's count where the
// affinity cannot be read; at least 1. What one I/O loop per core follows
// (main.cpp), what a wait that spins asks first (db/write_gate.cpp:
// spinning only helps where another core runs the holder), and how many
// Argon2id hashes run at once (crypto/crypto.cpp).
//
// Thread safety: any thread; reads the affinity at each call (a system
// call: callers on a hot path keep the answer).
#pragma once

namespace hbf {

int CoresAvailable();

}  // namespace hbf
