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

# Panic locations name source files: as paths of the crate and its dependencies, not of this
# machine (no file in the package names a path outside it).
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
export RUSTFLAGS="--remap-path-prefix=$PWD=powerpost-credits --remap-path-prefix=$registry=crates.io"

# Assembled in build/pkg, then moved into place at once: a running `make demo` serving pkg/
# never sees it half-built.
rm -rf build
for target in web nodejs; do
  out=build/$target
  wasm-pack --quiet build --release --no-pack --target "$target" --out-dir "$out" --out-name "$name" >/dev/null
  # -Oz, matching the crate's opt-level (Cargo.toml says why).
  "$wasm_opt" -Oz --strip-producers --strip-target-features "${features[@]}" \
    "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
done

mkdir -p build/pkg/web build/pkg/node
cp -r build/web/"${name}".js build/web/"${name}"_bg.wasm build/web/snippets build/pkg/web/
cp -r build/nodejs/"${name}".js build/nodejs/"${name}"_bg.wasm build/nodejs/snippets build/pkg/node/
cp -r pkg-template/. build/pkg/
cp LICENSE-MIT LICENSE-APACHE CHANGELOG.md build/pkg/
# The sandbox ships as it is in the repository: one module for the package, the demo and the tests.
mkdir -p build/pkg/sandbox
cp sandbox/index.cjs sandbox/index.mjs sandbox/index.d.ts build/pkg/sandbox/
# The same declarations for `require` (a .d.ts in a "type": "module" package is read as ESM).
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

# Bundlers (esbuild, bun build) follow only plain string literals in require(), and a one-file
# bundle has no .wasm beside it: the Node glue requires its snippets by literal and takes the
# module's bytes from a CommonJS module instead of reading a file at `__dirname` (which also
# spares Deno the read permission).
node - build/pkg/node/"${name}".js "${name}_bg.wasm" <<'JS'
const fs = require("fs");
const [glue, wasm] = process.argv.slice(2);
const replace = (code, pattern, replacement, what) => {
  if (!pattern.test(code)) throw new Error(`build: ${what} not found in ${glue} (has wasm-bindgen's output changed?)`);
  return code.replace(pattern, replacement);
};
let code = fs.readFileSync(glue, "utf8");
code = code.replace(/require\(String\.raw`([^`]*)`\)/g, (_, path) => `require(${JSON.stringify(path)})`);
code = replace(code, /const wasmPath = `\$\{__dirname\}\/[\w.]+`;\nconst wasmBytes = require\('fs'\)\.readFileSync\(wasmPath\);/,
  `const wasmBytes = require(${JSON.stringify(`./${wasm}.cjs`)});`, "the glue's readFileSync of the wasm");
if (/String\.raw|__dirname|readFileSync/.test(code)) throw new Error(`build: ${glue} still reads files or builds paths`);
fs.writeFileSync(glue, code);
const dir = require("path").dirname(glue);
const bytes = fs.readFileSync(`${dir}/${wasm}`).toString("base64");
fs.writeFileSync(`${dir}/${wasm}.cjs`, `// The wasm module's bytes (base64), so that a bundle carries them and nothing reads a file.\nmodule.exports = Buffer.from("${bytes}", "base64");\n`);
fs.rmSync(`${dir}/${wasm}`);
JS

# Entries re-export the error class from its snippet's (content-hashed) path.
error_js=$(echo "$snippets" | grep '/error\.js$')
sed -i "s#__ERROR_MODULE__#./$error_js#" build/pkg/web/api.js build/pkg/node/index.cjs

# The built-in card's models, sizes and rates are written once, in Rust: the d.ts unions of
# their names and the npm README's rate table are written here from the package just built,
# so that a new model, size or rate is one Rust edit.
node - build/pkg <<'JS'
const fs = require("fs");
const dir = process.argv[2];
const { defaultRateCard } = require(`${require("path").resolve(dir)}/node/index.cjs`);
const card = defaultRateCard();
const union = (names) => [...new Set(names)].map((name) => JSON.stringify(name)).join(" | ");
const sizes = (models) => Object.values(models).flatMap((model) => model.sizes);
const fill = (file, pattern, text) => {
  const code = fs.readFileSync(file, "utf8");
  if (!pattern.test(code)) throw new Error(`build: ${file} has no line matching ${pattern}`);
  fs.writeFileSync(file, code.replace(pattern, text));
};
for (const [type, names] of [["ImageModel", Object.keys(card.imageModels)], ["VideoModel", Object.keys(card.videoModels)],
  ["ImageSize", sizes(card.imageModels)], ["VideoSize", sizes(card.videoModels)]]) {
  fill(`${dir}/index.d.ts`, new RegExp(`^export type ${type} = .*;$`, "m"), `export type ${type} = ${union(names)};`);
}
// The rate table, one row a rate, each saying whether PowerPost published it.
const { rates } = require(`${require("path").resolve(dir)}/node/index.cjs`).catalogue();
const rows = rates.map(({ rate, credits, source }) => `| \`${rate}\` | ${credits} | ${source === "published" ? "published" : "our estimate"} |`);
fill(`${dir}/README.md`, /^<!-- rate rows -->$/m, rows.join("\n"));
JS
cp build/pkg/index.d.ts build/pkg/index.d.cts

# Browsers load the web build's JS as shipped (smaller minified); Node reads the Node build
# from disk, where its readable form costs nothing.
node scripts/minify.mjs build/pkg/web/{index,api,workerd,edge-light}.js build/pkg/web/"${name}".js $(for snippet in $snippets; do echo "build/pkg/web/$snippet"; done)

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
