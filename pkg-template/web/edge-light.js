// Vercel Edge and Next.js edge routes (the `edge-light` condition). The Edge runtime compiles
// no wasm at run time: `?module` is the route its bundler documents for a `.wasm` import that
// arrives as a WebAssembly.Module, instantiated here at once.
import { initSync } from "./powerpost_credits.js";
import module from "./powerpost_credits_bg.wasm?module";

initSync({ module });

export * from "./api.js";
