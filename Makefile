# HBF's front door. `make run` and `make test` work on a fresh Debian 12
# machine: each installs what is missing first (scripts/setup.sh).

BUILD_DIR      ?= build/release
ASAN_BUILD_DIR ?= build/asan
PORT           ?= 5309
STORAGE_DIR    ?= ./henvs
JOBS           ?= $(shell nproc)
CTEST_ARGS     ?=
FUZZ_BUILD_DIR ?= build/fuzz
FUZZ_SECONDS   ?= 60
FUZZ_TARGETS   ?=

.PHONY: all deps test-deps build run test test-asan fuzz bench clean distclean

all: build

deps:
	@bash scripts/setup.sh

# The tests also drive a browser (Debian's chromium).
test-deps:
	@bash scripts/setup.sh --browser

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@bash scripts/run.sh $(BUILD_DIR)/src/hbf --port $(PORT) --storage_dir $(STORAGE_DIR)

test: test-deps build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (dynamically linked: the sanitizers cannot run in a -static binary).
test-asan: test-deps
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHBF_SANITIZE=ON
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# libFuzzer targets (fuzz/): clang with ASan + UBSan, each run for
# FUZZ_SECONDS on a scratch copy of its seed corpus (FUZZ_TARGETS: a subset).
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DHBF_FUZZ=ON
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target hbf_fuzz_all
	bash scripts/fuzz.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: build
	@bash bench/run

clean:
	rm -rf build

distclean: clean
	rm -rf .deps
