# Third-party libraries. Each is wrapped by exactly one adapter layer in src/:
#   SQLite    -> src/db        (Debian's libsqlite3.a)
#   libsodium -> src/crypto    (Debian's libsodium.a)
#   Nettle    -> src/crypto    (Debian's libnettle.a: the hashes libsodium lacks)
#   llhttp    -> src/http      (built here from bookworm's node-llhttp C sources)
#   QuickJS   -> src/js        (built here from Debian's source package)
#   zlib      -> src/codec     (Debian's libz.a)
#   LZ4       -> src/codec     (Debian's liblz4.a: hibernated workers' snapshots)

set(HBF_QUICKJS_DIR  "${HBF_DEPS_DIR}/quickjs-2025.04.26")
foreach(dir IN ITEMS "${HBF_QUICKJS_DIR}")
  if(NOT EXISTS "${dir}/.hbf-ready")
    message(FATAL_ERROR "${dir} is missing: run scripts/setup.sh (make deps) first")
  endif()
endforeach()

find_package(Threads REQUIRED)

# --- llhttp (Node.js's HTTP/1.1 parser): generated C, shipped as sources by
# Debian's node-llhttp package. Strict mode only: no lenient flag is set.
set(HBF_LLHTTP_DIR "/usr/share/llhttp" CACHE PATH "llhttp C sources (node-llhttp)")
set(HBF_LLHTTP_INCLUDE "/usr/share/include/llhttp" CACHE PATH "llhttp header (node-llhttp)")
if(NOT EXISTS "${HBF_LLHTTP_DIR}/llhttp.c" OR NOT EXISTS "${HBF_LLHTTP_INCLUDE}/llhttp.h")
  message(FATAL_ERROR "llhttp sources are missing: run scripts/setup.sh (installs node-llhttp)")
endif()
add_library(llhttp STATIC "${HBF_LLHTTP_DIR}/llhttp.c" "${HBF_LLHTTP_DIR}/api.c" "${HBF_LLHTTP_DIR}/http.c")
target_include_directories(llhttp SYSTEM PUBLIC "${HBF_LLHTTP_INCLUDE}")
target_compile_options(llhttp PRIVATE -w -O2)

# --- QuickJS: the engine only. quickjs-libc (std/os: files, processes) is
# deliberately not built: scripts must never reach the host.
file(READ "${HBF_QUICKJS_DIR}/VERSION" HBF_QUICKJS_VERSION)
string(STRIP "${HBF_QUICKJS_VERSION}" HBF_QUICKJS_VERSION)
set(HBF_QUICKJS_SOURCES
  "${HBF_QUICKJS_DIR}/quickjs.c" "${HBF_QUICKJS_DIR}/libregexp.c"
  "${HBF_QUICKJS_DIR}/libunicode.c" "${HBF_QUICKJS_DIR}/cutils.c"
  "${HBF_QUICKJS_DIR}/dtoa.c")
# quickjs: what hbf links. quickjs_asserting: the same engine with QuickJS's
# own assertions kept (its GC's invariants among them; NDEBUG compiles them
# out of the other), for the tests of HBF's patches to it (tests/deps).
foreach(qjs quickjs quickjs_asserting)
  add_library(${qjs} STATIC ${HBF_QUICKJS_SOURCES})
  target_include_directories(${qjs} SYSTEM PUBLIC "${HBF_QUICKJS_DIR}")
  target_compile_definitions(${qjs} PRIVATE _GNU_SOURCE CONFIG_VERSION="${HBF_QUICKJS_VERSION}")
  target_compile_options(${qjs} PRIVATE -w -O2 -funsigned-char)
  target_link_libraries(${qjs} PUBLIC m Threads::Threads)
endforeach()
target_compile_options(quickjs_asserting PRIVATE -UNDEBUG)
set_target_properties(quickjs_asserting PROPERTIES EXCLUDE_FROM_ALL TRUE)

# --- Debian's static SQLite and libsodium.
find_path(HBF_SQLITE_INCLUDE sqlite3.h REQUIRED)
find_library(HBF_SQLITE_LIB NAMES libsqlite3.a sqlite3 REQUIRED)
add_library(sqlite3_lib INTERFACE)
target_include_directories(sqlite3_lib SYSTEM INTERFACE "${HBF_SQLITE_INCLUDE}")
target_link_libraries(sqlite3_lib INTERFACE "${HBF_SQLITE_LIB}" m Threads::Threads ${CMAKE_DL_LIBS})

find_path(HBF_SODIUM_INCLUDE sodium.h REQUIRED)
find_library(HBF_SODIUM_LIB NAMES libsodium.a sodium REQUIRED)
add_library(sodium_lib INTERFACE)
target_include_directories(sodium_lib SYSTEM INTERFACE "${HBF_SODIUM_INCLUDE}")
target_link_libraries(sodium_lib INTERFACE "${HBF_SODIUM_LIB}" Threads::Threads)

# Nettle (nettle-dev): MD5, SHA-1, SHA-384 and the rest of scripts'
# createHash/createHmac, behind src/crypto/hasher.h.
find_path(HBF_NETTLE_INCLUDE nettle/nettle-meta.h REQUIRED)
find_library(HBF_NETTLE_LIB NAMES libnettle.a nettle REQUIRED)
add_library(nettle_lib INTERFACE)
target_include_directories(nettle_lib SYSTEM INTERFACE "${HBF_NETTLE_INCLUDE}")
target_link_libraries(nettle_lib INTERFACE "${HBF_NETTLE_LIB}")

# --- Debian's static zlib (gzip copies of text documents, scripts' zlib).
set(ZLIB_USE_STATIC_LIBS ON)
find_package(ZLIB REQUIRED)

# --- Debian's static ICU (libicu-dev, 72 on bookworm): the `Intl` global
# (src/js/natives_intl.cpp). libicudata (31 MB: CLDR's locale data and the
# tz database) is not linked: src/CMakeLists.txt filters it with icupkg
# (icu-devtools) and packs it brotli-compressed (about 3.6 MB).
find_path(HBF_ICU_INCLUDE unicode/udat.h REQUIRED)
find_library(HBF_ICUI18N_LIB NAMES libicui18n.a icui18n REQUIRED)
find_library(HBF_ICUUC_LIB NAMES libicuuc.a icuuc REQUIRED)
find_library(HBF_ICUDATA_LIB NAMES libicudata.a icudata REQUIRED)
add_library(icu_lib INTERFACE)
target_include_directories(icu_lib SYSTEM INTERFACE "${HBF_ICU_INCLUDE}")
# i18n needs uc: in that order; ICU's C++ needs libstdc++ and dl.
target_link_libraries(icu_lib INTERFACE "${HBF_ICUI18N_LIB}" "${HBF_ICUUC_LIB}" ${CMAKE_DL_LIBS} Threads::Threads)
find_program(HBF_ICUPKG icupkg PATHS /usr/sbin REQUIRED)

# --- Debian's static brotli (libbrotli-dev): scripts' zlib.brotli*.
find_path(HBF_BROTLI_INCLUDE brotli/encode.h REQUIRED)
find_library(HBF_BROTLIENC_LIB NAMES libbrotlienc.a brotlienc REQUIRED)
find_library(HBF_BROTLIDEC_LIB NAMES libbrotlidec.a brotlidec REQUIRED)
find_library(HBF_BROTLICOMMON_LIB NAMES libbrotlicommon.a brotlicommon REQUIRED)
add_library(brotli_lib INTERFACE)
target_include_directories(brotli_lib SYSTEM INTERFACE "${HBF_BROTLI_INCLUDE}")
# enc and dec both need common: it goes last.
target_link_libraries(brotli_lib INTERFACE "${HBF_BROTLIENC_LIB}" "${HBF_BROTLIDEC_LIB}" "${HBF_BROTLICOMMON_LIB}" m)

# --- Debian's static jemalloc (libjemalloc-dev): the process's malloc
# (src/core/process_heap.h). Linked into every executable through hbf_core,
# tests included, so they run on the allocator that ships. Its archive
# defines malloc and free, so glibc's malloc.o must never be pulled in: no
# code here calls glibc-only heap functions (mallopt, malloc_trim,
# mallinfo) in this build.
add_library(jemalloc_lib INTERFACE)
if(HBF_JEMALLOC)
  find_path(HBF_JEMALLOC_INCLUDE jemalloc/jemalloc.h REQUIRED)
  find_library(HBF_JEMALLOC_LIB NAMES libjemalloc.a REQUIRED)
  target_include_directories(jemalloc_lib SYSTEM INTERFACE "${HBF_JEMALLOC_INCLUDE}")
  target_link_libraries(jemalloc_lib INTERFACE "${HBF_JEMALLOC_LIB}" m Threads::Threads ${CMAKE_DL_LIBS})
  target_compile_definitions(jemalloc_lib INTERFACE HBF_JEMALLOC=1)
endif()

# --- Debian's static LZ4 (liblz4-dev): hibernated workers' snapshots.
find_path(HBF_LZ4_INCLUDE lz4.h REQUIRED)
find_library(HBF_LZ4_LIB NAMES liblz4.a REQUIRED)
add_library(lz4_lib INTERFACE)
target_include_directories(lz4_lib SYSTEM INTERFACE "${HBF_LZ4_INCLUDE}")
target_link_libraries(lz4_lib INTERFACE "${HBF_LZ4_LIB}")

if(HBF_SANITIZE OR HBF_FUZZ)
  # QuickJS packs opcodes with `op << 24` into an int (its M4() macro), which
  # UBSan flags as a signed shift overflow. Upstream code, behaviour defined by
  # GCC in practice; HBF's own code keeps the full check.
  target_compile_options(quickjs PRIVATE -fno-sanitize=shift)
  target_compile_options(quickjs_asserting PRIVATE -fno-sanitize=shift)
endif()
