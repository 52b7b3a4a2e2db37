// WebSocket echo load for bench.py's ws_echo scenario (wrk speaks no
// WebSocket): N connections on one epoll thread, each in a closed loop -
// send one masked text message, wait for the whole echo, send the next -
// for D seconds. Prints one JSON line: messages/s, round-trip p50/p99 (ms),
// errors. The same client measures every server, so the ratio is fair even
// where the client, not the server, is the limit (it says so: `client_cpu`).
//
//   ws_echo_load PORT HOST PATH CONNECTIONS SECONDS
//
// Build: g++ -O2 -std=c++20 -o ws_echo_load ws_echo_load.cpp (bench.py does).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  bool open = false;  // the 101 arrived
  std::string in;
  Clock::time_point sent{};
};

std::string Frame(const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x81));  // FIN, text
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

// Length of the first complete server frame in `in`, or 0 when incomplete.
size_t FrameLength(const std::string& in) {
  if (in.size() < 2) return 0;
  const auto b1 = static_cast<uint8_t>(in[1]);
  size_t header = 2;
  uint64_t len = b1 & 0x7f;
  if (len == 126) {
    if (in.size() < 4) return 0;
    len = (static_cast<uint64_t>(static_cast<uint8_t>(in[2])) << 8) | static_cast<uint8_t>(in[3]);
    header = 4;
  } else if (len == 127) {
    if (in.size() < 10) return 0;
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<uint8_t>(in[static_cast<size_t>(i)]);
    header = 10;
  }
  if (b1 & 0x80) header += 4;
  return in.size() >= header + len ? header + len : 0;
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

double CpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: ws_echo_load PORT HOST PATH CONNECTIONS SECONDS\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string host = argv[2];
  const std::string path = argv[3];
  const int count = std::max(1, std::atoi(argv[4]));
  const int seconds = std::max(1, std::atoi(argv[5]));
  const std::string upgrade = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::string message = Frame("hello, echo server: 32 bytes...");

  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    Conn& c = conns[static_cast<size_t>(i)];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || !SendAll(c.fd, upgrade)) {
      std::printf("{\"error\":\"connect failed\"}\n");
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }

  std::vector<double> rtt_ms;
  rtt_ms.reserve(1 << 20);
  uint64_t messages = 0;
  uint64_t errors = 0;
  const double cpu_before = CpuSeconds();
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  char buf[65536];
  std::vector<epoll_event> events(256);
  while (Clock::now() < end) {
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int e = 0; e < n; ++e) {
      Conn& c = conns[events[static_cast<size_t>(e)].data.u32];
      const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0) {
        ++errors;
        ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        continue;
      }
      c.in.append(buf, static_cast<size_t>(got));
      if (!c.open) {
        const size_t head = c.in.find("\r\n\r\n");
        if (head == std::string::npos) continue;
        if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
          ++errors;
          ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
          continue;
        }
        c.in.erase(0, head + 4);
        c.open = true;
        c.sent = Clock::now();
        SendAll(c.fd, message);
      }
      while (size_t len = FrameLength(c.in)) {
        const int opcode = static_cast<uint8_t>(c.in[0]) & 0x0f;
        c.in.erase(0, len);
        if (opcode != 1 && opcode != 2) continue;  // pings and the like
        const auto now = Clock::now();
        ++messages;
        rtt_ms.push_back(std::chrono::duration<double, std::milli>(now - c.sent).count());
        c.sent = now;
        if (now < end && !SendAll(c.fd, message)) ++errors;
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu_before;
  std::sort(rtt_ms.begin(), rtt_ms.end());
  auto pct = [&](double q) {
    return rtt_ms.empty() ? 0.0 : rtt_ms[std::min(rtt_ms.size() - 1, static_cast<size_t>(q * static_cast<double>(rtt_ms.size())))];
  };
  std::printf("{\"messages_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"errors\":%llu,\"client_cpu\":%.2f}\n",
              static_cast<double>(messages) / elapsed, pct(0.5), pct(0.99), static_cast<unsigned long long>(errors),
              cpu / elapsed);
  for (Conn& c : conns) ::close(c.fd);
  ::close(ep);
  return 0;
}
