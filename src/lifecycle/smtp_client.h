// A minimal SMTP client for one job: handing a plain-text message to a mail
// relay on the same machine or network (smtp://host:port, no TLS, no AUTH),
// which does the real delivery. Debian's libcurl speaks SMTP, but its static
// library pulls in LDAP, Kerberos, RTMP and TLS stacks that have no static
// builds in Debian, and hbf must link fully static (DECISIONS.md §1); the
// dialogue needed here (EHLO, MAIL, RCPT, DATA, QUIT) is a few dozen lines.
//
// The host must be numeric (or "localhost"): hbf never resolves names.
//
// Thread safety: free functions; each call uses its own socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.h"

namespace hbf::lifecycle {

struct SmtpTarget {
  std::string host;  // numeric IPv4 / IPv6
  uint16_t port = 25;
};

// Parses "smtp://HOST[:PORT]" (HOST numeric, [v6] in brackets, or
// "localhost" = 127.0.0.1). 400 "invalid_field" otherwise.
Result<SmtpTarget> ParseSmtpUrl(const std::string& url);

struct MailMessage {
  std::string from;     // envelope and From: header (an address)
  std::string to;       // one recipient address
  std::string subject;  // one line
  std::string body;     // plain text; lines are dot-stuffed and CRLF-ended here
};

// Delivers `message` to the relay. 502 "smtp_failed" with the relay's reply
// or the socket error; each read and write is bounded by `timeout`.
Status SendMail(const SmtpTarget& target, const MailMessage& message,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace hbf::lifecycle
