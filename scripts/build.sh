#!/usr/bin/env bash
# Builds the npm package into pkg/: the web and Node outputs of wasm-pack, optimized by npm's
# binaryen (wasm-pack's own wasm-opt download is unreachable here, and Debian's v108 corrupts
# this rustc's modules), then assembled with pkg-template/ into one package.
set -euo pipefail
cd "$(dirname "$0")/.."

name=powerpost_credits
wasm_opt=node_modules/.bin/wasm-opt
features=(--enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-multivalue --enable-mutable-globals)

# Assembled in build/pkg, then moved into place at once: a running `make demo` serving pkg/
# never sees it half-built.
rm -rf build
for target in web nodejs; do
  out=build/$target
  wasm-pack --quiet build --release --no-pack --target "$target" --out-dir "$out" --out-name "$name" >/dev/null
  # -O2, matching the crate's opt-level (Cargo.toml says why).
  "$wasm_opt" -O2 --strip-producers --strip-target-features "${features[@]}" \
    "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
done

mkdir -p build/pkg/web build/pkg/node
cp -r build/web/"${name}".js build/web/"${name}"_bg.wasm build/web/snippets build/pkg/web/
cp -r build/nodejs/"${name}".js build/nodejs/"${name}"_bg.wasm build/nodejs/snippets build/pkg/node/
cp -r pkg-template/. build/pkg/
# The sandbox ships as it is in the repository: one module for the package, the demo and the tests.
mkdir -p build/pkg/sandbox
cp sandbox/index.cjs sandbox/index.mjs sandbox/index.d.ts build/pkg/sandbox/
# The same declarations for `require` (a .d.ts in a "type": "module" package is read as ESM).
cp build/pkg/index.d.ts build/pkg/index.d.cts
cp build/pkg/sandbox/index.d.ts build/pkg/sandbox/index.d.cts

# The Node glue require()s the JS snippets (src/js/), which wasm-bindgen writes as ES modules;
# Node < 20.19 cannot require ES modules, so the Node copies become CommonJS.
snippets=$(cd build/pkg/node && find snippets -name '*.js' | sort)
for snippet in $snippets; do
  exported=$(sed -n 's/^export \(class\|function\) \([A-Za-z]*\).*/\2/p' "build/pkg/node/$snippet" | paste -sd, -)
  sed -i -e 's/^export //' "build/pkg/node/$snippet"
  if grep -q '^export\|^import' "build/pkg/node/$snippet"; then echo "build: cannot convert $snippet to CommonJS" >&2; exit 1; fi
  echo "module.exports = { $exported };" >> "build/pkg/node/$snippet"
done

# Entries re-export the error class from its snippet's (content-hashed) path.
error_js=$(echo "$snippets" | grep '/error\.js$')
sed -i "s#__ERROR_MODULE__#./$error_js#" build/pkg/web/index.js build/pkg/node/index.cjs

# Browsers load the web build's JS as shipped (smaller minified); Node reads the Node build
# from disk, where its readable form costs nothing.
node scripts/minify.mjs build/pkg/web/index.js build/pkg/web/"${name}".js $(for snippet in $snippets; do echo "build/pkg/web/$snippet"; done)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
node -e '
  const fs = require("fs");
  const manifest = JSON.parse(fs.readFileSync("build/pkg/package.json", "utf8"));
  manifest.version = process.argv[1];
  fs.writeFileSync("build/pkg/package.json", JSON.stringify(manifest, null, 2) + "\n");
' "$version"
rm -rf build/pkg.old
if [ -d pkg ]; then mv pkg build/pkg.old; fi
mv build/pkg pkg
rm -rf build/pkg.old
echo "built pkg/ (powerpost-credits $version)"
