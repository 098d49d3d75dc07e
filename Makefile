# Wayfinder: `make run` serves the portal, `make test` proves it works. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
# Must equal the wasm-bindgen version in Cargo.lock (the CLI refuses any other).
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)
CARGO_BIN := $(HOME)/.cargo/bin
export PATH := $(CARGO_BIN):$(PATH)
CHROMIUM ?= /usr/bin/chromium

.PHONY: help setup setup-rust setup-node setup-browser setup-kubectl setup-postgres build build-kubesim run test lint unit e2e kubesim soak bench bench-large clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: setup-rust setup-node ## Install the build tools that are missing (skips what is there).

setup-rust:
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first (https://rustup.rs)"; exit 1; }
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" || \
		{ echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 13 minutes, once)"; \
		  cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION); }
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" || \
		{ echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 2 minutes, once)"; \
		  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; }

setup-node:
	@command -v npm >/dev/null || { echo "npm not found: apt-get install -y nodejs npm"; exit 1; }
	@[ -x node_modules/.bin/tailwindcss ] && [ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund
	@[ -x end2end/node_modules/.bin/playwright ] || (cd end2end && npm ci --no-audit --no-fund)

setup-browser:
	@[ -x "$(CHROMIUM)" ] || { echo "installing chromium for the browser tests"; \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		{ echo "could not install chromium: run 'sudo apt-get install -y chromium' or set CHROMIUM=/path"; exit 1; }; }

setup-kubectl:
	@[ -n "$$KUBECTL" ] || command -v kubectl >/dev/null || { echo "installing kubectl for the compatibility tests (Debian's kubernetes-client)"; \
		(apt-get update -qq && apt-get install -y -qq kubernetes-client >/dev/null) || \
		{ echo "could not install kubectl: install it, or set KUBECTL=/path/to/kubectl"; exit 1; }; }
	@echo "kubectl: $${KUBECTL:-$$(command -v kubectl)}"

setup-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "installing PostgreSQL for the shared-history tests (Debian's postgresql; the tests start their own server)"; \
		(apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) || \
		{ echo "could not install postgresql: run 'sudo apt-get install -y postgresql'"; exit 1; }; }

build: setup ## Release build of the server and the WASM bundle (its .gz made once, with Zopfli).
	cargo leptos build --release
	@# cargo-leptos ran wasm-opt -Oz; a GUFA pass then -Oz again takes ~1 KB more off the gzip
	@# (BENCHMARKS.md). Once per new bundle: the stamp is newer than the WASM it optimised.
	@if [ target/site/pkg/wayfinder.wasm -nt target/site/pkg/.gufa ]; then \
		echo "wasm-opt --gufa -Oz target/site/pkg/wayfinder.wasm"; \
		node_modules/.bin/wasm-opt --gufa -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
			target/site/pkg/wayfinder.wasm -o target/site/pkg/wayfinder.wasm && touch target/site/pkg/.gufa; fi
	cargo build --release -p server --bin precompress
	./target/release/precompress target/site/pkg

build-kubesim: setup-rust ## Release build of the kubesim binary (the live browser tests run it).
	cargo build --release -p kubesim --bin kubesim

run: build ## Serve the portal on the demo catalog at http://127.0.0.1:3000.
	./target/release/wayfinder

lint: setup-rust ## rustfmt and clippy, warnings are errors.
	cargo fmt --all --check
	cargo clippy -p server -p app -p kubesim --all-targets --features app/ssr -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

unit: setup-rust setup-kubectl setup-postgres ## Every cargo test (the kubectl and PostgreSQL tests fail, never skip, without them).
	timeout 1800 cargo test -p server -p app -p kubesim --features app/ssr

e2e: build build-kubesim setup-browser ## Browser tests: Playwright + Chromium against the release build.
	cd end2end && CHROMIUM_PATH=$(CHROMIUM) timeout 900 npx playwright test

test: setup setup-browser setup-kubectl setup-postgres lint unit e2e ## Everything: set-up, lint, cargo tests, browser tests.

kubesim: ## Serve the simulated demo fleet alone (writes kubesim.kubeconfig for kubectl).
	cargo run --release -p kubesim -- serve --scenario demo --kubeconfig-out kubesim.kubeconfig

BENCH_ARGS ?=
bench: build ## Speed, memory, freshness and apiserver load at seed scale (14 clusters, 1,600 services); table + target/bench/results.json.
	cargo bench -p server --bench fleet -- $(BENCH_ARGS)

bench-large: build ## make bench at the large size: 50 clusters, 5,000 services, 300,000 pods.
	cargo bench -p server --bench fleet -- --clusters 50 --services 5000 --pods 300000 $(BENCH_ARGS)

soak: ## kubesim's demo fleet for 10 minutes under kube-rs watches of every kind, memory sampled.
	cargo run --release -p kubesim --example soak -- 10

clean: ## Remove build output.
	cargo clean
	rm -rf end2end/output
