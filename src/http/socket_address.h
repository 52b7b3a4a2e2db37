// Internal to src/http: binding a socket to a numeric address, and saying
// why it failed in words an operator acts on.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace hbf {

// Binds `fd` to `address` (numeric IPv4 or IPv6, as --bind accepts) and
// `port`. Returns 0, or the errno of the failure.
int BindNumeric(int fd, const std::string& address, uint16_t port);
// "address already in use", "permission denied", ... for a bind's errno.
std::string DescribeBindError(int err);
bool IsIpv6(const std::string& address);

}  // namespace hbf
