#include "js/route_reach.h"

#include <cctype>

namespace hbf::js {

bool RouteReach::MayTake(std::string_view path) const {
  for (const Entry& e : entries) {
    if (path.size() < e.text.size()) continue;
    if (e.exact && path.size() != e.text.size() && !(path.size() == e.text.size() + 1 && path.back() == '/')) {
      continue;
    }
    bool same = true;
    for (size_t i = 0; i < e.text.size() && same; ++i) {
      const auto c = static_cast<unsigned char>(path[i]);
      same = static_cast<unsigned char>(e.text[i]) == (e.case_sensitive ? c : std::tolower(c));
    }
    if (same) return true;
  }
  return false;
}

}  // namespace hbf::js
