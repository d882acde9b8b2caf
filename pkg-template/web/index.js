// Browser, worker and bundler entry: instantiate the wasm once (top-level await), then
// every export is ready, including the synchronous estimators.
import init from "./powerpost_credits.js";

await init({ module_or_path: new URL("./powerpost_credits_bg.wasm", import.meta.url) });

export * from "./api.js";
