#include "db/vfs.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include "db/wal_index.h"

namespace hbf::db {
namespace {

sqlite3_vfs* base_vfs = nullptr;  // "unix", set once before hbf_vfs is registered
sqlite3_vfs hbf_vfs;

void FenceOnly(sqlite3_file* /*file*/) { std::atomic_thread_fence(std::memory_order_seq_cst); }

// ------------------------------------------------------------ WAL frames
//
// SQLite appends a WAL frame as two writes, its 24-byte header and then the
// page right after it (wal.c, walWriteOneFrame): two pwrite() calls, ~1.4 us
// each on the 2-core VM, for every page a commit writes. A -wal file's
// header write is held back here and goes out with the page in one write
// when the page follows it; any other call on the file first writes a
// header still held. Nothing can read a held header: other connections
// read frames only once the commit that wrote them is published in the WAL
// index, after all of its frames were written, and this connection's own
// reads of the file (xRead) write it first.
constexpr int kWalFrameHeaderBytes = 24;

struct HeldFrameHeader {
  bool held = false;
  sqlite3_int64 offset = 0;
  unsigned char bytes[kWalFrameHeaderBytes] = {};
};

size_t held_header_offset = 0;  // after the WAL index's client, in every file

HeldFrameHeader* HeldOf(sqlite3_file* file) {
  return reinterpret_cast<HeldFrameHeader*>(reinterpret_cast<char*>(file) + held_header_offset);
}

const sqlite3_io_methods* UnixMethodsOf(sqlite3_file* file) { return internal::ClientOf(file)->unix_methods; }

int WriteHeldHeader(sqlite3_file* file) {
  HeldFrameHeader* held = HeldOf(file);
  if (!held->held) return SQLITE_OK;
  held->held = false;
  return UnixMethodsOf(file)->xWrite(file, held->bytes, kWalFrameHeaderBytes, held->offset);
}

int WalWrite(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  HeldFrameHeader* held = HeldOf(file);
  if (held->held && offset == held->offset + kWalFrameHeaderBytes && amount > 0) {
    // The page after its header: one write of both.
    thread_local std::vector<unsigned char> frame;
    frame.resize(static_cast<size_t>(kWalFrameHeaderBytes) + static_cast<size_t>(amount));
    std::memcpy(frame.data(), held->bytes, kWalFrameHeaderBytes);
    std::memcpy(frame.data() + kWalFrameHeaderBytes, data, static_cast<size_t>(amount));
    held->held = false;
    return UnixMethodsOf(file)->xWrite(file, frame.data(), static_cast<int>(frame.size()), held->offset);
  }
  if (const int rc = WriteHeldHeader(file); rc != SQLITE_OK) return rc;
  // (The WAL's own 32-byte header at offset 0 is never a frame's.)
  if (amount == kWalFrameHeaderBytes && offset > 0) {
    held->held = true;
    held->offset = offset;
    std::memcpy(held->bytes, data, kWalFrameHeaderBytes);
    return SQLITE_OK;
  }
  return UnixMethodsOf(file)->xWrite(file, data, amount, offset);
}

int WalRead(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (const int rc = WriteHeldHeader(file); rc != SQLITE_OK) return rc;
  return UnixMethodsOf(file)->xRead(file, out, amount, offset);
}
int WalTruncate(sqlite3_file* file, sqlite3_int64 size) {
  HeldFrameHeader* held = HeldOf(file);
  if (held->held && held->offset >= size) held->held = false;  // (cut off anyway)
  if (const int rc = WriteHeldHeader(file); rc != SQLITE_OK) return rc;
  return UnixMethodsOf(file)->xTruncate(file, size);
}
int WalSync(sqlite3_file* file, int flags) {
  if (const int rc = WriteHeldHeader(file); rc != SQLITE_OK) return rc;
  return UnixMethodsOf(file)->xSync(file, flags);
}
int WalFileSize(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = WriteHeldHeader(file); rc != SQLITE_OK) return rc;
  return UnixMethodsOf(file)->xFileSize(file, size);
}
int WalFileControl(sqlite3_file* file, int op, void* arg) {
  if (const int rc = WriteHeldHeader(file); rc != SQLITE_OK) return rc;
  return UnixMethodsOf(file)->xFileControl(file, op, arg);
}
int WalClose(sqlite3_file* file) {
  (void)WriteHeldHeader(file);
  return UnixMethodsOf(file)->xClose(file);
}

// A database file's size, known without an fstat while it cannot have
// changed (internal::KnownDbSize).
int DbFileSize(sqlite3_file* file, sqlite3_int64* size) {
  const internal::WalIndexClient* client = internal::ClientOf(file);
  uint64_t epoch = internal::kNoDbSizeEpoch;
  if (internal::KnownDbSize(*client, size, &epoch)) return SQLITE_OK;
  const int rc = client->unix_methods->xFileSize(file, size);
  if (rc == SQLITE_OK) internal::RememberDbSize(*client, epoch, *size);
  return rc;
}

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
  bool wal = false;  // a -wal file's (frame writes joined), or any other's
  sqlite3_io_methods patched{};
};
std::mutex patched_mu;
std::array<PatchedMethods, 8> patched_tables;

const sqlite3_io_methods* Patched(const sqlite3_io_methods* base, bool wal) {
  std::lock_guard lock(patched_mu);
  for (PatchedMethods& entry : patched_tables) {
    if (entry.base == base && entry.wal == wal) return &entry.patched;
    if (entry.base == nullptr) {
      entry.base = base;
      entry.wal = wal;
      entry.patched = *base;
      if (wal) {
        entry.patched.xClose = WalClose;
        entry.patched.xRead = WalRead;
        entry.patched.xWrite = WalWrite;
        entry.patched.xTruncate = WalTruncate;
        entry.patched.xSync = WalSync;
        entry.patched.xFileSize = WalFileSize;
        entry.patched.xFileControl = WalFileControl;
        if (entry.patched.iVersion >= 3) {
          entry.patched.xFetch = nullptr;  // (a -wal is never memory-mapped; no path around the writes)
          entry.patched.xUnfetch = nullptr;
          entry.patched.iVersion = 2;
        }
      } else {
        entry.patched.xClose = CloseFile;
        entry.patched.xFileSize = DbFileSize;
      }
      if (entry.patched.iVersion >= 2 && entry.patched.xShmMap != nullptr) {
        entry.patched.xShmMap = internal::ShmMap;
        entry.patched.xShmLock = internal::ShmLock;
        entry.patched.xShmBarrier = FenceOnly;
        entry.patched.xShmUnmap = internal::ShmUnmap;
      }
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
  *HeldOf(file) = HeldFrameHeader{};
  const bool wal = (flags & SQLITE_OPEN_WAL) != 0;
  if (methods != nullptr && name != nullptr &&
      (wal || (methods->iVersion >= 2 && methods->xShmMap != nullptr))) {
    const sqlite3_io_methods* patched = Patched(methods, wal);
    if (patched != methods) {
      internal::WalIndexClient* client = internal::ClientOf(file);
      client->unix_methods = methods;
      client->db_path = name;
      file->pMethods = patched;
    }
  }
  return rc;
}

// The unix VFS's "fchown", skipped when `fd` has that owner already.
int ChownIfOtherOwner(int fd, uid_t uid, gid_t gid) {
  struct stat st{};
  if (::fstat(fd, &st) == 0 && st.st_uid == uid && st.st_gid == gid) return 0;
  return ::fchown(fd, uid, gid);
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
    // Room after the unix VFS's file object for the WAL index's client and
    // a -wal's held frame header.
    constexpr size_t kAlign = 16;
    static_assert(alignof(internal::WalIndexClient) <= kAlign && alignof(HeldFrameHeader) <= kAlign);
    const auto round_up = [](size_t n) { return (n + kAlign - 1) / kAlign * kAlign; };
    const size_t client_offset = round_up(static_cast<size_t>(unix_vfs->szOsFile));
    internal::SetClientOffset(client_offset);
    held_header_offset = round_up(client_offset + sizeof(internal::WalIndexClient));
    hbf_vfs.szOsFile = static_cast<int>(held_header_offset + sizeof(HeldFrameHeader));
    hbf_vfs.pNext = nullptr;
    hbf_vfs.zName = kVfsName;
    hbf_vfs.xOpen = OpenFile;
    // As root the unix VFS gives each -wal and journal it opens the
    // database's owner (robustFchown), with a chown even when it has that
    // owner already: a journaled change of the inode at every open of a
    // henv's file. Asked first (the unix VFS's "fchown" system call,
    // replaced process-wide for every file it opens).
    if (unix_vfs->xSetSystemCall != nullptr) {
      (void)unix_vfs->xSetSystemCall(unix_vfs, "fchown", reinterpret_cast<sqlite3_syscall_ptr>(&ChownIfOtherOwner));
    }
    (void)sqlite3_vfs_register(&hbf_vfs, /*makeDflt=*/1);
  });
}

}  // namespace hbf::db
