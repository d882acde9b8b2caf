// What bench.mjs and soak.mjs share: the sample plan, the machine line, wasm memory of the
// Node build, and rewriting one section of BENCHMARKS.md without touching the others.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";

export const repo = resolve(import.meta.dirname, "..");
export { DEMO_KEY } from "../sandbox/index.mjs";

/** The documented sample: a regular-research caption for 3 post types, one default-model image, published to the same 3. */
export const SAMPLE_PLAN = (() => {
  const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
  return { caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } };
})();

export const machine = () =>
  `${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`;

// The Node glue keeps its wasm instance private, so the package is loaded from here, with
// WebAssembly.Instance watched for the one instance it creates.
let instanceExports;
const RealInstance = WebAssembly.Instance;
WebAssembly.Instance = function Instance(module, imports) {
  const instance = new RealInstance(module, imports);
  instanceExports ??= instance.exports;
  return instance;
};
/** The built Node package (pkg/node/index.mjs). */
export const powerpost = await import("../pkg/node/index.mjs");
WebAssembly.Instance = RealInstance;
/** Current size of the Node build's wasm linear memory, in bytes. */
export const wasmMemoryBytes = () => instanceExports.memory.buffer.byteLength;

export const median = (xs) => quantile(xs, 0.5);
export function quantile(xs, q) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Replaces (or appends) the text between `<!-- name -->` and `<!-- /name -->` in `file`. */
export function replaceSection(file, name, text) {
  const [open, close] = [`<!-- ${name} -->`, `<!-- /${name} -->`];
  const block = `${open}\n${text.trim()}\n${close}`;
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  const [start, end] = [current.indexOf(open), current.indexOf(close)];
  const next = start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + close.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
