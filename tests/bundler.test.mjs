// A bundler user's view: a tiny app that imports the packed tarball, built by Vite for
// production, served statically, and run in headless Chromium against the sandbox that
// scripts/with-sandbox.mjs started (POWERPOST_SANDBOX).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import { launchChromium, projectWithPackage, repo } from "./support.mjs";
let project, server, browser;

before(() => {
  assert.ok(process.env.POWERPOST_SANDBOX, "run through scripts/with-sandbox.mjs (make test does)");
  project = projectWithPackage("vite-consumer", { type: "module" });
  writeFileSync(join(project, "index.html"), `<!doctype html><html><body><p id="out">loading</p><script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(join(project, "main.js"), `
    import { getCredits, estimateCost } from "powerpost-credits";
    const baseUrl = decodeURIComponent(location.hash.slice(1));
    const out = document.getElementById("out");
    getCredits("pp_live_sk_demo0000000000000000000047", { baseUrl })
      .then((credits) => { out.textContent = "balance " + credits.balance + ", estimate " + estimateCost({ images: [{}] }).total; })
      .catch((error) => { out.textContent = "error " + error.code; });
  `);
  execFileSync(process.execPath, [join(repo, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "error"], { cwd: project, encoding: "utf8" });
});

after(async () => {
  await browser?.close();
  await new Promise((done) => (server ? server.close(done) : done()));
  if (project) rmSync(project, { recursive: true, force: true });
});

function serve(root) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  server = createServer((req, res) => {
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
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done(`http://127.0.0.1:${server.address().port}/`)));
}

test("a Vite production build of an app that imports the package shows the sandbox balance", async () => {
  const url = await serve(join(project, "dist"));
  browser = await launchChromium();
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(`${url}#${encodeURIComponent(`${process.env.POWERPOST_SANDBOX}/api/v1`)}`);
  await page.waitForFunction(() => document.getElementById("out").textContent !== "loading", null, { timeout: 20_000 });
  assert.equal(await page.locator("#out").textContent(), "balance 47, estimate 4");
  assert.deepEqual(problems, []);
});
