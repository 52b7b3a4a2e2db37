#include "http/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace hbf {

bool IsIpv6(const std::string& address) { return address.find(':') != std::string::npos; }

int BindNumeric(int fd, const std::string& address, uint16_t port) {
  int rc;
  if (IsIpv6(address)) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    inet_pton(AF_INET6, address.c_str(), &addr.sin6_addr);
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  return rc == 0 ? 0 : errno;
}

std::string DescribeBindError(int err) {
  if (err == EADDRINUSE) return "address already in use";
  if (err == EACCES) return "permission denied";
  if (err == EADDRNOTAVAIL) return "address not available on this machine";
  return std::strerror(err);
}

}  // namespace hbf
