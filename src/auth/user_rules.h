// The rules a henv's accounts follow, wherever they are made (the API, the
// apex's signup, a script through hbf:auth).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace hbf::auth {

// Henv owners, whose name is also the henv's: 3-63 of [a-z0-9-].
bool IsValidHenvName(std::string_view name);
// Users inside a henv may also use '.' and '_'.
bool IsValidUserName(std::string_view name);
// Length 10-1024 and not one repeated character. Returns the reason or "".
std::string PasswordProblem(std::string_view password);
bool IsPlausibleEmail(std::string_view email);

}  // namespace hbf::auth
