#include "support/hbf_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace hbf::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> ToArgv(std::vector<std::string>& strings) {
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

std::vector<std::string> MinimalEnv(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env = {"PATH=/usr/bin:/bin"};
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::optional<int> WaitPid(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (r < 0) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

std::string HbfBinary() {
  // HBF_TEST_BINARY runs the black-box suites against another build (A/B).
  if (const char* other = std::getenv("HBF_TEST_BINARY"); other != nullptr && *other != '\0') return other;
  return HBF_BINARY_PATH;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "hbf-test-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunResult RunHbf(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                 std::chrono::milliseconds timeout) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return {};
  std::vector<std::string> argv_strings = {HbfBinary()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  auto env_strings = MinimalEnv(env);
  auto argv = ToArgv(argv_strings);
  auto envp = ToArgv(env_strings);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult result;
  auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && Clock::now() < deadline) {
    if (::poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  auto remaining = std::max(Clock::duration::zero(), deadline - Clock::now());
  auto code = WaitPid(pid, std::chrono::duration_cast<std::chrono::milliseconds>(remaining) +
                               std::chrono::milliseconds(100));
  if (!code) {
    ::kill(pid, SIGKILL);
    code = WaitPid(pid, std::chrono::seconds(5));
  }
  result.exit_code = code.value_or(-1);
  return result;
}

HbfProcess::HbfProcess(Options options) : options_(std::move(options)) {
  if (options_.storage_dir.empty()) {
    own_storage_.emplace();
    storage_dir_ = own_storage_->path();
  } else {
    storage_dir_ = options_.storage_dir;
  }
}

HbfProcess::~HbfProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    WaitPid(pid_, std::chrono::seconds(5));
  }
  if (reader_.joinable()) reader_.join();
}

bool HbfProcess::Start(std::chrono::milliseconds timeout) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return false;
  std::vector<std::string> argv_strings = {options_.chroot_dir.empty() ? HbfBinary() : "/hbf", "--port", "0",
                                           "--storage_dir", storage_dir_};
  argv_strings.insert(argv_strings.end(), options_.extra_args.begin(), options_.extra_args.end());
  argv_strings.insert(argv_strings.begin(), options_.launcher.begin(), options_.launcher.end());
  auto env_strings = MinimalEnv(options_.env);
  auto argv = ToArgv(argv_strings);
  auto envp = ToArgv(env_strings);
  std::string chroot_dir = options_.chroot_dir;
  pid_ = ::fork();
  if (pid_ == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(err_pipe[1], 2);
    if (!chroot_dir.empty() && (::chroot(chroot_dir.c_str()) != 0 || ::chdir("/") != 0)) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  stderr_fd_ = err_pipe[0];
  reader_ = std::thread([this] {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(stderr_fd_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard lock(mu_);
      logs_.append(buf, static_cast<size_t>(n));
    }
    ::close(stderr_fd_);
  });

  // "... listening on http://127.0.0.1:PORT (..."
  auto find_port = [](const std::string& logs) -> int {
    size_t at = logs.find("listening on http://");
    if (at == std::string::npos) return -1;
    size_t end = logs.find(' ', at + 20);
    if (end == std::string::npos) return -1;
    size_t colon = logs.rfind(':', end);
    if (colon == std::string::npos || colon < at) return -1;
    return std::atoi(logs.substr(colon + 1, end - colon - 1).c_str());
  };
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      if (int p = find_port(logs_); p > 0) {
        port_ = static_cast<uint16_t>(p);
        return true;
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void HbfProcess::Signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> HbfProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  exit_code_ = WaitPid(pid_, timeout);
  return exit_code_;
}

std::string HbfProcess::logs() const {
  std::lock_guard lock(mu_);
  return logs_;
}

bool HbfProcess::WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (logs().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace hbf::test
