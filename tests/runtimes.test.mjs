// The packed package in every runtime it names, each installed from the npm registry
// (tests/runtimes/package.json; scripts/setup.sh --runtimes): a single-file esbuild bundle for
// Node, Deno without read permission, Bun (import, require and a `bun build` bundle), a worker
// bundled by `wrangler deploy --dry-run` and served by workerd, an `edge-light` bundle in the
// Edge runtime, and a page and a module worker in Firefox, WebKit and Chromium. Each runs the same
// checks (tests/runtimes/checks.js) against a sandbox started from the tarball, and the
// sandbox's own counts say what reached it; each entry exports what the Node build does.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { runInContext } from "node:vm";
import { launchChromium, launchWebKit, projectWithPackage, repo, runtimes, serveFolder, serveWorker, waitUntil, COMPATIBILITY_DATE } from "./support.mjs";

const bin = {
  ...runtimes,
  firefox: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
  geckodriver: process.env.GECKODRIVER ?? join(process.env.HOME, ".cargo/bin/geckodriver"),
};
const UNKNOWN_KEY = "pp_live_sk_unknown0000000000000000000401";
/** What every entry exports: the Node build's (which tests/types.test.mjs holds to the d.ts). */
const NODE_EXPORTS = Object.keys(createRequire(import.meta.url)("../pkg/node/index.cjs")).sort();
let project, sandbox, DEMO_KEY;
const browserVersions = {};

const run = async (file, args, options = {}) => {
  const { stdout } = await promisify(execFile)(file, args, { cwd: project, encoding: "utf8", timeout: 60_000, ...options });
  return stdout;
};
/** The report a runtime printed as its last line of output. */
const lastLine = (stdout) => JSON.parse(stdout.trim().split("\n").pop());

before(async () => {
  project = projectWithPackage("runtimes", { type: "module" });
  copyFileSync(join(repo, "tests/runtimes/checks.js"), join(project, "checks.js"));
  // The sandbox from the tarball, as users run it.
  const installed = await import(join(project, "node_modules/powerpost-credits/sandbox/index.mjs"));
  DEMO_KEY = installed.DEMO_KEY;
  sandbox = await installed.startSandbox();
  // The scripts Deno and Bun run, and the esbuild bundle is made of: the scenario URLs come in
  // as their argument.
  writeFileSync(join(project, "app.js"), `
    import * as api from "powerpost-credits";
    import { runChecks } from "./checks.js";
    const urls = JSON.parse(globalThis.Deno ? Deno.args[0] : process.argv[2]);
    runChecks(api, urls).then((report) => console.log(JSON.stringify(report)));
  `);
  writeFileSync(join(project, "app.cjs"), `
    const api = require("powerpost-credits");
    import("./checks.js").then(({ runChecks }) => runChecks(api, JSON.parse(process.argv[2])))
      .then((report) => console.log(JSON.stringify(report)));
  `);
});
after(async () => {
  await sandbox?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Fresh scenario URLs for one runtime, and a check of what the sandbox saw of them. */
function scenarios(runtime) {
  const id = (name) => `${runtime}-${name}-${process.pid}`;
  const urls = {
    demoKey: DEMO_KEY,
    unknownKey: UNKNOWN_KEY,
    ok: sandbox.baseUrl,
    rateLimitedThenOk: sandbox.scenarioUrl(id("retry"), ["ratelimit-1", "ok"]),
    slow: sandbox.scenarioUrl(id("slow"), ["slow-10000"]),
    redirect: sandbox.scenarioUrl(id("redirect"), ["redirect"]),
  };
  /** `browser`: browsers hide a redirect's status (an opaque-redirect response). */
  async function verify(report, { browser = false } = {}) {
    const error = (code, status, retryable) => ({ isPowerPostError: true, isError: true, name: "PowerPostError", code, status, retryable });
    assert.deepEqual(report, {
      exports: NODE_EXPORTS,
      estimate: 15,
      balance: 47,
      badKey: error("INVALID_API_KEY", 401, false),
      retried: 47,
      aborted: error("ABORTED", null, false),
      redirect: error("HTTP_ERROR", browser ? null : 302, false),
    });
    assert.equal((await sandbox.stats(id("retry"))).attempts, 2, "the 429 was retried once");
    const redirect = await sandbox.stats(id("redirect"));
    assert.equal(redirect.attempts, 1, "a redirect is final: no further request");
    assert.deepEqual(redirect.elsewhere, { hits: 0, sawKey: false }, "the other origin saw no request");
    // The browser closes the aborted request's connection on its own time (Firefox a moment
    // after the page saw the rejection).
    const cancelled = async () => (await sandbox.stats(id("slow"))).cancelled === 1;
    assert.ok(await waitUntil(cancelled, 3_000), "the abort ended the request");
  }
  return { urls, verify };
}

describe("runtimes", { concurrency: 2 }, () => {
  test("Node: a single-file esbuild bundle (--platform=node, CommonJS) runs from a folder with no node_modules", async () => {
    const { urls, verify } = scenarios("esbuild");
    const out = mkdtempSync(join(tmpdir(), "powerpost-credits-bundle-"));
    try {
      await run(bin.esbuild, ["app.cjs", "--bundle", "--platform=node", "--format=cjs", `--outfile=${join(out, "app.cjs")}`, "--log-level=warning"]);
      assert.deepEqual(readdirSync(out), ["app.cjs"], "one file");
      await verify(lastLine(await run(process.execPath, [join(out, "app.cjs"), JSON.stringify(urls)], { cwd: out })));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("Deno: imports the package with network permission for the sandbox only (no --allow-read)", async () => {
    const { urls, verify } = scenarios("deno");
    const env = { ...process.env, DENO_DIR: join(project, ".deno"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
    const version = await run(bin.deno, ["--version"], { env });
    assert.match(version, /^deno 2\./);
    await verify(lastLine(await run(bin.deno, ["run", "--allow-net=127.0.0.1", "app.js", JSON.stringify(urls)], { env })));
  });

  test("Bun: import, require, and a `bun build --target=bun` bundle run from another folder", async () => {
    for (const [name, make] of [
      ["import", async () => ["app.js"]],
      ["require", async () => ["app.cjs"]],
      ["bundle", async () => {
        const out = join(project, "bun-out");
        await run(bin.bun, ["build", "--target=bun", `--outfile=${join(out, "app.js")}`, "app.js"]);
        return [join(out, "app.js")];
      }],
    ]) {
      const { urls, verify } = scenarios(`bun-${name}`);
      const args = await make();
      await verify(lastLine(await run(bin.bun, [...args, JSON.stringify(urls)], { cwd: name === "bundle" ? tmpdir() : project })));
    }
  });

  test("Cloudflare Workers: `wrangler deploy --dry-run` bundles the worker and workerd serves it", async () => {
    const { urls, verify } = scenarios("workerd");
    const dir = join(project, "worker");
    mkdirSync(dir);
    writeFileSync(join(dir, "worker.js"), `
      import * as api from "powerpost-credits";
      import { runChecks } from "../checks.js";
      export default {
        async fetch(request) {
          return Response.json(await runChecks(api, await request.json()));
        },
      };
    `);
    writeFileSync(join(dir, "wrangler.toml"), `name = "powerpost-credits-check"\nmain = "worker.js"\ncompatibility_date = "${COMPATIBILITY_DATE}"\n`);
    const worker = await serveWorker(dir);
    try {
      const response = await fetch(worker.url, { method: "POST", body: JSON.stringify(urls) });
      assert.equal(response.status, 200, worker.output());
      await verify(await response.json());
    } finally {
      await worker.close();
    }
  });

  test("Vercel Edge: an `edge-light` bundle runs in the Edge runtime, which compiles no wasm itself", async () => {
    const { urls, verify } = scenarios("edge");
    writeFileSync(join(project, "edge.js"), `
      import * as api from "powerpost-credits";
      import { runChecks } from "./checks.js";
      addEventListener("fetch", (event) => {
        event.respondWith(event.request.json().then((urls) => runChecks(api, urls)).then((report) => Response.json(report)));
      });
    `);
    const { EdgeRuntime } = await import(join(runtimes.tools, "edge-runtime/dist/index.js"));
    const esbuild = await import(join(runtimes.tools, "esbuild/lib/main.js"));
    // What Vercel's and Next.js's edge builds do with `import x from "./x.wasm?module"`: the
    // file is compiled outside the function and handed to it as a binding.
    const wasmFiles = {};
    const wasmModules = {
      name: "wasm-modules",
      setup(build) {
        build.onResolve({ filter: /\.wasm\?module$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.replace(/\?module$/, "")), namespace: "wasm-module" }));
        build.onLoad({ filter: /.*/, namespace: "wasm-module" }, (args) => {
          const binding = `__wasm_${Object.keys(wasmFiles).length}`;
          wasmFiles[binding] = readFileSync(args.path);
          return { contents: `export default globalThis.${binding};` };
        });
      },
    };
    const { outputFiles } = await esbuild.build({
      entryPoints: [join(project, "edge.js")], bundle: true, write: false, format: "iife", platform: "browser",
      conditions: ["edge-light", "worker", "browser"], plugins: [wasmModules], logLevel: "warning",
    });
    assert.equal(Object.keys(wasmFiles).length, 1, "the edge-light entry imports the wasm with ?module");
    const extend = (context) => {
      const WebAssembly = runInContext("WebAssembly", context);
      for (const [binding, bytes] of Object.entries(wasmFiles)) context[binding] = new WebAssembly.Module(bytes);
      // From here on, as in production: no wasm compiled from bytes.
      const refuse = () => { throw new WebAssembly.CompileError("Wasm code generation disallowed by embedder"); };
      const instantiate = WebAssembly.instantiate;
      WebAssembly.Module = new Proxy(WebAssembly.Module, { construct: refuse });
      WebAssembly.compile = refuse;
      WebAssembly.instantiate = (source, imports) => (source instanceof WebAssembly.Module ? instantiate(source, imports) : refuse());
      return context;
    };
    const runtime = new EdgeRuntime({ initialCode: outputFiles[0].text, codeGeneration: { strings: false, wasm: true }, extend });
    const response = await runtime.dispatchFetch("http://edge/", { method: "POST", body: JSON.stringify(urls) });
    await verify(await response.json());
  });

  test("Firefox ESR (WebDriver): a module page and a module worker without a bundler", async () => {
    const { Builder } = await import(join(runtimes.tools, "selenium-webdriver/index.js"));
    const firefox = await import(join(runtimes.tools, "selenium-webdriver/firefox.js"));
    const options = new firefox.Options().addArguments("-headless").setBinary(bin.firefox);
    const service = new firefox.ServiceBuilder(bin.geckodriver);
    const driver = await new Builder().forBrowser("firefox").setFirefoxOptions(options).setFirefoxService(service).build();
    try {
      browserVersions.firefox = (await driver.getCapabilities()).getBrowserVersion();
      await checkPages("firefox", openWith(driver));
    } finally {
      await driver.quit();
    }
  });

  test("WebKit (WebKitGTK's MiniBrowser, WebDriver): a module page and a module worker without a bundler", async () => {
    const webkit = await launchWebKit();
    try {
      browserVersions.webkit = webkit.version;
      await checkPages("webkit", openWith(webkit.session));
    } finally {
      await webkit.close();
    }
  });

  test("Chromium: a module page and a module worker without a bundler", async () => {
    const browser = await launchChromium();
    browserVersions.chromium = browser.version();
    try {
      const page = await browser.newPage();
      await checkPages("chromium", async (url) => {
        await page.goto(url);
        await page.waitForSelector("#out[data-done]", { timeout: 30_000 });
        return JSON.parse(await page.textContent("#out"));
      });
    } finally {
      await browser.close();
    }
  });
});

test("the npm README's runtime table names the versions tested here", () => {
  const readme = readFileSync(join(repo, "pkg-template/README.md"), "utf8");
  const table = readme.slice(readme.indexOf("| Runtime |"), readme.indexOf("\n\n", readme.indexOf("| Runtime |")));
  const pinned = JSON.parse(readFileSync(join(repo, "tests/runtimes/package.json"), "utf8")).devDependencies;
  for (const [name, version] of [["Deno", pinned["@deno/linux-x64-glibc"]], ["Bun", pinned["@oven/bun-linux-x64"]],
    ["wrangler", pinned.wrangler], ["Edge Runtime", pinned["edge-runtime"]], ["esbuild", pinned.esbuild]]) {
    assert.ok(table.includes(`${name} ${version}`), `the table should name ${name} ${version}`);
  }
  assert.ok(table.includes(`compatibility date ${COMPATIBILITY_DATE}`));
  const engines = JSON.parse(readFileSync(join(repo, "pkg-template/package.json"), "utf8")).engines.node;
  const majors = engines.split("||").map((range) => range.trim().match(/^\^(\d+)/)[1]);
  assert.ok(table.includes(`Node ${majors.slice(0, -1).join(", ")}, ${majors.at(-1)}`), `the table should name Node ${majors}`);
  // Debian updates its browsers: the README names the majors tested at release, and the
  // browsers here may only be newer.
  for (const [name, tested] of [["Chromium", browserVersions.chromium], ["Firefox ESR", browserVersions.firefox]]) {
    const named = Number(table.match(new RegExp(`${name} (\\d+)`))?.[1]);
    assert.ok(tested && named <= Number(tested.split(".")[0]), `the table names ${name} ${named}; tested ${tested}`);
  }
  // WebKitGTK is named by its version (2.50), which is the one installed here.
  const webkit = table.match(/WebKitGTK (\d+\.\d+)/)?.[1];
  assert.ok(browserVersions.webkit?.startsWith(`${webkit}.`), `the table names WebKitGTK ${webkit}; tested ${browserVersions.webkit}`);
});

/** Opens a check page in a WebDriver session (selenium) and resolves to the report it shows. */
const openWith = (session) => async (url) => {
  await session.get(url);
  const shown = "return document.getElementById('out').dataset.done && document.getElementById('out').textContent";
  return JSON.parse(await session.wait(async () => (await session.executeScript(shown)) || null, 30_000));
};

/** Runs the checks on a page and in a module worker it starts, each with its own scenarios. */
async function checkPages(browser, open) {
  writePages();
  const server = await serveFolder(project);
  try {
    for (const where of ["page", "worker"]) {
      const { urls, verify } = scenarios(`${browser}-${where}`);
      const report = await open(`${server.origin}/check.html?${where}#${encodeURIComponent(JSON.stringify(urls))}`);
      await verify(report, { browser: true });
    }
  } finally {
    await server.close();
  }
}

function writePages() {
  const entry = "/node_modules/powerpost-credits/web/index.js";
  writeFileSync(join(project, "check.html"), `<!doctype html><html><body><pre id="out">running</pre><script type="module">
    const urls = JSON.parse(decodeURIComponent(location.hash.slice(1)));
    const out = document.getElementById("out");
    const show = (report) => { out.textContent = JSON.stringify(report); out.dataset.done = "true"; };
    const failed = (error) => show({ failed: String(error) });
    if (location.search === "?worker") {
      const worker = new Worker("/check-worker.js", { type: "module" });
      worker.onmessage = ({ data }) => show(data);
      worker.onerror = (event) => failed(event.message);
      worker.postMessage(urls);
    } else {
      Promise.all([import("${entry}"), import("/checks.js")]).then(([api, { runChecks }]) => runChecks(api, urls)).then(show, failed);
    }
  </script></body></html>`);
  // The handler is set at once: a message that arrives while a static import still awaits the
  // wasm would find none.
  writeFileSync(join(project, "check-worker.js"), `
    const loaded = Promise.all([import("${entry}"), import("/checks.js")]);
    self.onmessage = ({ data }) => loaded.then(([api, { runChecks }]) => runChecks(api, data))
      .then((report) => self.postMessage(report), (error) => self.postMessage({ failed: String(error) }));
  `);
}
