#pragma once

namespace hbf {
// Set by CMake from project(VERSION ...).
inline constexpr const char* kVersion = HBF_VERSION_STRING;

// How this binary was built (`hbf --version`). Defined in the build_info.cpp
// CMake generates into the hbf executable only (so a new commit recompiles
// one file); the libraries and tests do not link it.
struct BuildInfo {
  const char* git_commit;  // "unknown" when built without git
  const char* build_type;  // CMAKE_BUILD_TYPE
  const char* compiler;    // "GNU 12.2.0"
  const char* build_date;  // UTC, when the build was configured ("2026-11-30"; SOURCE_DATE_EPOCH wins)
};
BuildInfo GetBuildInfo();
}  // namespace hbf
