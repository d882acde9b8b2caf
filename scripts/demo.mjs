#!/usr/bin/env node
// make demo: the demo page (www/) and the package it imports (pkg/), served on 127.0.0.1
// next to the PowerPost sandbox. Ports: DEMO_PORT (8080) and SANDBOX_PORT (8787), or free
// ones when those are busy. Ctrl-C stops both.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { startSandbox, DEMO_KEY } from "../sandbox/index.mjs";

const repo = resolve(import.meta.dirname, "..");
const REAL_API = "https://powerpost.ai";
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** Starts the sandbox and the page server; resolves to their addresses and a `close`. */
export async function startDemo({ webPort = 8080, sandboxPort = 8787, rateLimit = 30 } = {}) {
  const sandbox = await listenOrFree((port) => startSandbox({ port, rateLimit }), sandboxPort);
  const page = await listenOrFree((port) => serveStatic(port, sandbox.origin), webPort);
  const portOf = (origin) => Number(new URL(origin).port);
  const busy = [[webPort, portOf(page.origin)], [sandboxPort, portOf(sandbox.origin)]]
    .filter(([wanted, got]) => wanted !== 0 && wanted !== got)
    .map(([wanted, got]) => `port ${wanted} was busy, so ${got} is used instead`);
  return {
    url: `${page.origin}/`,
    sandbox,
    busy,
    close: () => Promise.all([sandbox.close(), page.close()]),
  };
}

/** Tries `port`, then any free port if it is taken. */
async function listenOrFree(start, port) {
  try {
    return await start(port);
  } catch (error) {
    if (error.code !== "EADDRINUSE" || port === 0) throw error;
    return start(0);
  }
}

function serveStatic(port, sandboxOrigin) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://demo").pathname);
    const file = path === "/" ? "www/index.html" : path.slice(1);
    const full = normalize(join(repo, file));
    const allowed = [join(repo, "www") + sep, join(repo, "pkg") + sep].some((root) => full.startsWith(root));
    if (!allowed || req.method !== "GET") return res.writeHead(404).end("not found");
    try {
      let body = await readFile(full);
      if (file === "www/index.html") {
        // The page may talk to its own origin, the real API and local servers over plain http
        // (the sandbox among them): the package sends http only to loopback hosts, and a
        // policy cannot name [::1] or every 127.x address, so it lists the scheme.
        body = body
          .toString()
          .replaceAll("__CONNECT_SRC__", `'self' ${REAL_API} http:`)
          .replaceAll("__SANDBOX_BASE_URL__", `${sandboxOrigin}/api/v1`)
          .replaceAll("__SANDBOX_DEMO_KEY__", DEMO_KEY);
      }
      res.writeHead(200, { "content-type": TYPES[extname(full)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolveServer, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolveServer({
        origin: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
      }),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const demo = await startDemo({
    webPort: Number(process.env.DEMO_PORT ?? 8080),
    sandboxPort: Number(process.env.SANDBOX_PORT ?? 8787),
  });
  for (const note of demo.busy) console.log(note);
  console.log(`PowerPost sandbox API: ${demo.sandbox.baseUrl}`);
  console.log(`Demo page:             ${demo.url}`);
  console.log("Demo key:              pp_live_sk_demo0000000000000000000047 (balance 47)");
  console.log("Press Ctrl-C to stop.");
  const stop = () => demo.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
