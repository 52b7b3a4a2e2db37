// Specification of log line formatting and log setting parsing.
#include "core/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <string>

#include "core/json.h"

namespace hbf {
namespace {

// Parses a JSON log line, requiring exactly one trailing newline.
Json ParseJsonLine(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n') << line;
  std::string body = line.substr(0, line.size() - 1);
  EXPECT_EQ(body.find('\n'), std::string::npos) << "exactly one line: " << line;
  auto r = Json::Parse(body);
  EXPECT_TRUE(r.ok()) << line << (r.ok() ? "" : " -> " + r.error().message);
  if (!r.ok()) return Json();
  EXPECT_TRUE(r->is_object());
  return r.value();
}

bool IsIsoTimestamp(const std::string& s) {
  static const std::regex kIso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  return std::regex_match(s, kIso);
}

AccessRecord SampleAccess() {
  AccessRecord a;
  a.henv = "5h9h66rt";
  a.method = "POST";
  a.path = "/api/items";
  a.status = 201;
  a.duration_ms = 12.3456;
  a.user_id = "u_123";
  a.remote_addr = "203.0.113.7";
  a.bytes_sent = 512;
  return a;
}

// -------------------------------------------------------------- JSON lines

TEST(FormatLogLineJson, PlainMessageHasTimestampLevelAndMsg) {
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kWarn, "disk almost full", {}, nullptr));
  ASSERT_NE(j.find("timestamp"), nullptr);
  ASSERT_TRUE(j.find("timestamp")->is_string());
  EXPECT_TRUE(IsIsoTimestamp(j.find("timestamp")->as_string())) << j.find("timestamp")->as_string();
  ASSERT_NE(j.find("level"), nullptr);
  EXPECT_EQ(j.find("level")->as_string(), "warn");
  ASSERT_NE(j.find("msg"), nullptr);
  EXPECT_EQ(j.find("msg")->as_string(), "disk almost full");
  EXPECT_EQ(j.find("henv"), nullptr) << "henv is omitted when not set";
  EXPECT_EQ(j.find("status"), nullptr) << "access fields only on access lines";
}

TEST(FormatLogLineJson, TimestampComesFirst) {
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, "x", {}, nullptr));
  ASSERT_FALSE(j.as_object().empty());
  EXPECT_EQ(j.as_object()[0].first, "timestamp");
  EXPECT_EQ(j.as_object()[1].first, "level");
}

TEST(FormatLogLineJson, EveryLevelIsNamed) {
  const std::pair<LogLevel, const char*> levels[] = {
      {LogLevel::kDebug, "debug"}, {LogLevel::kInfo, "info"}, {LogLevel::kWarn, "warn"}, {LogLevel::kError, "error"}};
  for (const auto& [level, name] : levels) {
    Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, level, "m", {}, nullptr));
    EXPECT_EQ(j.find("level")->as_string(), name);
  }
}

TEST(FormatLogLineJson, HenvIsIncludedWhenSet) {
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kError, "script failed", "5h9h66rt", nullptr));
  ASSERT_NE(j.find("henv"), nullptr);
  EXPECT_EQ(j.find("henv")->as_string(), "5h9h66rt");
  EXPECT_EQ(j.find("msg")->as_string(), "script failed");
}

TEST(FormatLogLineJson, AccessLineHasEveryAccessField) {
  AccessRecord a = SampleAccess();
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, {}, a.henv, &a));
  EXPECT_TRUE(IsIsoTimestamp(j.find("timestamp")->as_string()));
  EXPECT_EQ(j.find("level")->as_string(), "info");
  EXPECT_EQ(j.find("henv")->as_string(), "5h9h66rt");
  EXPECT_EQ(j.find("method")->as_string(), "POST");
  EXPECT_EQ(j.find("path")->as_string(), "/api/items");
  ASSERT_TRUE(j.find("status")->is_int());
  EXPECT_EQ(j.find("status")->as_int(), 201);
  ASSERT_TRUE(j.find("duration_ms")->is_number());
  EXPECT_NEAR(j.find("duration_ms")->as_double(), 12.346, 0.0011);
  EXPECT_EQ(j.find("user_id")->as_string(), "u_123");
  EXPECT_EQ(j.find("remote_addr")->as_string(), "203.0.113.7");
  EXPECT_EQ(j.find("bytes")->as_int(), 512);
  EXPECT_EQ(j.find("msg"), nullptr) << "an access line without a message has no msg";
}

TEST(FormatLogLineJson, UnauthenticatedUserIdIsNull) {
  AccessRecord a = SampleAccess();
  a.user_id = {};
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, {}, a.henv, &a));
  ASSERT_NE(j.find("user_id"), nullptr) << "user_id is always present on access lines";
  EXPECT_TRUE(j.find("user_id")->is_null());
}

TEST(FormatLogLineJson, ApexAccessLineOmitsHenv) {
  AccessRecord a = SampleAccess();
  a.henv = {};
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, {}, a.henv, &a));
  EXPECT_EQ(j.find("henv"), nullptr);
  EXPECT_EQ(j.find("status")->as_int(), 201);
}

TEST(FormatLogLineJson, AccessLineMayCarryAMessage) {
  AccessRecord a = SampleAccess();
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, "slow", a.henv, &a));
  EXPECT_EQ(j.find("msg")->as_string(), "slow");
  EXPECT_EQ(j.find("status")->as_int(), 201);
}

TEST(FormatLogLineJson, ZeroAndLargeDurationsAreNumbers) {
  AccessRecord a = SampleAccess();
  for (double d : {0.0, 0.0004, 999999.5}) {
    a.duration_ms = d;
    Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, {}, a.henv, &a));
    ASSERT_TRUE(j.find("duration_ms")->is_number()) << d;
    EXPECT_NEAR(j.find("duration_ms")->as_double(), d, 0.001);
  }
}

TEST(FormatLogLineJson, HostileStringsAreEscapedAndStayOnOneLine) {
  AccessRecord a = SampleAccess();
  a.method = "GET\"\n";
  a.path = "/a\"b\\c\nd\r\t\x01";
  a.user_id = "evil\"user\n";
  a.remote_addr = "::1";
  std::string message = "line one\nline two \"quoted\" \\ \x1b[31m";
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kError, message, "hen\"v\n", &a));
  EXPECT_EQ(j.find("method")->as_string(), "GET\"\n");
  EXPECT_EQ(j.find("path")->as_string(), "/a\"b\\c\nd\r\t\x01");
  EXPECT_EQ(j.find("user_id")->as_string(), "evil\"user\n");
  EXPECT_EQ(j.find("henv")->as_string(), "hen\"v\n");
  EXPECT_EQ(j.find("msg")->as_string(), message);
}

TEST(FormatLogLineJson, InvalidUtf8InMessageStillProducesValidJson) {
  Json j = ParseJsonLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, "bad \xFF\xFE bytes", {}, nullptr));
  EXPECT_EQ(j.find("msg")->as_string(), "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

// -------------------------------------------------------------- text lines

TEST(FormatLogLineText, IsOneLineWithTimestampLevelAndMessage) {
  std::string line = FormatLogLine(LogFormat::kText, LogLevel::kWarn, "hello there", {}, nullptr);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  ASSERT_GT(line.size(), 24u);
  EXPECT_TRUE(IsIsoTimestamp(line.substr(0, 24))) << line;
  EXPECT_NE(line.find(" warn "), std::string::npos) << line;
  EXPECT_NE(line.find("hello there"), std::string::npos) << line;
}

TEST(FormatLogLineText, NewlinesInMessagesAreReplaced) {
  std::string line = FormatLogLine(LogFormat::kText, LogLevel::kError, "first\nsecond\r\nthird", {}, nullptr);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "only the terminating newline";
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_NE(line.find("first"), std::string::npos);
  EXPECT_NE(line.find("second"), std::string::npos);
  EXPECT_NE(line.find("third"), std::string::npos);
}

TEST(FormatLogLineText, HenvIsShownWhenSet) {
  std::string line = FormatLogLine(LogFormat::kText, LogLevel::kInfo, "m", "5h9h66rt", nullptr);
  EXPECT_NE(line.find("5h9h66rt"), std::string::npos) << line;
  std::string without = FormatLogLine(LogFormat::kText, LogLevel::kInfo, "m", {}, nullptr);
  EXPECT_EQ(without.find('['), std::string::npos) << without;
}

TEST(FormatLogLineText, AccessLineShowsTheRequestSummary) {
  AccessRecord a = SampleAccess();
  std::string line = FormatLogLine(LogFormat::kText, LogLevel::kInfo, {}, a.henv, &a);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  for (const char* part : {"5h9h66rt", "POST", "/api/items", "201", "203.0.113.7", "512", "12.346", "u_123"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " missing from: " << line;
  }
}

TEST(FormatLogLineText, AnonymousAccessLineHasNoUser) {
  AccessRecord a = SampleAccess();
  a.user_id = {};
  std::string line = FormatLogLine(LogFormat::kText, LogLevel::kInfo, {}, a.henv, &a);
  EXPECT_EQ(line.find("user="), std::string::npos) << line;
}

// ------------------------------------------------------------ level / format

TEST(ParseLogLevel, AcceptsTheFourLevelsAndWarning) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
}

TEST(ParseLogLevel, RejectsAnythingElse) {
  for (const char* s : {"", "DEBUG", "Info", "trace", "fatal", "err", " info", "info "}) {
    EXPECT_FALSE(ParseLogLevel(s).has_value()) << "'" << s << "'";
  }
}

TEST(ParseLogLevel, NamesRoundTrip) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    EXPECT_EQ(ParseLogLevel(LogLevelName(level)), level);
  }
}

TEST(ParseLogFormat, AcceptsTextAndJson) {
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
}

TEST(ParseLogFormat, RejectsAnythingElse) {
  for (const char* s : {"", "JSON", "Text", "xml", "logfmt", "json "}) {
    EXPECT_FALSE(ParseLogFormat(s).has_value()) << "'" << s << "'";
  }
}

// --------------------------------------------------------- configured output

class LogOutputTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pipe(fds_), 0); }
  void TearDown() override {
    ConfigureLogging(LogLevel::kInfo, LogFormat::kText, 2);
    close(fds_[0]);
    close(fds_[1]);
  }
  std::string Drain() {
    close(fds_[1]);
    fds_[1] = -1;
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds_[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    fds_[1] = dup(fds_[0]);  // keep TearDown's close() harmless
    return out;
  }
  int fds_[2] = {-1, -1};
};

TEST_F(LogOutputTest, MessagesBelowTheConfiguredLevelAreDropped) {
  ConfigureLogging(LogLevel::kWarn, LogFormat::kJson, fds_[1]);
  EXPECT_FALSE(LogEnabled(LogLevel::kDebug));
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_TRUE(LogEnabled(LogLevel::kWarn));
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
  Log(LogLevel::kInfo, "dropped");
  Log(LogLevel::kError, "kept", "5h9h66rt");
  AccessRecord a = SampleAccess();
  LogAccess(a);  // access lines are info: dropped at warn
  std::string out = Drain();
  EXPECT_EQ(out.find("dropped"), std::string::npos);
  Json j = ParseJsonLine(out);
  EXPECT_EQ(j.find("msg")->as_string(), "kept");
  EXPECT_EQ(j.find("henv")->as_string(), "5h9h66rt");
  EXPECT_EQ(j.find("level")->as_string(), "error");
}

TEST_F(LogOutputTest, AccessLinesAreWrittenAtInfo) {
  ConfigureLogging(LogLevel::kInfo, LogFormat::kJson, fds_[1]);
  AccessRecord a = SampleAccess();
  LogAccess(a);
  Json j = ParseJsonLine(Drain());
  EXPECT_EQ(j.find("level")->as_string(), "info");
  EXPECT_EQ(j.find("henv")->as_string(), "5h9h66rt");
  EXPECT_EQ(j.find("status")->as_int(), 201);
}

TEST_F(LogOutputTest, TextFormatIsUsedWhenConfigured) {
  ConfigureLogging(LogLevel::kDebug, LogFormat::kText, fds_[1]);
  Log(LogLevel::kDebug, "a\nb");
  std::string out = Drain();
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  EXPECT_NE(out.find(" debug "), std::string::npos) << out;
  EXPECT_NE(out.find("a b"), std::string::npos) << out;
}

}  // namespace
}  // namespace hbf
