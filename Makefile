# Thin layer over CMake. `make demo` and `make test` are the two commands the README gives.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
# Tests wait on processes and the network more than they compute (≈ 50 % CPU at
# -j2 on 2 cores): one more than the cores brings make test from ≈ 10 to ≈ 8 min.
TEST_JOBS  ?= $(shell echo $$(( $$(nproc) + 1 )))

.PHONY: all deps build build-asan test test-plain test-asan demo bench bench-audit soak clean

all: build

deps:
	@bash scripts/setup-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DREWIND_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The whole suite: a normal build, then the same suite under ASan+UBSan.
test: test-plain test-asan

test-plain: build
	@cd $(BUILD) && ctest --output-on-failure --timeout 300 --parallel $(TEST_JOBS)

test-asan: build-asan
	@cd $(ASAN_BUILD) && REWIND_SANITIZED=1 ctest --output-on-failure --timeout 600 --parallel $(TEST_JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/bin

# Ingestion vs COPY, fan-out, agent footprint, rollback latency (bench/run.sh, docs/performance.md).
bench: build
	@bash bench/run.sh $(BUILD)/bin

# Audit queries on a generated history (1M releases, 10M events by default; minutes).
bench-audit: build
	@bash bench/audit_queries.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# Not in CI: SOAK_AGENTS x 110 pods for SOAK_SECS (bench/soak.sh, docs/reliability.md).
soak: build
	@bash bench/soak.sh $(BUILD)/bin
