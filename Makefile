# Bulwark — the two entry points are `make demo` and `make check`.
# Everything is built with CMake; this file only sequences the steps.

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60

.PHONY: all deps build demo check test check-asan check-tsan fuzz bench clean help

all: build

help:
	@echo "make demo        install what is missing, build, run the demo"
	@echo "make check       install what is missing, build, run every test (plain, ASan+UBSan, TSan)"
	@echo "make test        run the tests of an existing build"
	@echo "make check-asan  the test suite under AddressSanitizer and UBSan"
	@echo "make check-tsan  the tests of threaded code under ThreadSanitizer"
	@echo "make fuzz        build libFuzzer targets with clang and run each FUZZ_SECONDS"
	@echo "make bench       benchmarks (see bench/README.md)"

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

test:
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

check: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) check-asan
	$(MAKE) check-tsan

check-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DBW_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan-suppressions.txt \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)

# The tests labelled "threads" (tests/CMakeLists.txt: bulwarkd, hashing
# with -j, vPDQ's workers) under ThreadSanitizer: any data race fails the
# test that ran into it (the sanitizer exits 66).
check-tsan: deps
	cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBW_TSAN=ON
	cmake --build $(BUILD_TSAN) -j $(JOBS)
	TSAN_OPTIONS=second_deadlock_stack=1 \
	  ctest --test-dir $(BUILD_TSAN) --output-on-failure -j $(JOBS) -L threads

fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -DBW_FUZZ=ON -DBW_SANITIZE=ON
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	@for t in image jpeg png webp gif bmp pnm tiff heif pixels nudity video vpdq vpdq_signal snapshot chat report vault import url http; do \
	  echo "== fuzz-$$t for $(FUZZ_SECONDS)s"; \
	  mkdir -p $(BUILD_FUZZ)/corpus-$$t; \
	  seeds=fuzz/corpus/$$t; \
	  if [ $$t = image ]; then seeds=$$(echo fuzz/corpus/jpeg fuzz/corpus/png fuzz/corpus/webp \
	    fuzz/corpus/gif fuzz/corpus/bmp fuzz/corpus/pnm fuzz/corpus/tiff fuzz/corpus/heif); fi; \
	  dict=; if [ -f fuzz/$$t.dict ]; then dict=-dict=fuzz/$$t.dict; fi; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan-suppressions.txt \
	  $(BUILD_FUZZ)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 $$dict \
	    -artifact_prefix=$(BUILD_FUZZ)/ $(BUILD_FUZZ)/corpus-$$t $$seeds || exit 1; \
	done

bench: build
	bench/pdq-speed.sh $(BUILD)
	bench/nudity-speed.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_FUZZ)
