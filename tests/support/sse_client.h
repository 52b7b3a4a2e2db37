// Test support: a small blocking client for a streamed response - Server-
// Sent Events over a chunked (or close-delimited) body - for black-box tests
// of /_api/realtime and of streamed bodies in general.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/http_client.h"

namespace hbf::test {

struct SseEvent {
  std::string event = "message";
  std::string data;
};

class SseClient {
 public:
  // Sends GET `path` to `host` and reads the head of the answer.
  SseClient(uint16_t port, const std::string& host, const std::string& path,
            std::vector<std::pair<std::string, std::string>> headers = {}, bool http10 = false);

  int status() const { return status_; }
  std::optional<std::string> header(const std::string& lower_name) const;
  // For an answer that is not a stream: its body (Content-Length framed).
  const std::string& error_body() const { return error_body_; }

  // The next event (comments skipped), or nullopt after `timeout` or at the
  // end of the body.
  std::optional<SseEvent> Next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The body's decoded bytes so far, comments included (for framing tests).
  const std::string& raw() const { return decoded_; }
  // Reads until the decoded body contains `needle` (or timeout / end).
  bool WaitForRaw(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The body ended (last chunk, or the server closed a close-delimited body).
  bool ended() const { return ended_; }
  // Hangs up (the server notices and ends the stream).
  void Close();

 private:
  bool Read(std::chrono::milliseconds timeout);  // more bytes into wire_; false on timeout/EOF
  void Decode();                                  // wire_ -> decoded_ (chunks)

  RawConnection conn_;
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string error_body_;
  bool chunked_ = false;
  bool ended_ = false;
  std::string wire_;     // received, not decoded yet
  std::string decoded_;  // body bytes
  size_t parsed_ = 0;    // into decoded_: events before it were returned
};

}  // namespace hbf::test
