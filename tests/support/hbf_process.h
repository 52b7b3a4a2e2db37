// Test support: runs the real hbf binary as a child process.
//
// The server is started with --port 0 and the port it bound is read from its
// "listening on" log line, so tests never race for a free port. stderr is
// collected on a reader thread for assertions on log output.
//
// Thread safety: one test thread drives an HbfProcess; logs() may be called
// while the reader thread appends.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hbf::test {

// Path of the hbf binary under test (set by CMake).
std::string HbfBinary();

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs hbf to completion (for --help, hash, bad flags). Bounded by `timeout`.
RunResult RunHbf(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

class HbfProcess {
 public:
  struct Options {
    std::vector<std::string> extra_args;      // appended after --port 0 --storage_dir DIR
    std::map<std::string, std::string> env;   // added to a minimal environment
    std::string chroot_dir;                   // when set: chroot here and exec /hbf (needs root)
    std::string storage_dir;                  // default: a fresh temp dir
    // When set: exec this command line (argv[0] an absolute path) with hbf's
    // own command line appended, e.g. a wrapper that mounts a small file
    // system first and then execs "$@" (the child's pid stays hbf's).
    std::vector<std::string> launcher = {};
  };

  HbfProcess() : HbfProcess(Options{}) {}
  explicit HbfProcess(Options options);
  ~HbfProcess();  // SIGKILLs the child if it is still running
  HbfProcess(const HbfProcess&) = delete;
  HbfProcess& operator=(const HbfProcess&) = delete;

  // Starts the child and waits (bounded) for its listening line. False on
  // failure; logs() then says why.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& storage_dir() const { return storage_dir_; }

  void Signal(int sig) const;
  // Waits for exit; returns the exit code (128+signal when killed), or
  // nullopt on timeout.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);

  std::string logs() const;
  // Waits (bounded) until stderr contains `needle`.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  Options options_;
  std::optional<TempDir> own_storage_;
  std::string storage_dir_;
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  uint16_t port_ = 0;
  std::optional<int> exit_code_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string logs_;  // guarded by mu_
};

}  // namespace hbf::test
