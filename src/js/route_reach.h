// Internal to src/js: which paths a henv's router could take, so that the
// server can answer the others (its documents, its 404) without running it.
// Made by Worker::TakeRouteReach from hbf:http's routeReach (hbf:router's
// stackReach says how each layer's path becomes entries); see
// ARCHITECTURE.md, "Route reach".
//
// Thread safety: immutable once made; shared by reference (JsEngine's pools).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hbf::js {

struct RouteReach {
  struct Entry {
    std::string text;  // lower-cased unless case_sensitive (ASCII only)
    bool case_sensitive = false;
    // The path is `text`, with or without one trailing "/" (a literal
    // route); else the path starts with `text`.
    bool exact = false;
  };
  std::vector<Entry> entries;
  // An express app: a path nothing took gets Express's 404 page, unless
  // HBF has something there (so HBF's own 404 is not the app's answer).
  bool own_not_found = false;
  // False when no layer can take `path` (the percent-encoded path the
  // router would match, without its query).
  bool MayTake(std::string_view path) const;
  // More entries than this and the router is treated as taking any path.
  static constexpr size_t kMaxEntries = 1024;
};

}  // namespace hbf::js
