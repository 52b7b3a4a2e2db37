// A file descriptor owned by one scope: closed on destruction, movable, not
// copyable. For the blocking clients and readers (the healthcheck, SMTP and
// domain-token clients, the henv log reader); the I/O loops own their
// sockets through their connections instead.
//
// Thread safety: as an int; one owner at a time.
#pragma once

#include <unistd.h>

#include <utility>

namespace hbf {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace hbf
