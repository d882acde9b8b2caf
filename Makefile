# make demo   set up, build, serve the demo page next to the local sandbox API (Ctrl-C stops)
# make test   every test: host unit tests, wasm tests in Node, Chromium, Firefox and WebKit, the packed package in every runtime
# make bench  benchmarks against the local sandbox, and of a fleet sharing Redis (writes BENCHMARKS.md)
# make soak   100,000 calls and 1,000,000 estimates in one process (adds its report to BENCHMARKS.md)
# make fuzz   the property tests with FUZZ_CASES (default 1,000,000) cases each instead of 256
# make mutants  cargo-mutants over the host tests of src/credits, src/pricing, input.rs and error.rs (at least 95% caught)
.PHONY: demo test bench soak fuzz mutants build setup setup-test wasm-tests clean

export CHROMEDRIVER ?= /usr/bin/chromedriver
export GECKODRIVER ?= $(shell command -v geckodriver || echo $(HOME)/.cargo/bin/geckodriver)

# A second `make demo` reuses pkg/ when it is newer than everything it is built from.
demo: setup pkg/package.json
	node scripts/demo.mjs

PKG_SOURCES := $(shell find src pkg-template sandbox -type f) Cargo.toml Cargo.lock LICENSE-MIT LICENSE-APACHE CHANGELOG.md scripts/build.sh scripts/minify.mjs

pkg/package.json: $(PKG_SOURCES)
	bash scripts/build.sh

test: setup-test
	cargo test
	node scripts/with-sandbox.mjs $(MAKE) --no-print-directory wasm-tests
	bash scripts/build.sh
	node scripts/with-sandbox.mjs node --test tests/

# Needs POWERPOST_SANDBOX (with-sandbox.mjs sets it); both runs share one build of the tests.
wasm-tests:
	wasm-pack test --node
	WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome
	WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --firefox
	# WebKit needs a display even headless (without one its driver hangs); xvfb-run starts one
	# for the run and stops it, however the run ends.
	WASM_BINDGEN_USE_BROWSER=1 xvfb-run -a wasm-pack test --headless --safari --safaridriver /usr/bin/WebKitWebDriver

bench: build
	node scripts/with-sandbox.mjs node bench/bench.mjs
	node bench/fleet.mjs

soak: build
	node scripts/with-sandbox.mjs node bench/soak.mjs

fuzz:
	PROPTEST_CASES=$${FUZZ_CASES:-1000000} cargo test --release --lib

mutants: setup
	bash scripts/mutants.sh

build: setup
	bash scripts/build.sh

setup:
	bash scripts/setup.sh

setup-test:
	bash scripts/setup.sh --browsers --runtimes

clean:
	rm -rf build pkg target node_modules tests/runtimes/node_modules
