// Test support: a tiny SMTP server on a loopback port that accepts every
// message and keeps it, standing in for a mail relay.
//
// Thread safety: one accepting thread; messages() and count() may be called
// from the test thread at any time.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hbf::test {

class SmtpSink {
 public:
  struct Message {
    std::string from;  // MAIL FROM address
    std::string to;    // RCPT TO address
    std::string data;  // what came after DATA (dot-unstuffed, CRLF kept)
  };

  SmtpSink();  // listens on 127.0.0.1, a free port
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<Message> messages() const;

 private:
  void Serve();
  void Session(int fd);

  int listener_ = -1;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::vector<Message> messages_;  // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::thread thread_;
};

}  // namespace hbf::test
