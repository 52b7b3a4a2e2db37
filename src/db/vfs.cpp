#include "db/vfs.h"

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <mutex>

#include "db/wal_index.h"

namespace hbf::db {
namespace {

sqlite3_vfs* base_vfs = nullptr;  // "unix", set once before hbf_vfs is registered
sqlite3_vfs hbf_vfs;

void FenceOnly(sqlite3_file* /*file*/) { std::atomic_thread_fence(std::memory_order_seq_cst); }

int CloseFile(sqlite3_file* file) {
  internal::WalIndexClient* client = internal::ClientOf(file);
  // (SQLite unmaps the WAL index before it closes a file; this is in case.)
  if (client->node != nullptr) (void)internal::ShmUnmap(file, 0);
  return client->unix_methods->xClose(file);
}

// One patched copy per methods table the unix VFS hands out (a main file's
// posix table, a -wal's no-lock table, ...): a handful, made on first sight.
// Looked up under a mutex when a file opens, never per statement.
struct PatchedMethods {
  const sqlite3_io_methods* base = nullptr;
  sqlite3_io_methods patched{};
};
std::mutex patched_mu;
std::array<PatchedMethods, 8> patched_tables;

const sqlite3_io_methods* Patched(const sqlite3_io_methods* base) {
  std::lock_guard lock(patched_mu);
  for (PatchedMethods& entry : patched_tables) {
    if (entry.base == base) return &entry.patched;
    if (entry.base == nullptr) {
      entry.base = base;
      entry.patched = *base;
      entry.patched.xClose = CloseFile;
      entry.patched.xShmMap = internal::ShmMap;
      entry.patched.xShmLock = internal::ShmLock;
      entry.patched.xShmBarrier = FenceOnly;
      entry.patched.xShmUnmap = internal::ShmUnmap;
      return &entry.patched;
    }
  }
  return base;  // (more tables than the unix VFS has: left as they are)
}

int OpenFile(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  // The unix VFS's own open, as itself: it keys behaviour on its VFS (its
  // name, its locking-style finder in pAppData) and keeps that pointer.
  const int rc = base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  const sqlite3_io_methods* methods = file->pMethods;
  *internal::ClientOf(file) = internal::WalIndexClient{};
  if (methods != nullptr && methods->iVersion >= 2 && methods->xShmMap != nullptr && name != nullptr) {
    const sqlite3_io_methods* patched = Patched(methods);
    if (patched != methods) {
      internal::WalIndexClient* client = internal::ClientOf(file);
      client->unix_methods = methods;
      client->db_path = name;
      file->pMethods = patched;
    }
  }
  return rc;
}

}  // namespace

void InstallVfsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_vfs* unix_vfs = sqlite3_vfs_find("unix");
    if (unix_vfs == nullptr) return;
    base_vfs = unix_vfs;
    // The same VFS (its file size, path length, pAppData and every other
    // method), named apart, opening files through OpenFile.
    hbf_vfs = *unix_vfs;
    // Room after the unix VFS's file object for the WAL index's client.
    const size_t offset = (static_cast<size_t>(unix_vfs->szOsFile) + alignof(internal::WalIndexClient) - 1) /
                          alignof(internal::WalIndexClient) * alignof(internal::WalIndexClient);
    internal::SetClientOffset(offset);
    hbf_vfs.szOsFile = static_cast<int>(offset + sizeof(internal::WalIndexClient));
    hbf_vfs.pNext = nullptr;
    hbf_vfs.zName = kVfsName;
    hbf_vfs.xOpen = OpenFile;
    (void)sqlite3_vfs_register(&hbf_vfs, /*makeDflt=*/1);
  });
}

}  // namespace hbf::db
