#include "lifecycle/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace hbf::lifecycle {

ScratchFile::~ScratchFile() {
  if (!path_.empty()) RemoveDatabaseFiles(path_);
}

void RemoveDatabaseFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

Status FsyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::Internal("cannot open " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error::Internal("cannot fsync " + path + ": " + std::strerror(errno));
  return Ok{};
}

void FsyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

Result<std::string> MakeScratchFile(const std::string& dir) {
  std::string name = dir + "/.hbf-scratch-XXXXXX";
  std::vector<char> buffer(name.begin(), name.end());
  buffer.push_back('\0');
  int fd = ::mkstemp(buffer.data());  // mode 0600
  if (fd < 0) return Error::Internal("cannot create a scratch file in " + dir + ": " + std::strerror(errno));
  ::close(fd);
  return std::string(buffer.data());
}

namespace {

Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::Internal(std::string("write failed: ") + std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Ok{};
}

}  // namespace

Result<std::string> MakeScratchCopy(const std::string& source, const std::string& dir) {
  int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Error{"not_found", "cannot read " + source + ": " + std::strerror(errno), 404};
  auto made = MakeScratchFile(dir);
  if (!made.ok()) {
    ::close(in);
    return made;
  }
  ScratchFile scratch(*made);
  int out = ::open(made->c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (out < 0) {
    ::close(in);
    return Error::Internal("cannot write " + *made + ": " + std::strerror(errno));
  }
  Status status = Ok{};
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Error::Internal("cannot read " + source + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    status = WriteAll(out, buffer, static_cast<size_t>(n));
    if (!status.ok()) break;
  }
  ::close(in);
  ::close(out);
  if (!status.ok()) return status.error();
  scratch.Release();
  return *made;
}

Result<std::string> WriteScratchFile(const std::string& bytes, const std::string& dir) {
  auto made = MakeScratchFile(dir);
  if (!made.ok()) return made;
  ScratchFile scratch(*made);
  int out = ::open(made->c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (out < 0) return Error::Internal("cannot write " + *made + ": " + std::strerror(errno));
  Status status = WriteAll(out, bytes.data(), bytes.size());
  ::close(out);
  if (!status.ok()) return status.error();
  scratch.Release();
  return *made;
}

}  // namespace hbf::lifecycle
