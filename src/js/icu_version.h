// The ICU release behind scripts' `Intl` (src/js/natives_intl.cpp), for
// `hbf --version`. Any thread may call these.
#pragma once

#include <string>

namespace hbf::js {

// ICU's version, e.g. "72.1".
std::string IcuVersion();

// The version of the time zone data ICU formats with (its bundled tzdata
// unless ICU_TIMEZONE_FILES_DIR points elsewhere), e.g. "2022e".
std::string IcuTzdataVersion();

}  // namespace hbf::js
