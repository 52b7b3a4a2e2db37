// Specification of hbf's command line and environment parsing.
#include "core/config.h"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hbf {
namespace {

using Env = std::map<std::string, std::string>;

EnvLookup EnvFrom(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// Parses `hbf <args...>` with the given environment.
Result<Invocation> Parse(std::vector<std::string> args, Env env = {}) {
  args.insert(args.begin(), "hbf");
  return ParseCommandLine(args, EnvFrom(std::move(env)));
}

// Parses and requires success; returns the config.
Config ParseOk(std::vector<std::string> args, Env env = {}) {
  auto r = Parse(std::move(args), std::move(env));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return Config{};
  return r.value().config;
}

// Asserts a usage error (exit status 2) whose message mentions `needle`.
void ExpectUsageError(const std::vector<std::string>& args, const std::string& needle, Env env = {}) {
  auto r = Parse(args, std::move(env));
  ASSERT_FALSE(r.ok()) << "expected an error for args starting with '" << (args.empty() ? "" : args[0]) << "'";
  EXPECT_EQ(r.error().http_status, 2) << "usage errors exit with status 2";
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "message '" << r.error().message << "' should mention '" << needle << "'";
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << "error message is one line";
}

// ---------------------------------------------------------------- defaults

TEST(ConfigDefaults, NoArgumentsAndEmptyEnvironmentGiveEveryDocumentedDefault) {
  auto r = Parse({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kServe);
  EXPECT_EQ(r->hash_input, "");
  const Config& c = r->config;
  EXPECT_EQ(c.port, 5309);
  EXPECT_EQ(c.bind, "127.0.0.1");
  EXPECT_EQ(c.storage_dir, "./henvs");
  EXPECT_EQ(c.base_domain, "localhost");
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_EQ(c.log_format, LogFormat::kText);
  EXPECT_FALSE(c.dev);
  EXPECT_EQ(c.db_max_open, 1000);
  EXPECT_EQ(c.qjs_mem_mb, 64);
  EXPECT_EQ(c.qjs_timeout_ms, 5000);
  EXPECT_EQ(c.num_threads, 0) << "0: 4 handler threads per core, at least 8";
  EXPECT_EQ(c.running_threads, 0) << "0: one running handler thread per core";
  EXPECT_EQ(c.resolved_running_threads(6), 6);
  EXPECT_EQ(c.http_threads, 0) << "0: one I/O loop per core";
  EXPECT_EQ(c.js_workers_per_henv, 0) << "0: one per core, at least 4";
  EXPECT_EQ(c.max_connections, 100000);
  EXPECT_EQ(c.max_connections_per_ip, 4096);
  EXPECT_EQ(c.max_header_kb, 32);
  EXPECT_EQ(c.max_headers, 100);
  EXPECT_EQ(c.header_timeout_ms, 10000);
  EXPECT_EQ(c.keep_alive_timeout_ms, 15000);
  EXPECT_EQ(c.send_timeout_ms, 30000);
  EXPECT_EQ(c.min_body_rate, 1024);
  EXPECT_EQ(c.max_body_mb, 10);
  EXPECT_FALSE(c.trust_proxy);
  EXPECT_EQ(c.drain_timeout_ms, 10000);
  EXPECT_EQ(c.new_token, "") << "no token: POST /new is open";
  EXPECT_EQ(c.henv_log_kb, 512);
  EXPECT_EQ(c.slow_request_ms, 1000);
  EXPECT_EQ(c.rate_limit_ip_rps, 100);
  EXPECT_EQ(c.rate_limit_ip_burst, 200);
  EXPECT_EQ(c.rate_limit_new_per_hour, 20);
  EXPECT_TRUE(c.rate_limit_exempt_loopback);
  EXPECT_FALSE(c.shard_mode) << "one node: the apex creates henvs itself";
}

TEST(ConfigShardMode, FlagAndEnvironmentTurnItOn) {
  auto flag = Parse({"--shard_mode"});
  ASSERT_TRUE(flag.ok());
  EXPECT_TRUE(flag->config.shard_mode);
  auto env = Parse({}, {{"HBF_SHARD_MODE", "true"}});
  ASSERT_TRUE(env.ok());
  EXPECT_TRUE(env->config.shard_mode);
  auto off = Parse({"--shard_mode=false"}, {{"HBF_SHARD_MODE", "1"}});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->config.shard_mode);
  EXPECT_FALSE(Parse({"--shard_mode=maybe"}).ok());
}

TEST(ConfigDefaults, ParsedDefaultsEqualADefaultConstructedConfig) {
  Config parsed = ParseOk({});
  Config fresh;
  EXPECT_EQ(parsed.port, fresh.port);
  EXPECT_EQ(parsed.bind, fresh.bind);
  EXPECT_EQ(parsed.storage_dir, fresh.storage_dir);
  EXPECT_EQ(parsed.base_domain, fresh.base_domain);
  EXPECT_EQ(parsed.max_body_mb, fresh.max_body_mb);
}

TEST(ConfigDefaults, ArgvWithoutProgramNameIsTreatedAsNoArguments) {
  auto r = ParseCommandLine({}, EnvFrom({}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kServe);
  EXPECT_EQ(r->config.port, 5309);
}

TEST(ConfigDefaults, ProgramNameIsNeverInterpretedAsACommand) {
  auto r = ParseCommandLine({"hash"}, EnvFrom({}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kServe);
}

TEST(ConfigDefaults, MaxBodyBytesIsMegabytesTimes1048576) {
  Config c;
  EXPECT_EQ(c.max_body_bytes(), int64_t{10} * 1024 * 1024);
  c.max_body_mb = 4096;
  EXPECT_EQ(c.max_body_bytes(), int64_t{4096} * 1024 * 1024) << "must not overflow int";
}

// ------------------------------------------------------------- flag forms

TEST(ConfigFlags, EqualsFormSetsTheValue) {
  EXPECT_EQ(ParseOk({"--port=8080"}).port, 8080);
}

TEST(ConfigFlags, SeparateValueFormSetsTheValue) {
  EXPECT_EQ(ParseOk({"--port", "8080"}).port, 8080);
}

TEST(ConfigFlags, SeparateValueMayLookLikeAFlag) {
  // `--port -1`: the value is consumed, then rejected as out of range.
  ExpectUsageError({"--port", "-1"}, "--port");
}

TEST(ConfigFlags, EveryValuedFlagIsAcceptedInBothForms) {
  const std::vector<std::string> eq = {
      "--port=1234",          "--bind=0.0.0.0",       "--storage_dir=/var/hbf", "--base_domain=example.com",
      "--log_level=debug",    "--log_format=json",    "--db_max_open=7",        "--qjs_mem_mb=128",
      "--qjs_timeout_ms=250", "--num_threads=8",      "--max_body_mb=1",        "--drain_timeout_ms=0",
  };
  for (int form = 0; form < 2; ++form) {
    std::vector<std::string> args;
    for (const auto& a : eq) {
      if (form == 0) {
        args.push_back(a);
      } else {
        auto pos = a.find('=');
        args.push_back(a.substr(0, pos));
        args.push_back(a.substr(pos + 1));
      }
    }
    SCOPED_TRACE(form == 0 ? "--flag=value" : "--flag value");
    Config c = ParseOk(args);
    EXPECT_EQ(c.port, 1234);
    EXPECT_EQ(c.bind, "0.0.0.0");
    EXPECT_EQ(c.storage_dir, "/var/hbf");
    EXPECT_EQ(c.base_domain, "example.com");
    EXPECT_EQ(c.log_level, LogLevel::kDebug);
    EXPECT_EQ(c.log_format, LogFormat::kJson);
    EXPECT_EQ(c.db_max_open, 7);
    EXPECT_EQ(c.qjs_mem_mb, 128);
    EXPECT_EQ(c.qjs_timeout_ms, 250);
    EXPECT_EQ(c.num_threads, 8);
    EXPECT_EQ(c.max_body_mb, 1);
    EXPECT_EQ(c.drain_timeout_ms, 0);
  }
}

TEST(ConfigFlags, RunningThreadsIsACountAndNotBelowZero) {
  Config c = ParseOk({"--running_threads", "3"});
  EXPECT_EQ(c.running_threads, 3);
  EXPECT_EQ(c.resolved_running_threads(16), 3);
  EXPECT_EQ(ParseOk({}, {{"HBF_RUNNING_THREADS", "2"}}).running_threads, 2);
  ExpectUsageError({"--running_threads", "-1"}, "running_threads");
}

TEST(ConfigFlags, StorageDirAcceptsTheDashedSpelling) {
  EXPECT_EQ(ParseOk({"--storage-dir=/srv/henvs"}).storage_dir, "/srv/henvs");
  EXPECT_EQ(ParseOk({"--storage-dir", "/srv/other"}).storage_dir, "/srv/other");
  EXPECT_EQ(ParseOk({"--storage_dir", "/srv/underscore"}).storage_dir, "/srv/underscore");
}

TEST(ConfigFlags, OtherMultiWordFlagsAlsoAcceptDashes) {
  Config c = ParseOk({"--base-domain=example.org", "--trust-proxy", "--num-threads", "3"});
  EXPECT_EQ(c.base_domain, "example.org");
  EXPECT_TRUE(c.trust_proxy);
  EXPECT_EQ(c.num_threads, 3);
}

TEST(ConfigFlags, EqualsFormKeepsEverythingAfterTheFirstEquals) {
  EXPECT_EQ(ParseOk({"--storage_dir=/a=b"}).storage_dir, "/a=b");
}

TEST(ConfigFlags, LaterFlagOverridesEarlierOne) {
  EXPECT_EQ(ParseOk({"--port=1", "--port=2"}).port, 2);
}

TEST(ConfigFlags, BareBooleanFlagMeansTrue) {
  Config c = ParseOk({"--dev", "--trust_proxy"});
  EXPECT_TRUE(c.dev);
  EXPECT_TRUE(c.trust_proxy);
}

TEST(ConfigFlags, BareBooleanFlagDoesNotConsumeTheNextArgument) {
  Config c = ParseOk({"--dev", "--port=7"});
  EXPECT_TRUE(c.dev);
  EXPECT_EQ(c.port, 7);
  // "false" after a bare boolean is a positional argument, not its value.
  ExpectUsageError({"--dev", "false"}, "false");
}

TEST(ConfigFlags, BooleanFlagWithExplicitValue) {
  EXPECT_FALSE(ParseOk({"--dev=false"}).dev);
  EXPECT_TRUE(ParseOk({"--dev=true"}).dev);
  for (const char* yes : {"1", "true", "yes", "on", "TRUE", "Yes", "On"}) {
    EXPECT_TRUE(ParseOk({std::string("--trust_proxy=") + yes}).trust_proxy) << yes;
  }
  for (const char* no : {"0", "false", "no", "off", "FALSE", "No", "OFF"}) {
    EXPECT_FALSE(ParseOk({std::string("--trust_proxy=") + no}, {{"HBF_TRUST_PROXY", "1"}}).trust_proxy) << no;
  }
}

// --js_hibernate: auto (the default), or a boolean (always, never); a bare
// flag means true.
TEST(ConfigFlags, HibernateTakesAutoOrABoolean) {
  EXPECT_EQ(ParseOk({}).js_hibernate, Config::Hibernate::kAuto);
  EXPECT_EQ(ParseOk({"--js_hibernate=AUTO"}).js_hibernate, Config::Hibernate::kAuto);
  EXPECT_EQ(ParseOk({"--js_hibernate"}).js_hibernate, Config::Hibernate::kAlways);
  EXPECT_EQ(ParseOk({"--js_hibernate=true"}).js_hibernate, Config::Hibernate::kAlways);
  EXPECT_EQ(ParseOk({"--js_hibernate=off"}).js_hibernate, Config::Hibernate::kNever);
  EXPECT_EQ(ParseOk({}, {{"HBF_JS_HIBERNATE", "false"}}).js_hibernate, Config::Hibernate::kNever);
  EXPECT_EQ(ParseOk({"--js_hibernate=auto"}, {{"HBF_JS_HIBERNATE", "false"}}).js_hibernate, Config::Hibernate::kAuto);
  ExpectUsageError({"--js_hibernate=sometimes"}, "expected auto, true or false, got 'sometimes'");
}

TEST(ConfigFlags, ExplicitFalseOverridesEnvironmentTrue) {
  EXPECT_FALSE(ParseOk({"--dev=false"}, {{"HBF_DEV", "true"}}).dev);
}

TEST(ConfigFlags, BoundaryValuesAreAccepted) {
  EXPECT_EQ(ParseOk({"--port=0"}).port, 0);
  EXPECT_EQ(ParseOk({"--port=65535"}).port, 65535);
  EXPECT_EQ(ParseOk({"--num_threads=1"}).num_threads, 1);
  EXPECT_EQ(ParseOk({"--num_threads=4096"}).num_threads, 4096);
  EXPECT_EQ(ParseOk({"--drain_timeout_ms=0"}).drain_timeout_ms, 0);
  EXPECT_EQ(ParseOk({"--db_max_open=1"}).db_max_open, 1);
  EXPECT_EQ(ParseOk({"--max_body_mb=4096"}).max_body_mb, 4096);
}

TEST(ConfigFlags, HenvLogFlagsTakeTheirRanges) {
  EXPECT_EQ(ParseOk({"--henv_log_kb=1"}).henv_log_kb, 1);
  EXPECT_EQ(ParseOk({"--henv-log-kb", "2048"}).henv_log_kb, 2048);
  EXPECT_EQ(ParseOk({}, {{"HBF_HENV_LOG_KB", "64"}}).henv_log_kb, 64);
  EXPECT_EQ(ParseOk({"--slow_request_ms=0"}).slow_request_ms, 0) << "0: slow requests are not logged";
  EXPECT_EQ(ParseOk({"--slow_request_ms", "250"}).slow_request_ms, 250);
  ExpectUsageError({"--henv_log_kb=0"}, "--henv_log_kb");
  ExpectUsageError({"--henv_log_kb=65537"}, "--henv_log_kb");
  ExpectUsageError({"--slow_request_ms=-1"}, "--slow_request_ms");
}

TEST(ConfigFlags, RateLimitFlagsTakeTheirRanges) {
  EXPECT_EQ(ParseOk({"--rate_limit_ip_rps=0"}).rate_limit_ip_rps, 0) << "0: no per-address limit";
  EXPECT_EQ(ParseOk({"--rate-limit-ip-burst", "50"}).rate_limit_ip_burst, 50);
  EXPECT_EQ(ParseOk({}, {{"HBF_RATE_LIMIT_NEW_PER_HOUR", "3"}}).rate_limit_new_per_hour, 3);
  EXPECT_FALSE(ParseOk({"--rate_limit_exempt_loopback=false"}).rate_limit_exempt_loopback);
  ExpectUsageError({"--rate_limit_ip_rps=-1"}, "--rate_limit_ip_rps");
  ExpectUsageError({"--rate_limit_ip_burst=0"}, "--rate_limit_ip_burst");
  ExpectUsageError({"--rate_limit_new_per_hour=lots"}, "--rate_limit_new_per_hour");
}

TEST(ConfigFlags, LogLevelAcceptsEveryLevelAndWarningAlias) {
  EXPECT_EQ(ParseOk({"--log_level=debug"}).log_level, LogLevel::kDebug);
  EXPECT_EQ(ParseOk({"--log_level=info"}).log_level, LogLevel::kInfo);
  EXPECT_EQ(ParseOk({"--log_level=warn"}).log_level, LogLevel::kWarn);
  EXPECT_EQ(ParseOk({"--log_level=warning"}).log_level, LogLevel::kWarn);
  EXPECT_EQ(ParseOk({"--log_level=error"}).log_level, LogLevel::kError);
}

TEST(ConfigFlags, LogFormatAcceptsTextAndJson) {
  EXPECT_EQ(ParseOk({"--log_format=text"}, {{"HBF_LOG_FORMAT", "json"}}).log_format, LogFormat::kText);
  EXPECT_EQ(ParseOk({"--log_format=json"}).log_format, LogFormat::kJson);
}

// -------------------------------------------------------------- new_token

TEST(ConfigNewToken, TokenOfAtLeast16CharactersIsAccepted) {
  EXPECT_EQ(ParseOk({"--new_token=0123456789abcdef"}).new_token, "0123456789abcdef");
  EXPECT_EQ(ParseOk({"--new-token", "a-much-longer-secret-token"}).new_token, "a-much-longer-secret-token");
}

TEST(ConfigNewToken, ShortOrEmptyTokenIsRejected) {
  ExpectUsageError({"--new_token=0123456789abcde"}, "--new_token");
  ExpectUsageError({"--new_token="}, "--new_token");
  ExpectUsageError({"--new_token=short"}, "16");
}

TEST(ConfigNewToken, FlagWinsOverEnvironment) {
  EXPECT_EQ(ParseOk({"--new_token=flag-token-0123456789"}, {{"HBF_NEW_TOKEN", "env-token-0123456789"}}).new_token,
            "flag-token-0123456789");
}

// ------------------------------------------------------------------- bind

TEST(ConfigBind, NumericIpv4AndIpv6AddressesAreAccepted) {
  for (const char* addr : {"127.0.0.1", "0.0.0.0", "10.1.2.3", "::1", "::", "fe80::1", "2001:db8::42"}) {
    EXPECT_EQ(ParseOk({"--bind", addr}).bind, addr);
  }
}

TEST(ConfigBind, HostnamesAndMalformedAddressesAreRejected) {
  for (const char* addr : {"localhost", "example.com", "", "256.0.0.1", "1.2.3", "[::1]", "127.0.0.1:80", " 127.0.0.1"}) {
    SCOPED_TRACE(addr);
    ExpectUsageError({std::string("--bind=") + addr}, "--bind");
  }
}

// ------------------------------------------------------------ base domain

TEST(ConfigBaseDomain, UppercaseIsLowerCased) {
  EXPECT_EQ(ParseOk({"--base_domain=Example.COM"}).base_domain, "example.com");
}

TEST(ConfigBaseDomain, TrailingDotIsStripped) {
  EXPECT_EQ(ParseOk({"--base_domain=example.com."}).base_domain, "example.com");
}

TEST(ConfigBaseDomain, ValidDomainsAreKeptAsGiven) {
  for (const char* d : {"localhost", "example.com", "a.b.c.d", "my-host.example", "x1.y2", "lvh.me"}) {
    EXPECT_EQ(ParseOk({"--base_domain", d}).base_domain, d);
  }
  std::string label63(63, 'a');
  EXPECT_EQ(ParseOk({"--base_domain=" + label63 + ".com"}).base_domain, label63 + ".com");
}

TEST(ConfigBaseDomain, InvalidDomainsAreRejected) {
  std::string label64(64, 'a');
  for (const std::string& d : {std::string(""), std::string("."), std::string("a..b"), std::string(".example.com"),
                               std::string("example.com.."), std::string("foo_bar.com"), std::string("-foo.com"),
                               std::string("foo-.com"), std::string("foo.-bar"), std::string("exa mple.com"),
                               std::string("example.com:80"), std::string("caf\xC3\xA9.com"), label64 + ".com"}) {
    SCOPED_TRACE(d);
    ExpectUsageError({"--base_domain=" + d}, "--base_domain");
  }
}

TEST(ConfigBaseDomain, OverlongDomainIsRejected) {
  std::string label(60, 'a');
  std::string d = label;
  while (d.size() <= 253) d += "." + label;
  ExpectUsageError({"--base_domain=" + d}, "--base_domain");
}

// ------------------------------------------------------------- environment

TEST(ConfigEnv, EverySettingIsReadFromItsHbfEnvironmentVariable) {
  Env env = {
      {"HBF_PORT", "4321"},
      {"HBF_BIND", "::1"},
      {"HBF_STORAGE_DIR", "/data/henvs"},
      {"HBF_BASE_DOMAIN", "Apps.Example."},
      {"HBF_LOG_LEVEL", "error"},
      {"HBF_LOG_FORMAT", "json"},
      {"HBF_DEV", "1"},
      {"HBF_DB_MAX_OPEN", "5"},
      {"HBF_QJS_MEM_MB", "32"},
      {"HBF_QJS_TIMEOUT_MS", "1500"},
      {"HBF_NUM_THREADS", "16"},
      {"HBF_MAX_BODY_MB", "2"},
      {"HBF_TRUST_PROXY", "yes"},
      {"HBF_DRAIN_TIMEOUT_MS", "500"},
      {"HBF_NEW_TOKEN", "env-token-0123456789"},
  };
  Config c = ParseOk({}, env);
  EXPECT_EQ(c.port, 4321);
  EXPECT_EQ(c.bind, "::1");
  EXPECT_EQ(c.storage_dir, "/data/henvs");
  EXPECT_EQ(c.base_domain, "apps.example");
  EXPECT_EQ(c.log_level, LogLevel::kError);
  EXPECT_EQ(c.log_format, LogFormat::kJson);
  EXPECT_TRUE(c.dev);
  EXPECT_EQ(c.db_max_open, 5);
  EXPECT_EQ(c.qjs_mem_mb, 32);
  EXPECT_EQ(c.qjs_timeout_ms, 1500);
  EXPECT_EQ(c.num_threads, 16);
  EXPECT_EQ(c.max_body_mb, 2);
  EXPECT_TRUE(c.trust_proxy);
  EXPECT_EQ(c.drain_timeout_ms, 500);
  EXPECT_EQ(c.new_token, "env-token-0123456789");
}

TEST(ConfigEnv, FlagsWinOverTheEnvironment) {
  Env env = {{"HBF_PORT", "4321"}, {"HBF_BIND", "::1"}, {"HBF_STORAGE_DIR", "/env"},
             {"HBF_LOG_LEVEL", "error"}, {"HBF_NUM_THREADS", "16"}, {"HBF_TRUST_PROXY", "true"}};
  Config c = ParseOk({"--port=8000", "--bind", "0.0.0.0", "--storage-dir=/flag", "--log_level=debug",
                      "--num_threads=2", "--trust_proxy=false"},
                     env);
  EXPECT_EQ(c.port, 8000);
  EXPECT_EQ(c.bind, "0.0.0.0");
  EXPECT_EQ(c.storage_dir, "/flag");
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_EQ(c.num_threads, 2);
  EXPECT_FALSE(c.trust_proxy);
}

TEST(ConfigEnv, EnvironmentValuesNotOverriddenByFlagsSurvive) {
  Config c = ParseOk({"--port=8000"}, {{"HBF_QJS_MEM_MB", "256"}});
  EXPECT_EQ(c.port, 8000);
  EXPECT_EQ(c.qjs_mem_mb, 256);
}

TEST(ConfigEnv, UnrelatedAndLowerCaseVariablesAreIgnored) {
  Config c = ParseOk({}, {{"hbf_port", "1"}, {"PORT", "2"}, {"HBF_UNKNOWN", "x"}, {"HBF_STORAGE-DIR", "/x"}});
  EXPECT_EQ(c.port, 5309);
  EXPECT_EQ(c.storage_dir, "./henvs");
}

TEST(ConfigEnv, InvalidEnvironmentValueIsAnErrorNamingTheVariable) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"HBF_PORT", "http"},          {"HBF_PORT", "70000"},         {"HBF_BIND", "localhost"},
      {"HBF_STORAGE_DIR", ""},       {"HBF_BASE_DOMAIN", "a_b.com"}, {"HBF_LOG_LEVEL", "verbose"},
      {"HBF_LOG_FORMAT", "xml"},     {"HBF_DEV", "maybe"},           {"HBF_DB_MAX_OPEN", "0"},
      {"HBF_QJS_MEM_MB", "1.5"},     {"HBF_QJS_TIMEOUT_MS", ""},     {"HBF_NUM_THREADS", "-1"},
      {"HBF_MAX_BODY_MB", "-3"},     {"HBF_TRUST_PROXY", "2"},       {"HBF_DRAIN_TIMEOUT_MS", "-1"},
      {"HBF_NEW_TOKEN", "short"},
  };
  for (const auto& [name, value] : bad) {
    SCOPED_TRACE(name + "=" + value);
    ExpectUsageError({}, name, {{name, value}});
  }
}

TEST(ConfigEnv, InvalidEnvironmentMessageIncludesTheOffendingValue) {
  auto r = Parse({}, {{"HBF_PORT", "notaport"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("notaport"), std::string::npos) << r.error().message;
}

// ------------------------------------------------------------ flag errors

TEST(ConfigErrors, UnknownLongFlagIsRejected) {
  ExpectUsageError({"--nope"}, "--nope");
  ExpectUsageError({"--nope=1"}, "--nope");
  ExpectUsageError({"--port=1", "--verbose"}, "--verbose");
}

TEST(ConfigErrors, UnknownShortFlagIsRejected) {
  ExpectUsageError({"-x"}, "-x");
  ExpectUsageError({"-p", "80"}, "-p");
}

TEST(ConfigErrors, SingleDashLongFlagIsRejected) {
  ExpectUsageError({"-port=80"}, "-port");
}

TEST(ConfigErrors, ValuedFlagAtTheEndWithoutValueIsRejected) {
  for (const char* flag : {"--port", "--bind", "--storage_dir", "--storage-dir", "--base_domain", "--log_level",
                           "--log_format", "--db_max_open", "--qjs_mem_mb", "--qjs_timeout_ms", "--num_threads",
                           "--max_body_mb", "--drain_timeout_ms", "--new_token"}) {
    SCOPED_TRACE(flag);
    auto r = Parse({flag});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().http_status, 2);
    EXPECT_NE(r.error().message.find("missing value"), std::string::npos) << r.error().message;
  }
  ExpectUsageError({"--port"}, "--port");
}

TEST(ConfigErrors, NonIntegerValuesAreRejected) {
  for (const char* v : {"abc", "", "12abc", "1.0", "0x10", " 80", "80 ", "+80", "1e3"}) {
    SCOPED_TRACE(v);
    ExpectUsageError({std::string("--port=") + v}, "--port");
  }
  ExpectUsageError({"--num_threads", "many"}, "--num_threads");
  ExpectUsageError({"--qjs_timeout_ms=5s"}, "--qjs_timeout_ms");
}

TEST(ConfigErrors, IntegerTooLargeForAnyTypeIsRejected) {
  ExpectUsageError({"--port=99999999999999999999999"}, "--port");
  ExpectUsageError({"--drain_timeout_ms=-99999999999999999999999"}, "--drain_timeout_ms");
}

TEST(ConfigErrors, OutOfRangeValuesAreRejected) {
  ExpectUsageError({"--port=65536"}, "--port");
  ExpectUsageError({"--port=-1"}, "--port");
  ExpectUsageError({"--num_threads=-1"}, "--num_threads");
  ExpectUsageError({"--http_threads=-1"}, "--http_threads");
  ExpectUsageError({"--max_header_kb=0"}, "--max_header_kb");
  ExpectUsageError({"--header_timeout_ms=5"}, "--header_timeout_ms");
  ExpectUsageError({"--num_threads=4097"}, "--num_threads");
  ExpectUsageError({"--db_max_open=0"}, "--db_max_open");
  ExpectUsageError({"--qjs_mem_mb=0"}, "--qjs_mem_mb");
  ExpectUsageError({"--qjs_timeout_ms=0"}, "--qjs_timeout_ms");
  ExpectUsageError({"--max_body_mb=0"}, "--max_body_mb");
  ExpectUsageError({"--max_body_mb=4097"}, "--max_body_mb");
  ExpectUsageError({"--drain_timeout_ms=-1"}, "--drain_timeout_ms");
}

TEST(ConfigErrors, OutOfRangeMessageStatesTheAllowedRange) {
  auto r = Parse({"--port=65536"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("65535"), std::string::npos) << r.error().message;
}

TEST(ConfigErrors, RejectedValueLeavesNoPartialResult) {
  auto r = Parse({"--port=65536"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "usage");
}

TEST(ConfigErrors, EmptyStorageDirIsRejected) {
  ExpectUsageError({"--storage_dir="}, "--storage_dir");
}

TEST(ConfigErrors, BadLogLevelIsRejected) {
  for (const char* v : {"verbose", "INFO", "Debug", "", "trace"}) {
    SCOPED_TRACE(v);
    ExpectUsageError({std::string("--log_level=") + v}, "--log_level");
  }
}

TEST(ConfigErrors, BadLogFormatIsRejected) {
  for (const char* v : {"xml", "JSON", "", "logfmt"}) {
    SCOPED_TRACE(v);
    ExpectUsageError({std::string("--log_format=") + v}, "--log_format");
  }
}

TEST(ConfigErrors, BadBooleanIsRejected) {
  for (const char* v : {"maybe", "", "2", "y", "enabled"}) {
    SCOPED_TRACE(v);
    ExpectUsageError({std::string("--dev=") + v}, "--dev");
    ExpectUsageError({std::string("--trust_proxy=") + v}, "--trust_proxy");
  }
}

TEST(ConfigErrors, BadBindNamesTheFlag) {
  ExpectUsageError({"--bind", "localhost"}, "--bind");
}

// --------------------------------------------------------------- commands

TEST(ConfigCommands, HelpFlagsSelectHelp) {
  for (const char* f : {"--help", "-h"}) {
    auto r = Parse({f});
    ASSERT_TRUE(r.ok()) << f;
    EXPECT_EQ(r->command, Command::kHelp) << f;
  }
}

TEST(ConfigCommands, HelpAfterOtherValidFlagsStillSelectsHelp) {
  auto r = Parse({"serve", "--port=1", "--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kHelp);
}

TEST(ConfigCommands, HelpBeforeAnInvalidFlagWins) {
  auto r = Parse({"--help", "--no-such-flag"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kHelp);
}

TEST(ConfigCommands, VersionFlagsSelectVersion) {
  for (const char* f : {"--version", "-V"}) {
    auto r = Parse({f});
    ASSERT_TRUE(r.ok()) << f;
    EXPECT_EQ(r->command, Command::kVersion) << f;
  }
}

TEST(ConfigCommands, LowerCaseVIsNotVersion) {
  ExpectUsageError({"-v"}, "-v");
}

TEST(ConfigCommands, ServeIsTheDefaultAndMayBeExplicit) {
  auto r = Parse({"serve", "--port=9000"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kServe);
  EXPECT_EQ(r->config.port, 9000);
}

TEST(ConfigCommands, FlagsMayPrecedeTheCommand) {
  auto r = Parse({"--port=9000", "serve"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kServe);
  EXPECT_EQ(r->config.port, 9000);
}

TEST(ConfigCommands, HashWithNameSelectsHashAndKeepsTheNameVerbatim) {
  auto r = Parse({"hash", "  My App "});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kHash);
  EXPECT_EQ(r->hash_input, "  My App ");
}

TEST(ConfigCommands, HashNameMayFollowDoubleDashEvenIfItLooksLikeAFlag) {
  auto r = Parse({"hash", "--", "--weird"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->command, Command::kHash);
  EXPECT_EQ(r->hash_input, "--weird");
}

TEST(ConfigCommands, HashAcceptsFlagsAroundTheName) {
  auto r = Parse({"--log_level=debug", "hash", "myapp", "--port=1"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kHash);
  EXPECT_EQ(r->hash_input, "myapp");
  EXPECT_EQ(r->config.port, 1);
}

TEST(ConfigCommands, ModulesAddTakesSeveralPathsAndForce) {
  auto r = Parse({"modules", "add", "--henv", "abc", "a.tgz", "--force", "node_modules", "package-lock.json"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->command, Command::kModulesAdd);
  EXPECT_EQ(r->henv, "abc");
  EXPECT_TRUE(r->force);
  EXPECT_EQ(r->package_paths, (std::vector<std::string>{"a.tgz", "node_modules", "package-lock.json"}));
  auto plain = Parse({"modules", "add", "--henv", "abc", "a.tgz"});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->force);
  ExpectUsageError({"modules", "add", "--henv", "abc"}, "PATH");
  ExpectUsageError({"modules", "add", "--henv", "abc", "--force=maybe", "a.tgz"}, "--force");
}

TEST(ConfigCommands, HashWithoutNameIsAnError) {
  ExpectUsageError({"hash"}, "hash");
  ExpectUsageError({"hash"}, "NAME");
}

TEST(ConfigCommands, HashWithTwoNamesIsAnError) {
  ExpectUsageError({"hash", "a", "b"}, "hash");
}

TEST(ConfigCommands, ServeWithExtraArgumentIsAnError) {
  ExpectUsageError({"serve", "extra"}, "extra");
}

TEST(ConfigCommands, UnknownCommandIsAnError) {
  ExpectUsageError({"start"}, "start");
  ExpectUsageError({"HASH", "x"}, "HASH");
}

TEST(ConfigCommands, LoneDashIsAPositionalArgumentNotAFlag) {
  ExpectUsageError({"-"}, "unknown command");
}

// ---------------------------------------------------------- lifecycle commands

TEST(ConfigLifecycle, BackupOfOneHenvAndOfAll) {
  auto one = Parse({"backup", "--henv", "5h9h66rt", "--storage_dir", "d", "--to", "x.db"});
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->command, Command::kBackup);
  EXPECT_EQ(one->henv, "5h9h66rt");
  EXPECT_EQ(one->to, "x.db");
  EXPECT_EQ(one->config.storage_dir, "d");
  auto all = Parse({"backup", "--all", "--to", "folder", "--keep", "7"});
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->command, Command::kBackupAll);
  EXPECT_EQ(all->keep, 7);
  ExpectUsageError({"backup", "--to", "x.db"}, "--henv");
  ExpectUsageError({"backup", "--henv", "5h9h66rt"}, "--to");
  ExpectUsageError({"backup", "--all", "--henv", "5h9h66rt", "--to", "f"}, "exclude");
  ExpectUsageError({"backup", "--all", "--to", "f", "--keep", "-1"}, "--keep");
}

TEST(ConfigLifecycle, RestoreExportImportUntrashSweep) {
  auto restore = Parse({"restore", "--henv", "5h9h66rt", "snap.db"});
  ASSERT_TRUE(restore.ok());
  EXPECT_EQ(restore->command, Command::kRestore);
  EXPECT_EQ(restore->file, "snap.db");
  auto exported = Parse({"henv", "export", "5h9h66rt", "--storage_dir", "d"});
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(exported->command, Command::kHenvExport);
  EXPECT_EQ(exported->henv, "5h9h66rt");
  auto imported = Parse({"henv", "import", "f.db", "--storage_dir", "d", "--replace"});
  ASSERT_TRUE(imported.ok());
  EXPECT_EQ(imported->command, Command::kHenvImport);
  EXPECT_EQ(imported->file, "f.db");
  EXPECT_TRUE(imported->replace);
  auto untrash = Parse({"henv", "untrash", "5h9h66rt"});
  ASSERT_TRUE(untrash.ok());
  EXPECT_EQ(untrash->command, Command::kHenvUntrash);
  auto sweep = Parse({"sweep", "--dry-run", "--inactive_warn_days", "10", "--smtp_url", "smtp://127.0.0.1:25"});
  ASSERT_TRUE(sweep.ok()) << sweep.error().message;
  EXPECT_EQ(sweep->command, Command::kSweep);
  EXPECT_TRUE(sweep->dry_run);
  EXPECT_EQ(sweep->config.inactive_warn_days, 10);
  EXPECT_EQ(sweep->config.smtp_url, "smtp://127.0.0.1:25");
  ExpectUsageError({"restore", "snap.db"}, "--henv");
  ExpectUsageError({"henv", "move", "x"}, "henv");
  ExpectUsageError({"--replace"}, "--replace");                  // not a server flag
  ExpectUsageError({"sweep", "--to", "x"}, "--to");               // not sweep's
  ExpectUsageError({"--smtp_url", "mail.example.com"}, "--smtp_url");
}

// ------------------------------------------------------------------ usage

TEST(ConfigUsage, UsageTextMentionsEveryFlagAndItsEnvironmentVariable) {
  std::string usage = UsageText();
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"--port", "HBF_PORT"},
      {"--bind", "HBF_BIND"},
      {"--storage_dir", "HBF_STORAGE_DIR"},
      {"--base_domain", "HBF_BASE_DOMAIN"},
      {"--log_level", "HBF_LOG_LEVEL"},
      {"--log_format", "HBF_LOG_FORMAT"},
      {"--dev", "HBF_DEV"},
      {"--db_max_open", "HBF_DB_MAX_OPEN"},
      {"--qjs_mem_mb", "HBF_QJS_MEM_MB"},
      {"--qjs_timeout_ms", "HBF_QJS_TIMEOUT_MS"},
      {"--num_threads", "HBF_NUM_THREADS"},
      {"--max_body_mb", "HBF_MAX_BODY_MB"},
      {"--trust_proxy", "HBF_TRUST_PROXY"},
      {"--drain_timeout_ms", "HBF_DRAIN_TIMEOUT_MS"},
      {"--new_token", "HBF_NEW_TOKEN"},
  };
  for (const auto& [flag, env] : settings) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
    EXPECT_NE(usage.find("[" + env + "]"), std::string::npos) << env;
  }
}

TEST(ConfigUsage, UsageTextDescribesCommandsAndDefaults) {
  std::string usage = UsageText();
  EXPECT_NE(usage.find("hash NAME"), std::string::npos);
  EXPECT_NE(usage.find("--help"), std::string::npos);
  EXPECT_NE(usage.find("--version"), std::string::npos);
  EXPECT_NE(usage.find("5309"), std::string::npos);
  EXPECT_EQ(usage.back(), '\n');
}

TEST(ConfigUsage, EveryFlagNamedInTheUsageTextIsAcceptedAndShowsItsEnvironmentVariable) {
  // Guards against the help text and the parser drifting apart.
  std::string usage = UsageText();
  size_t pos = 0;
  int flags = 0;
  while ((pos = usage.find("  --", pos)) != std::string::npos) {
    pos += 4;
    size_t end = usage.find_first_of(" \n", pos);
    std::string name = usage.substr(pos, end - pos);
    if (name == "help" || name == "version") continue;
    auto r = Parse({"--" + name + "=x"});
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.find("unknown flag"), std::string::npos)
          << "--" << name << " appears in usage but is not a known flag: " << r.error().message;
    }
    std::string env = "HBF_";
    for (char c : name) env += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string line = usage.substr(end, usage.find('\n', end) - end);
    EXPECT_NE(line.find("[" + env + "]"), std::string::npos) << "--" << name << " usage line lacks [" << env << "]";
    ++flags;
  }
  EXPECT_GE(flags, 15) << "every setting in the usage text was checked";
}

}  // namespace
}  // namespace hbf

namespace hbf {
namespace {

TEST(ConfigDefaults, AutomaticThreadCountsFollowTheCores) {
  Config c;
  EXPECT_EQ(c.resolved_http_threads(2), 2);
  EXPECT_EQ(c.resolved_http_threads(16), 16);
  EXPECT_EQ(c.resolved_handler_threads(1), 8);
  EXPECT_EQ(c.resolved_handler_threads(16), 64);
  EXPECT_EQ(c.resolved_js_workers_per_henv(2), 4);
  EXPECT_EQ(c.resolved_js_workers_per_henv(16), 16);
  c.http_threads = 3;
  c.num_threads = 5;
  c.js_workers_per_henv = 2;
  EXPECT_EQ(c.resolved_http_threads(16), 3);
  EXPECT_EQ(c.resolved_handler_threads(16), 5);
  EXPECT_EQ(c.resolved_js_workers_per_henv(16), 2);
}

}  // namespace
}  // namespace hbf
