// Cloudflare Workers entry (the `workerd` condition, which wrangler and Cloudflare's Vite
// plugin resolve). workerd compiles no wasm from bytes and allows no I/O at global scope: the
// bundler hands a `.wasm` import over as a WebAssembly.Module, instantiated here at once.
import { initSync } from "./powerpost_credits.js";
import module from "./powerpost_credits_bg.wasm";

initSync({ module });

export * from "./api.js";
