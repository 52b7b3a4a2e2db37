#include "db/wal_index.h"

#include "db/vfs.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/thread_name.h"

namespace hbf::db {
namespace internal {

// The unix VFS's lock layout in the -shm file (os_unix.c: UNIX_SHM_BASE,
// UNIX_SHM_DMS): SQLITE_SHM_NLOCK lock bytes from byte 120, then the
// dead-man switch every process with the file open holds shared.
constexpr int kLockBase = 120;
constexpr int kLockBytes = SQLITE_SHM_NLOCK;  // 8: write, checkpoint, recover, 5 reader slots
constexpr int kDeadManSwitch = kLockBase + kLockBytes;
constexpr int kFirstReaderSlot = 3;  // WAL_READ_LOCK(0)
constexpr int kPageBytes = 4096;     // the unix VFS extends the file a page at a time, as here

static_assert(kLockBytes == 8, "lock masks below are 8 bits");

using Clock = std::chrono::steady_clock;
// Sole mode (wal_index.h): a file written this many times within
// kSoleWindow tries it, at most once every kSoleRetry; the keeper looks at
// each sole file every kSoleLook (another process attached, or no lock
// taken since its last look: the system locks go back to what this
// process's connections hold).
constexpr int kSoleWrites = 16;
constexpr auto kSoleWindow = std::chrono::seconds(1);
constexpr auto kSoleLook = std::chrono::milliseconds(100);
constexpr auto kSoleRetry = std::chrono::seconds(1);

// A reader slot's lock is kept once its last user here lets it go.
constexpr bool Keepable(int offset) { return offset >= kFirstReaderSlot; }

// Readers of a WAL wholly copied into the database read the file itself
// under slot 0 (WAL_READ_LOCK(0)), and every checkpoint writes the file
// only while it holds slot 0 exclusive.
constexpr uint8_t kSlotZero = 1u << kFirstReaderSlot;

struct WalIndexNode : std::enable_shared_from_this<WalIndexNode> {
  // Set when made, then read-only.
  dev_t dev = 0;
  ino_t ino = 0;
  std::string path;

  int refs = 0;                // connections attached; the registry's mutex
  std::vector<int> other_fds;  // the registry's mutex: see Attach

  std::mutex mu;  // everything below
  int fd = -1;    // -1 once closed (the janitor's copy of the nodes may outlive that)
  int region_bytes = 0;
  std::vector<void*> regions;
  uint16_t shared[kLockBytes] = {};           // connections holding each byte shared
  uint8_t exclusive = 0;                      // bytes one connection holds exclusive
  uint8_t os_read = 0;                        // bytes this process holds F_RDLCK on
  uint8_t os_write = 0;                       // and F_WRLCK (never both)
  // Another process was refused a lock here, or wants one (see
  // ReleaseKeptWalIndexLocks): keep nothing until a janitor tick finds no
  // sign of it any more.
  bool keep_paused = false;
  uint32_t conflicts = 0;          // system locks refused to this process
  uint32_t conflicts_at_tick = 0;  // at the janitor's last look
  uint8_t used_since_tick = 0;     // bytes taken since the janitor's last look
  // Sole mode (wal_index.h): every lock byte held F_WRLCK by this process
  // (os_write all set), so no lock call here makes a system call.
  bool sole = false;
  uint64_t lock_calls = 0;          // ShmLock calls, for the keeper's look
  uint64_t lock_calls_at_look = 0;  // at its last look
  Clock::time_point write_window{};  // write locks counted since then
  int writes_in_window = 0;
  Clock::time_point no_sole_before{};
  // The database file's size as read while the first reader slot was held
  // (see KnownDbSize): valid while the epoch is the one it was read in.
  uint64_t db_size_epoch = 0;  // moves when this process stops holding slot 0 shared
  uint64_t db_size_read_in = UINT64_MAX;
  sqlite3_int64 db_size = 0;
};

namespace {

size_t client_offset = 0;

// Nodes by their -shm file's device and inode: a henv's connections open
// and close their files (a node made and dropped) often, over 10,000 henvs.
struct FileId {
  dev_t dev;
  ino_t ino;
  bool operator==(const FileId&) const = default;
};
struct FileIdHash {
  size_t operator()(const FileId& id) const {
    return std::hash<uint64_t>()(static_cast<uint64_t>(id.ino) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(id.dev));
  }
};

struct Registry {
  std::mutex mu;
  // (Shared with the janitor's copy, which it walks without this mutex.)
  std::unordered_map<FileId, std::shared_ptr<WalIndexNode>, FileIdHash> nodes;

  WalIndexNode* Find(dev_t dev, ino_t ino) {
    auto it = nodes.find(FileId{dev, ino});
    return it != nodes.end() ? it->second.get() : nullptr;
  }
};
Registry& TheRegistry() {
  static Registry* registry = new Registry();  // (lives as long as the process: files close at exit)
  return *registry;
}

thread_local uint64_t system_lock_calls = 0;  // (a figure for tests)

bool SetLock(int fd, short type, int offset, int n) {
  ++system_lock_calls;
  struct flock lock{};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = kLockBase + offset;
  lock.l_len = n;
  return ::fcntl(fd, F_SETLK, &lock) == 0;
}

uint8_t MaskOf(int offset, int n) { return static_cast<uint8_t>(((1u << n) - 1u) << offset); }

// The strongest lock another process holds on byte `offset` past
// kLockBase (F_UNLCK, F_RDLCK or F_WRLCK), or -1 if it cannot be asked.
// (F_GETLK reports other processes' locks only.)
int LockHeldElsewhere(int fd, int offset) {
  struct flock probe{};
  probe.l_type = F_WRLCK;  // (conflicts with either kind)
  probe.l_whence = SEEK_SET;
  probe.l_start = kLockBase + offset;
  probe.l_len = 1;
  return ::fcntl(fd, F_GETLK, &probe) == 0 ? probe.l_type : -1;
}

// The size of one region of the index (SQLite's WALINDEX_PGSZ: its hash
// table's slots and page numbers), what xShmMap asks for.
constexpr off_t kIndexRegionBytes = 32768;

// Writes the index's first region with zeros; false if it could not all
// be written (the caller cuts the file instead).
bool ZeroRegion(int fd) {
  static const char kZeros[kIndexRegionBytes] = {};
  off_t done = 0;
  while (done < kIndexRegionBytes) {
    const ssize_t n = ::pwrite(fd, kZeros + done, static_cast<size_t>(kIndexRegionBytes - done), done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

// The first opener in any process resets the index (os_unix.c's
// unixLockSharedMemory): if no other process holds the dead-man switch,
// take it exclusive, cut the file to 3 bytes, then hold it shared.
// Except where the file is exactly one region (`size`, every henv whose
// WAL never outgrew 4,096 frames): that region is written with zeros in
// place, what the cut and the extension by xShmMap would leave (the 3
// bytes kept by the cut aside: SQLite keeps them only as a debugging aid,
// and a header of zeros is as invalid to a reader, which then rebuilds
// the index from the WAL). Why: the cut gives the file's block back and
// the extension takes one again (an ftruncate() and eight pwrite()s, each
// a journaled change of the inode): ~35 us an open on the 2-core VM
// against ~8 (bench/README.md, forty-second session), on every henv's
// first open and every reopen after it went dormant.
int TakeDeadManSwitch(int fd, off_t size) {
  const int elsewhere = LockHeldElsewhere(fd, kDeadManSwitch - kLockBase);
  if (elsewhere < 0) return SQLITE_IOERR_LOCK;
  if (elsewhere == F_WRLCK) return SQLITE_BUSY;  // another process is resetting it
  struct flock lock{};
  lock.l_whence = SEEK_SET;
  lock.l_start = kDeadManSwitch;
  lock.l_len = 1;
  if (elsewhere == F_UNLCK) {
    lock.l_type = F_WRLCK;
    if (::fcntl(fd, F_SETLK, &lock) != 0) return SQLITE_BUSY;
    if (size != kIndexRegionBytes || !ZeroRegion(fd)) {
      int rc;
      do {
        rc = ::ftruncate(fd, 3);
      } while (rc != 0 && errno == EINTR);
      if (rc != 0) return SQLITE_IOERR_SHMOPEN;
    }
  }
  lock.l_type = F_RDLCK;
  return ::fcntl(fd, F_SETLK, &lock) == 0 ? SQLITE_OK : SQLITE_BUSY;
}

int OpenShmFile(const std::string& path, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd >= 0 && fd <= 2) {
    // Never a standard stream's number (a stray write to it would land in
    // the index); nothing is locked through it yet, so closing it is safe.
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    ::close(fd);
    fd = moved;
  }
  return fd;
}

// Attaches the connection to its file's node, making it if this process
// has none. Registry mutex held by the caller.
int AttachLocked(Registry& registry, WalIndexClient& client) {
  const std::string path = std::string(client.db_path) + "-shm";
  struct stat st{};
  WalIndexNode* node = nullptr;
  if (::stat(path.c_str(), &st) == 0) node = registry.Find(st.st_dev, st.st_ino);
  if (node == nullptr) {
    struct stat db{};
    if (::stat(client.db_path, &db) != 0) return SQLITE_IOERR_FSTAT;
    const int fd = OpenShmFile(path, db.st_mode & 0777);
    if (fd < 0) {
      // Not writable here (a read-only mount, a file mode): the unix VFS's
      // methods open it read-only and read the index without writing it.
      client.unix_shm = true;
      return SQLITE_OK;
    }
    struct stat opened{};
    if (::fstat(fd, &opened) != 0) {
      ::close(fd);  // (no lock taken through it, no node of this process on it found)
      return SQLITE_IOERR_FSTAT;
    }
    node = registry.Find(opened.st_dev, opened.st_ino);
    if (node != nullptr) {
      // The same -shm by another name (a link) or made between the stat and
      // the open: closing this descriptor would drop every POSIX lock this
      // process holds on the file, so it stays open as long as the node.
      node->other_fds.push_back(fd);
    } else {
      // As the unix VFS: the database's permissions (umask aside), and its
      // owner when running as root, so that its owner can open it too.
      if (opened.st_size == 0 && (opened.st_mode & 0777) != (db.st_mode & 0777)) {
        (void)::fchmod(fd, db.st_mode & 0777);
      }
      // (Only where it differs: a chown to the same owner still changes
      // the inode, a journaled write.)
      if (::geteuid() == 0 && (opened.st_uid != db.st_uid || opened.st_gid != db.st_gid)) {
        (void)::fchown(fd, db.st_uid, db.st_gid);
      }
      if (const int rc = TakeDeadManSwitch(fd, opened.st_size); rc != SQLITE_OK) {
        ::close(fd);  // drops the dead-man switch if half taken; no node on this file here
        return rc;
      }
      auto made = std::make_shared<WalIndexNode>();
      made->dev = opened.st_dev;
      made->ino = opened.st_ino;
      made->fd = fd;
      made->path = path;
      node = made.get();
      registry.nodes.emplace(FileId{opened.st_dev, opened.st_ino}, std::move(made));
    }
  }
  ++node->refs;
  client.node = node;
  return SQLITE_OK;
}

// A connection's first call attaches it (or leaves it to the unix VFS).
int AttachOnce(WalIndexClient& client) {
  if (client.node != nullptr || client.unix_shm) return SQLITE_OK;
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mu);
  return AttachLocked(registry, client);
}

// One fcntl() for each run of adjacent bytes in `mask`.
void SetLocks(int fd, short type, uint8_t mask) {
  for (int b = 0; b < kLockBytes;) {
    if ((mask & MaskOf(b, 1)) == 0) {
      ++b;
      continue;
    }
    int end = b;
    while (end < kLockBytes && (mask & MaskOf(end, 1)) != 0) ++end;
    (void)SetLock(fd, type, b, end - b);
    b = end;
  }
}

// Lets go of the system locks on `mask`. Once slot 0 goes, another
// process may checkpoint into the database file: a size read before is
// no longer known.
void ReleaseSystemLocksLocked(WalIndexNode& node, uint8_t mask) {
  if (mask == 0) return;
  SetLocks(node.fd, F_UNLCK, mask);
  node.os_read &= static_cast<uint8_t>(~mask);
  node.os_write &= static_cast<uint8_t>(~mask);
  if ((mask & kSlotZero) != 0) ++node.db_size_epoch;
}

// Bytes held shared at the system level with no user here.
uint8_t KeptLocked(const WalIndexNode& node) {
  uint8_t kept = 0;
  for (int b = 0; b < kLockBytes; ++b) {
    if ((node.os_read & MaskOf(b, 1)) != 0 && node.shared[b] == 0) kept |= MaskOf(b, 1);
  }
  return kept;
}

void ReleaseKeptLocked(WalIndexNode& node) { ReleaseSystemLocksLocked(node, KeptLocked(node)); }

// The system refused this process a lock that no connection here holds:
// another process holds it. It may be a checkpoint that holds the write
// lock while it waits for every reader slot to be free (RESTART,
// TRUNCATE), so from now until the janitor finds it gone this process
// keeps no slot: its readers let go between reads as SQLite's own VFS's
// do, and the other process finds a moment with none.
void NoteConflictLocked(WalIndexNode& node) {
  ++node.conflicts;
  if (node.keep_paused) return;
  node.keep_paused = true;
  ReleaseKeptLocked(node);
}

// Lets go of the connection's locks among bytes [offset, offset + n) (node
// mutex held). A reader slot's byte that nobody here holds any more is kept
// shared when it was one byte alone (the reader's own lock, or the
// exclusive hold a reader takes to move its slot's mark, which its shared
// lock follows at once); every other byte nobody here holds goes.
void UnlockLocked(WalIndexNode& node, WalIndexClient& client, int offset, int n) {
  const uint8_t mask = MaskOf(offset, n);
  const uint8_t held_shared = client.shared_mask & mask;
  const uint8_t held_exclusive = client.exclusive_mask & mask;
  if ((held_shared | held_exclusive) == 0) return;
  client.shared_mask &= static_cast<uint8_t>(~held_shared);
  client.exclusive_mask &= static_cast<uint8_t>(~held_exclusive);
  node.exclusive &= static_cast<uint8_t>(~held_exclusive);
  uint8_t unused = 0;  // bytes this call leaves without a user here
  for (int b = offset; b < offset + n; ++b) {
    const uint8_t bit = MaskOf(b, 1);
    if ((held_shared & bit) != 0 && --node.shared[b] == 0) unused |= bit;
    if ((held_exclusive & bit) != 0) unused |= bit;
  }
  if (node.sole) return;  // (every byte stays held at the system level)
  const uint8_t keep = (n == 1 && Keepable(offset) && !node.keep_paused) ? unused : 0;
  const uint8_t downgrade = keep & node.os_write;
  if (downgrade != 0) {
    if (SetLock(node.fd, F_RDLCK, offset, 1)) {
      node.os_write &= static_cast<uint8_t>(~downgrade);
      node.os_read |= downgrade;
    }
  }
  // (A byte kept already shared stays as it is; a failed downgrade goes.)
  ReleaseSystemLocksLocked(node, unused & static_cast<uint8_t>(~(keep & node.os_read)));
}

// Sole mode's end: the system locks become what this process's
// connections hold (F_WRLCK where one holds a byte exclusive, F_RDLCK where
// some hold it shared, none elsewhere: kept reader slots start again from
// none). Downgrades and releases of this process's own locks cannot be
// refused. REQUIRES: node.mu, node.sole.
void LeaveSoleLocked(WalIndexNode& node) {
  uint8_t shared_bytes = 0;
  for (int b = 0; b < kLockBytes; ++b) {
    if (node.shared[b] > 0) shared_bytes |= MaskOf(b, 1);
  }
  shared_bytes &= static_cast<uint8_t>(~node.exclusive);
  const uint8_t unheld = static_cast<uint8_t>(~(node.exclusive | shared_bytes));
  node.sole = false;
  SetLocks(node.fd, F_RDLCK, shared_bytes);
  node.os_read = shared_bytes;
  node.os_write = static_cast<uint8_t>(~shared_bytes);  // (the exclusive bytes, and the unheld until released)
  ReleaseSystemLocksLocked(node, unheld);
}

// Whether another process has the file open: every SQLite connection holds
// the dead-man switch shared while it has the index mapped (F_GETLK sees
// other processes' locks only). An answer the system does not give counts
// as yes.
bool OtherProcessAttached(int fd) { return LockHeldElsewhere(fd, kDeadManSwitch - kLockBase) != F_UNLCK; }

// The keeper of sole files: a thread, made when the first file goes sole,
// that looks at each sole file every kSoleLook and sleeps while none is.
struct SoleKeeper {
  std::mutex mu;  // taken after a node's mutex, never before one
  std::condition_variable wake;
  std::vector<std::shared_ptr<WalIndexNode>> nodes;  // each looked at until it is not sole
  bool started = false;
};
SoleKeeper& TheKeeper() {
  static SoleKeeper* keeper = new SoleKeeper();  // (lives as long as the process, as its thread)
  return *keeper;
}

void KeeperLoop() {
  SoleKeeper& keeper = TheKeeper();
  std::vector<std::shared_ptr<WalIndexNode>> look;
  for (;;) {
    {
      std::unique_lock lock(keeper.mu);
      keeper.wake.wait(lock, [&] { return !keeper.nodes.empty(); });
    }
    std::this_thread::sleep_for(kSoleLook);
    {
      std::lock_guard lock(keeper.mu);
      look = keeper.nodes;
    }
    std::vector<WalIndexNode*> done;
    for (const auto& owned : look) {
      WalIndexNode& node = *owned;
      std::lock_guard lock(node.mu);
      if (node.fd >= 0 && node.sole) {
        // Another process attached (it waits for a lock byte, or will), or
        // nothing here took a lock since the last look (an idle file's
        // bytes go back to other processes within two looks).
        const bool idle = node.lock_calls == node.lock_calls_at_look;
        node.lock_calls_at_look = node.lock_calls;
        if (!idle && !OtherProcessAttached(node.fd)) continue;
        LeaveSoleLocked(node);
        node.no_sole_before = Clock::now() + kSoleRetry;
      }
      done.push_back(&node);
    }
    look.clear();
    if (done.empty()) continue;
    std::sort(done.begin(), done.end());
    std::lock_guard lock(keeper.mu);
    std::erase_if(keeper.nodes, [&](const std::shared_ptr<WalIndexNode>& n) {
      return std::binary_search(done.begin(), done.end(), n.get());
    });
  }
}

// A write lock taken here: a file written kSoleWrites times within
// kSoleWindow, by this process alone, goes sole. One F_SETLK takes every
// lock byte (refused if another process holds any: nothing changes), then
// one F_GETLK looks for another process that has the file open but holds
// no lock byte now; if there is one, the locks go back at once. Taken
// before looking, so a process that attaches meanwhile finds the bytes
// held and waits for the keeper (or is seen by the look). REQUIRES: node.mu.
void CountWriteLocked(WalIndexNode& node) {
  const auto now = Clock::now();
  if (now - node.write_window > kSoleWindow) {
    node.write_window = now;
    node.writes_in_window = 0;
  }
  if (++node.writes_in_window != kSoleWrites || node.keep_paused || now < node.no_sole_before) return;
  node.no_sole_before = now + kSoleRetry;
  // (Looked at first too, so that a process attached already never finds
  // the bytes taken for the moment between the two calls below.)
  if (OtherProcessAttached(node.fd) || !SetLock(node.fd, F_WRLCK, 0, kLockBytes)) return;
  node.sole = true;
  node.os_write = static_cast<uint8_t>(MaskOf(0, kLockBytes));
  node.os_read = 0;
  if (OtherProcessAttached(node.fd)) {
    LeaveSoleLocked(node);
    return;
  }
  node.lock_calls_at_look = node.lock_calls;
  SoleKeeper& keeper = TheKeeper();
  std::lock_guard lock(keeper.mu);
  keeper.nodes.push_back(node.shared_from_this());
  if (!keeper.started) {
    keeper.started = true;
    std::thread thread(KeeperLoop);
    NameThread(thread, "hbf-wal-keeper");
    thread.detach();
  }
  keeper.wake.notify_one();
}

}  // namespace

void SetClientOffset(size_t offset) { client_offset = offset; }

WalIndexClient* ClientOf(sqlite3_file* file) {
  return reinterpret_cast<WalIndexClient*>(reinterpret_cast<char*>(file) + client_offset);
}

int ShmMap(sqlite3_file* file, int region, int region_bytes, int extend, void volatile** out) {
  WalIndexClient& client = *ClientOf(file);
  *out = nullptr;
  if (const int rc = AttachOnce(client); rc != SQLITE_OK) return rc;
  if (client.unix_shm) return client.unix_methods->xShmMap(file, region, region_bytes, extend, out);
  if (region < 0 || region_bytes <= 0 || region_bytes % kPageBytes != 0) return SQLITE_IOERR_SHMMAP;
  WalIndexNode& node = *client.node;
  std::lock_guard lock(node.mu);
  if (node.region_bytes == 0) node.region_bytes = region_bytes;
  if (region_bytes != node.region_bytes) return SQLITE_IOERR_SHMMAP;
  if (static_cast<size_t>(region) >= node.regions.size()) {
    const off_t needed = static_cast<off_t>(region + 1) * region_bytes;
    struct stat st{};
    if (::fstat(node.fd, &st) != 0) return SQLITE_IOERR_SHMSIZE;
    if (st.st_size < needed) {
      if (extend == 0) return SQLITE_OK;  // not made yet, by anyone: *out stays null
      // One byte at the end of each new page, as the unix VFS does: the
      // pages are then allocated now, not on a first store that could
      // fault (SIGBUS) on a full disk.
      for (off_t page = st.st_size / kPageBytes; page < needed / kPageBytes; ++page) {
        ssize_t wrote;
        do {
          wrote = ::pwrite(node.fd, "", 1, page * kPageBytes + kPageBytes - 1);
        } while (wrote < 0 && errno == EINTR);
        if (wrote != 1) return SQLITE_IOERR_SHMSIZE;
      }
    }
    while (node.regions.size() <= static_cast<size_t>(region)) {
      void* mapped = ::mmap(nullptr, static_cast<size_t>(region_bytes), PROT_READ | PROT_WRITE, MAP_SHARED, node.fd,
                            static_cast<off_t>(node.regions.size()) * region_bytes);
      if (mapped == MAP_FAILED) return SQLITE_IOERR_SHMMAP;
      node.regions.push_back(mapped);
    }
  }
  *out = node.regions[static_cast<size_t>(region)];
  return SQLITE_OK;
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  WalIndexClient& client = *ClientOf(file);
  if (const int rc = AttachOnce(client); rc != SQLITE_OK) return rc;
  if (client.unix_shm) return client.unix_methods->xShmLock(file, offset, n, flags);
  if (offset < 0 || n < 1 || offset + n > kLockBytes) return SQLITE_IOERR_SHMLOCK;
  WalIndexNode& node = *client.node;
  const uint8_t mask = MaskOf(offset, n);
  std::lock_guard lock(node.mu);
  ++node.lock_calls;
  if ((flags & SQLITE_SHM_UNLOCK) != 0) {
    UnlockLocked(node, client, offset, n);
    return SQLITE_OK;
  }
  if ((flags & SQLITE_SHM_SHARED) != 0) {
    if (n != 1) return SQLITE_IOERR_SHMLOCK;  // (SQLite's shared locks are one byte)
    if ((client.shared_mask & mask) != 0) return SQLITE_OK;
    if ((node.exclusive & mask) != 0) return SQLITE_BUSY;
    if (((node.os_read | node.os_write) & mask) == 0) {
      if (!SetLock(node.fd, F_RDLCK, offset, 1)) {
        NoteConflictLocked(node);
        return SQLITE_BUSY;
      }
      node.os_read |= mask;
    }
    ++node.shared[offset];
    node.used_since_tick |= mask;
    client.shared_mask |= mask;
    return SQLITE_OK;
  }
  // Exclusive: nobody here may hold any of the bytes; the system lock
  // (taken over any kept shared one) says whether another process does.
  if ((client.exclusive_mask & mask) == mask) return SQLITE_OK;
  if ((node.exclusive & mask) != 0) return SQLITE_BUSY;
  for (int b = offset; b < offset + n; ++b) {
    if (node.shared[b] > 0) return SQLITE_BUSY;
  }
  if ((node.os_write & mask) != mask && !SetLock(node.fd, F_WRLCK, offset, n)) {
    NoteConflictLocked(node);
    return SQLITE_BUSY;
  }
  node.os_read &= static_cast<uint8_t>(~mask);
  node.os_write |= mask;
  node.exclusive |= mask;
  node.used_since_tick |= mask;
  if ((mask & kSlotZero) != 0) ++node.db_size_epoch;  // (a checkpoint here may write the file)
  client.exclusive_mask |= mask;
  if (offset == 0 && n == 1 && !node.sole) CountWriteLocked(node);  // (the write lock)
  return SQLITE_OK;
}

int ShmUnmap(sqlite3_file* file, int delete_flag) {
  WalIndexClient& client = *ClientOf(file);
  if (client.unix_shm) {
    client.unix_shm = false;
    return client.unix_methods->xShmUnmap(file, delete_flag);
  }
  if (client.node == nullptr) return SQLITE_OK;
  Registry& registry = TheRegistry();
  std::lock_guard registry_lock(registry.mu);
  WalIndexNode* node = client.node;
  {
    // (SQLite lets go of its locks before this; anything left goes now.)
    std::lock_guard lock(node->mu);
    UnlockLocked(*node, client, 0, kLockBytes);
  }
  client.node = nullptr;
  client.shared_mask = client.exclusive_mask = 0;
  if (--node->refs > 0) return SQLITE_OK;
  auto it = registry.nodes.find(FileId{node->dev, node->ino});
  const std::shared_ptr<WalIndexNode> last = it->second;  // (the janitor may hold a copy too)
  registry.nodes.erase(it);
  if (delete_flag != 0) (void)::unlink(node->path.c_str());
  std::lock_guard lock(node->mu);
  for (void* region : node->regions) ::munmap(region, static_cast<size_t>(node->region_bytes));
  node->sole = false;  // (the keeper drops it at its next look)
  // Closing drops every lock this process holds on the file, the dead-man
  // switch and any kept reader slot among them: nobody here uses it now.
  ::close(node->fd);
  node->fd = -1;
  for (int fd : node->other_fds) ::close(fd);
  return SQLITE_OK;
}

bool KnownDbSize(const WalIndexClient& client, sqlite3_int64* size, uint64_t* epoch) {
  *epoch = kNoDbSizeEpoch;
  if (client.node == nullptr || (client.shared_mask & kSlotZero) == 0) return false;
  WalIndexNode& node = *client.node;
  std::lock_guard lock(node.mu);
  *epoch = node.db_size_epoch;
  if (node.db_size_read_in != node.db_size_epoch) return false;
  *size = node.db_size;
  return true;
}

std::atomic<size_t> db_sizes_read{0};  // (a figure for tests)

void RememberDbSize(const WalIndexClient& client, uint64_t epoch, sqlite3_int64 size) {
  if (epoch == kNoDbSizeEpoch || client.node == nullptr) return;
  db_sizes_read.fetch_add(1, std::memory_order_relaxed);
  WalIndexNode& node = *client.node;
  std::lock_guard lock(node.mu);
  if (node.db_size_epoch != epoch) return;
  node.db_size = size;
  node.db_size_read_in = epoch;
}

size_t DbSizesReadForTesting() { return db_sizes_read.load(std::memory_order_relaxed); }

uint64_t SystemLockCallsOnThisThreadForTesting() { return system_lock_calls; }

namespace {
// `count` of each node, added up (for the figures tests read).
template <typename Count>
size_t SumOverNodes(Count count) {
  Registry& registry = TheRegistry();
  std::lock_guard registry_lock(registry.mu);
  size_t sum = 0;
  for (auto& [id, node] : registry.nodes) {
    std::lock_guard lock(node->mu);
    sum += count(*node);
  }
  return sum;
}
}  // namespace

size_t SoleWalIndexFilesForTesting() {
  return SumOverNodes([](const WalIndexNode& node) -> size_t { return node.sole ? 1 : 0; });
}

size_t KeptWalIndexLocksForTesting() {
  return SumOverNodes(
      [](const WalIndexNode& node) { return static_cast<size_t>(__builtin_popcount(KeptLocked(node))); });
}

}  // namespace internal

void ReleaseKeptWalIndexLocks() {
  // The nodes as they are now, walked without the registry's mutex (its
  // system calls must not hold up files opening and closing).
  std::vector<std::shared_ptr<internal::WalIndexNode>> nodes;
  {
    internal::Registry& registry = internal::TheRegistry();
    std::lock_guard registry_lock(registry.mu);
    nodes.reserve(registry.nodes.size());
    for (auto& [id, node] : registry.nodes) nodes.push_back(node);
  }
  for (const auto& owned : nodes) {
    internal::WalIndexNode& node = *owned;
    std::lock_guard lock(node.mu);
    if (node.fd < 0) continue;  // (its last connection closed it since the copy)
    if (node.sole) {
      node.used_since_tick = 0;  // (the keeper looks after it; it keeps no slot)
      continue;
    }
    // A slot kept and not taken since the last look goes; one in use stays
    // (its next reader would take it again at once).
    const uint8_t kept = internal::KeptLocked(node);
    const uint8_t stale = kept & static_cast<uint8_t>(~node.used_since_tick);
    node.used_since_tick = 0;
    internal::ReleaseSystemLocksLocked(node, stale);
    const bool quiet = node.conflicts == node.conflicts_at_tick;
    node.conflicts_at_tick = node.conflicts;
    if ((kept & ~stale) == 0 && !node.keep_paused) continue;
    // A file that keeps slots in use, or stopped keeping them: is another
    // process holding the write lock now (a writer, or a checkpoint waiting
    // for every slot to be free)? One F_GETLK a tick for each such file. If
    // so, or if this process was refused a lock since the last look, keep
    // nothing until the next look finds neither.
    const bool writer_elsewhere = internal::LockHeldElsewhere(node.fd, /*the write lock*/ 0) != F_UNLCK;
    node.keep_paused = writer_elsewhere || !quiet;
    if (node.keep_paused) internal::ReleaseKeptLocked(node);
  }
}

}  // namespace hbf::db
