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

rm -rf build pkg
for target in web nodejs; do
  out=build/$target
  wasm-pack --quiet build --release --no-pack --target "$target" --out-dir "$out" --out-name "$name" >/dev/null
  # -O2, matching the crate's opt-level (Cargo.toml says why).
  "$wasm_opt" -O2 --strip-producers --strip-target-features "${features[@]}" \
    "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
done

mkdir -p pkg/web pkg/node
cp -r build/web/"${name}".js build/web/"${name}"_bg.wasm build/web/snippets pkg/web/
cp -r build/nodejs/"${name}".js build/nodejs/"${name}"_bg.wasm build/nodejs/snippets pkg/node/
cp -r pkg-template/. pkg/
# The sandbox ships as it is in the repository: one module for the package, the demo and the tests.
mkdir -p pkg/sandbox
cp sandbox/index.cjs sandbox/index.mjs sandbox/index.d.ts pkg/sandbox/
# The same declarations for `require` (a .d.ts in a "type": "module" package is read as ESM).
cp pkg/index.d.ts pkg/index.d.cts
cp pkg/sandbox/index.d.ts pkg/sandbox/index.d.cts

# The Node glue require()s the JS snippets (src/js/), which wasm-bindgen writes as ES modules;
# Node < 20.19 cannot require ES modules, so the Node copies become CommonJS.
snippets=$(cd pkg/node && find snippets -name '*.js' | sort)
for snippet in $snippets; do
  exported=$(sed -n 's/^export \(class\|function\) \([A-Za-z]*\).*/\2/p' "pkg/node/$snippet" | paste -sd, -)
  sed -i -e 's/^export //' "pkg/node/$snippet"
  if grep -q '^export\|^import' "pkg/node/$snippet"; then echo "build: cannot convert $snippet to CommonJS" >&2; exit 1; fi
  echo "module.exports = { $exported };" >> "pkg/node/$snippet"
done

# Entries re-export the error class from its snippet's (content-hashed) path.
error_js=$(echo "$snippets" | grep '/error\.js$')
sed -i "s#__ERROR_MODULE__#./$error_js#" pkg/web/index.js pkg/node/index.cjs

# Browsers load the web build's JS as shipped (smaller minified); Node reads the Node build
# from disk, where its readable form costs nothing.
node scripts/minify.mjs pkg/web/index.js pkg/web/"${name}".js $(for snippet in $snippets; do echo "pkg/web/$snippet"; done)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
node -e '
  const fs = require("fs");
  const manifest = JSON.parse(fs.readFileSync("pkg/package.json", "utf8"));
  manifest.version = process.argv[1];
  fs.writeFileSync("pkg/package.json", JSON.stringify(manifest, null, 2) + "\n");
' "$version"
echo "built pkg/ (powerpost-credits $version)"
