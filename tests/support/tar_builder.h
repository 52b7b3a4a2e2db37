// Test support: small tar archives built in memory (npm tarballs, bundles,
// node_modules folders) for the package reader's tests. Header-only.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace hbf::test {

// One 512-byte tar header (ustar magic; HBF does not check the checksum) of
// type `type` ('0' a file, 'x' pax, ...) followed by `data` padded to whole
// blocks.
inline std::string TarEntry(const std::string& name, const std::string& data, char type = '0') {
  std::string header(512, '\0');
  header.replace(0, name.size(), name);
  char size[12];
  std::snprintf(size, sizeof size, "%011o", static_cast<unsigned>(data.size()));
  header.replace(124, 11, size, 11);
  header[156] = type;
  header.replace(257, 6, "ustar", 6);
  std::string padded = data;
  padded.resize((data.size() + 511) / 512 * 512, '\0');
  return header + padded;
}

// The two zero blocks that end an archive.
inline std::string TarEnd() { return std::string(1024, '\0'); }

// A whole archive of (name, content) files.
inline std::string Tar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  for (const auto& [name, data] : files) out += TarEntry(name, data);
  return out + TarEnd();
}

}  // namespace hbf::test
