#pragma once

namespace hbf {
// Set by CMake from project(VERSION ...).
inline constexpr const char* kVersion = HBF_VERSION_STRING;
}  // namespace hbf
