#!/usr/bin/env bash
# Installs what building and testing need, skipping whatever is already there:
# the wasm32 target, wasm-bindgen-cli at the version Cargo.lock pins, wasm-pack, the npm dev
# packages; with --browsers, Debian's Chromium, ChromeDriver, Firefox ESR, WebKitGTK's
# WebDriver (with MiniBrowser, WebKit's test browser) and Xvfb, the display it needs, and
# geckodriver from crates.io (no Debian package; npm's downloads a binary, which fails here); with
# --runtimes, the runtimes tests/runtimes.test.mjs runs (tests/runtimes/package.json) and Debian's
# redis-server, which the fleet tests start on ports of their own.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

# Commit messages are checked as they are written (.githooks/commit-msg).
if [ -d .git ] && [ "$(git config core.hooksPath || true)" != .githooks ]; then
  say "checking commit messages with .githooks/commit-msg"
  git config core.hooksPath .githooks
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (about 3 minutes)"
  # Not --locked: one of its locked dependencies is missing from the registry mirror here.
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

if ! command -v wasm-pack >/dev/null 2>&1; then
  say "installing wasm-pack (about 3 minutes)"
  cargo install wasm-pack
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

browsers=false runtimes=false
for option in "$@"; do
  case "$option" in
    --browsers) browsers=true ;;
    --runtimes) runtimes=true ;;
    *) echo "setup: unknown option $option (expected --browsers, --runtimes)" >&2; exit 2 ;;
  esac
done

if $browsers && ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -x /usr/bin/firefox-esr ] \
  && [ -x /usr/bin/WebKitWebDriver ] && [ -x /usr/bin/xvfb-run ]; }; then
  say "installing Chromium, ChromeDriver, Firefox ESR, WebKitGTK's WebDriver and Xvfb"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver firefox-esr webkit2gtk-driver xvfb >/dev/null
fi

if $browsers && ! command -v geckodriver >/dev/null 2>&1; then
  say "installing geckodriver (about 6 minutes, once)"
  cargo install geckodriver
fi

if $runtimes && ! [ -x /usr/bin/redis-server ]; then
  say "installing Redis (the fleet tests start and stop their own servers)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server >/dev/null
fi

if $runtimes && { [ ! -d tests/runtimes/node_modules ] || [ tests/runtimes/package-lock.json -nt tests/runtimes/node_modules/.package-lock.json ]; }; then
  say "installing the runtimes to test in (Deno, Bun, workerd, the Edge runtime, esbuild)"
  npm ci --prefix tests/runtimes --no-audit --no-fund --loglevel=error
fi
exit 0
