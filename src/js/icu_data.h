// ICU's data archive, filtered (cmake/icu_data.sh) and brotli-compressed
// into the binary at build time (src/js/tools/icu_data_pack.cpp), since
// Debian's 31 MB libicudata would not fit the 20 MB budget. Read-only.
#pragma once

#include <cstddef>

namespace hbf::js {

extern const unsigned char* const kIcuDataCompressed;
extern const size_t kIcuDataCompressedSize;
extern const size_t kIcuDataSize;  // decompressed

}  // namespace hbf::js
