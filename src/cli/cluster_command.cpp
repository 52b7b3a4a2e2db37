#include "cli/cluster_command.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "cluster/plan.h"

namespace hbf::cli {
namespace {

constexpr const char* kUsage =
    "usage: hbf cluster plan --nodes A,B,C [--add X | --remove Y] [--storage_dir DIR | --hashes FILE] "
    "[--base_domain D] [--all]";

int UsageFail(const std::string& message) {
  std::fprintf(stderr, "hbf cluster: %s\n%s\n", message.c_str(), kUsage);
  return 2;
}

bool IsHenvHash(const std::string& s) {
  return s.size() == 8 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); });
}

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

// The henvs of a storage folder: {hash}/index.db, sorted.
std::optional<std::vector<std::string>> HashesInStorage(const std::string& dir, std::string& why) {
  std::error_code ec;
  std::vector<std::string> out;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    why = dir + ": " + ec.message();
    return std::nullopt;
  }
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (IsHenvHash(name) && std::filesystem::is_regular_file(entry.path() / "index.db", ec)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One hash or host a line; '#' starts a comment; a host's first label is the hash.
std::optional<std::vector<std::string>> HashesInFile(const std::string& path, std::string& why) {
  std::ifstream in(path);
  if (!in) {
    why = path + ": cannot be read";
    return std::nullopt;
  }
  std::vector<std::string> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (line.empty()) continue;
    std::string first = line.substr(0, line.find('.'));
    std::transform(first.begin(), first.end(), first.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!IsHenvHash(first)) {
      why = path + ":" + std::to_string(number) + ": not a henv hash or host: '" + line + "'";
      return std::nullopt;
    }
    out.push_back(first);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

int RunClusterCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "plan") return UsageFail(args.empty() ? "missing subcommand" : args[0] + ": unknown subcommand");
  std::map<std::string, std::string> flags;
  bool all = false;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.rfind("--", 0) != 0) return UsageFail(name + ": unexpected argument");
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    name = name.substr(2);
    std::replace(name.begin(), name.end(), '-', '_');
    if (name == "all") {
      all = true;
      continue;
    }
    if (name != "nodes" && name != "add" && name != "remove" && name != "storage_dir" && name != "hashes" &&
        name != "base_domain") {
      return UsageFail("--" + name + ": unknown flag");
    }
    if (!value) {
      if (i + 1 >= args.size()) return UsageFail("--" + name + ": missing value");
      value = args[++i];
    }
    if (!flags.emplace(name, *value).second) return UsageFail("--" + name + ": given twice");
  }
  if (!flags.count("nodes")) return UsageFail("--nodes is required");
  if (flags.count("add") && flags.count("remove")) return UsageFail("--add and --remove: give one at a time");
  if (flags.count("storage_dir") && flags.count("hashes")) return UsageFail("--storage_dir and --hashes: give one");

  auto before = cluster::ParseNodeList(flags["nodes"]);
  if (!before.ok()) return UsageFail(before.error().message);
  std::vector<cluster::RingNode> after = *before;
  std::string change;
  if (flags.count("add")) {
    auto added = cluster::ParseNodeList(flags["add"]);
    if (!added.ok()) return UsageFail("--add: " + added.error().message);
    for (const auto& node : *added) {
      for (const auto& existing : after) {
        if (existing.name == node.name) return UsageFail("--add: " + node.name + " is already in --nodes");
      }
      after.push_back(node);
    }
    change = "add " + flags["add"];
  } else if (flags.count("remove")) {
    auto removed = cluster::ParseNodeList(flags["remove"]);
    if (!removed.ok()) return UsageFail("--remove: " + removed.error().message);
    for (const auto& node : *removed) {
      auto it = std::find_if(after.begin(), after.end(), [&](const cluster::RingNode& n) { return n.name == node.name; });
      if (it == after.end()) return UsageFail("--remove: " + node.name + " is not in --nodes");
      after.erase(it);
    }
    if (after.empty()) return UsageFail("--remove: no node would be left");
    change = "remove " + flags["remove"];
  }

  std::string base_domain = flags.count("base_domain") ? flags["base_domain"] : EnvOr("HBF_BASE_DOMAIN", "localhost");
  std::transform(base_domain.begin(), base_domain.end(), base_domain.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!base_domain.empty() && base_domain.back() == '.') base_domain.pop_back();
  std::string why;
  auto hashes = flags.count("hashes") ? HashesInFile(flags["hashes"], why)
                                      : HashesInStorage(flags.count("storage_dir") ? flags["storage_dir"]
                                                                                   : EnvOr("HBF_STORAGE_DIR", "./henvs"),
                                                        why);
  if (!hashes) {
    std::fprintf(stderr, "hbf cluster: %s\n", why.c_str());
    return 1;
  }

  const auto placements = cluster::PlanMoves(*hashes, base_domain, *before, after);
  size_t moving = 0;
  for (const auto& p : placements) {
    if (change.empty()) {
      std::printf("owner %s %s %s\n", p.hash.c_str(), p.host.c_str(), p.to.c_str());
    } else if (p.moves()) {
      ++moving;
      std::printf("move %s %s %s %s\n", p.hash.c_str(), p.host.c_str(), p.from.c_str(), p.to.c_str());
    } else if (all) {
      std::printf("stay %s %s %s\n", p.hash.c_str(), p.host.c_str(), p.to.c_str());
    }
  }
  if (change.empty()) {
    std::printf("# %zu henvs on %zu nodes (nginx hash $host consistent)\n", placements.size(), before->size());
  } else {
    std::printf("# %s: %zu of %zu henvs move (nginx hash $host consistent, %zu -> %zu nodes)\n", change.c_str(), moving,
                placements.size(), before->size(), after.size());
  }
  return 0;
}

}  // namespace hbf::cli
