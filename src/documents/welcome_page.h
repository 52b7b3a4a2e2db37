// The page a new henv shows at "/" until its owner replaces it.
#pragma once

#include <string>

namespace hbf::docs {

// HTML for document "index.html" of a new henv. `name` is the henv's name
// (its owner's username, [a-z0-9-] only), `url` where it is served.
std::string WelcomePage(const std::string& name, const std::string& hash, const std::string& url);

}  // namespace hbf::docs
