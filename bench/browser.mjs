// The Chromium half of `make bench`: the web build served from a cross-origin-isolated page
// (so performance.now() has 5 µs resolution, not 100 µs), driven by playwright-core with
// Debian's Chromium, calling the same sandbox as the Node half.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { launchChromium } from "../tests/support.mjs";
import { repo } from "./common.mjs";

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const ISOLATED = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

function servePackage() {
  const root = join(repo, "pkg") + sep;
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://bench").pathname);
    if (path === "/") return res.writeHead(200, { "content-type": TYPES[".html"], ...ISOLATED }).end("<!doctype html><title>bench</title>");
    const file = normalize(join(repo, path));
    if (!file.startsWith(root)) return res.writeHead(404).end();
    try {
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", ...ISOLATED }).end(await readFile(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * Runs `measure` (a function evaluated in the page) with `{ baseUrl, key, plan, ...args }`;
 * in the page, `globalThis.powerpost` is the web build's module and `globalThis.wasmMemory`
 * its linear memory.
 */
export async function inChromium(measure, args) {
  const server = await servePackage();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const version = browser.version();
    const isolated = await page.evaluate(async () => {
      const module = await import("/pkg/web/powerpost_credits.js");
      const exports = await module.default({ module_or_path: "/pkg/web/powerpost_credits_bg.wasm" });
      globalThis.powerpost = module;
      globalThis.wasmMemory = exports.memory;
      return crossOriginIsolated;
    });
    if (!isolated) throw new Error("the bench page is not cross-origin isolated: timings would be coarse");
    const result = await page.evaluate(`(${measure})(${JSON.stringify(args)})`);
    return { version, ...result };
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
  }
}
