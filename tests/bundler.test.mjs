// Browser users' views of the packed tarball, installed into a fresh project and run in
// headless Chromium against the sandbox that scripts/with-sandbox.mjs started
// (POWERPOST_SANDBOX): a tiny app built by Vite for production; the same without a bundler, a
// plain <script type="module"> served statically from the project; and a module web worker.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchChromium, projectWithPackage, repo, serveFolder } from "./support.mjs";
import { DEMO_KEY } from "../sandbox/index.mjs";
let project, browser;
const servers = [];

before(() => {
  assert.ok(process.env.POWERPOST_SANDBOX, "run through scripts/with-sandbox.mjs (make test does)");
  project = projectWithPackage("vite-consumer", { type: "module" });
  writeFileSync(join(project, "index.html"), `<!doctype html><html><body><p id="out">loading</p><script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(join(project, "main.js"), `
    import { getCredits, estimateCost } from "powerpost-credits";
    const baseUrl = decodeURIComponent(location.hash.slice(1));
    const out = document.getElementById("out");
    getCredits(${JSON.stringify(DEMO_KEY)}, { baseUrl })
      .then((credits) => { out.textContent = "balance " + credits.balance + ", estimate " + estimateCost({ images: [{}] }).total; })
      .catch((error) => { out.textContent = "error " + error.code; });
  `);
  execFileSync(process.execPath, [join(repo, "node_modules/vite/bin/vite.js"), "build", "--sourcemap", "--logLevel", "error"], { cwd: project, encoding: "utf8" });

  // No bundler: the page and the worker import the installed package's browser entry by path.
  const entry = "/node_modules/powerpost-credits/web/index.js";
  writeFileSync(join(project, "plain.html"), `<!doctype html><html><body><p id="out">loading</p><script type="module">
    import { getCredits, estimateCost } from "${entry}";
    const out = document.getElementById("out");
    getCredits(${JSON.stringify(DEMO_KEY)}, { baseUrl: decodeURIComponent(location.hash.slice(1)) })
      .then((credits) => { out.textContent = "balance " + credits.balance + ", estimate " + estimateCost({ images: [{}] }).total; })
      .catch((error) => { out.textContent = "error " + error.code; });
  </script></body></html>`);
  writeFileSync(join(project, "worker.js"), `
    const api = import("${entry}");
    self.onmessage = async ({ data: baseUrl }) => {
      const { getCredits, estimateCost, PowerPostError } = await api;
      const credits = await getCredits(${JSON.stringify(DEMO_KEY)}, { baseUrl });
      const error = await getCredits("not a key").catch((e) => e);
      self.postMessage({ balance: credits.balance, total: estimateCost({ images: [{}] }).total, errorIsClass: error instanceof PowerPostError, code: error.code });
    };
  `);
});

after(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => server.close()));
  if (project) rmSync(project, { recursive: true, force: true });
});

async function serve(root) {
  const server = await serveFolder(root);
  servers.push(server);
  return `${server.origin}/`;
}

async function openPage(url) {
  browser ??= await launchChromium();
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(url);
  return { page, problems };
}

const sandboxBase = () => `${process.env.POWERPOST_SANDBOX}/api/v1`;

/** Opens `url` with the sandbox in its hash and expects the page's #out to show the balance. */
async function expectBalanceShown(url) {
  const { page, problems } = await openPage(`${url}#${encodeURIComponent(sandboxBase())}`);
  await page.waitForFunction(() => document.getElementById("out").textContent !== "loading", null, { timeout: 20_000 });
  assert.equal(await page.locator("#out").textContent(), "balance 47, estimate 5");
  assert.deepEqual(problems, []);
}

test("a Vite production build of an app that imports the package shows the sandbox balance", async () => {
  await expectBalanceShown(await serve(join(project, "dist")));
});

test("the Vite build takes the browser entry and its wasm, and none of the edge entries or the sandbox", () => {
  const assets = join(project, "dist/assets");
  const sources = readdirSync(assets).filter((file) => file.endsWith(".js.map"))
    .flatMap((file) => JSON.parse(readFileSync(join(assets, file), "utf8")).sources)
    .map((source) => source.replace(/^(\.\.\/)+/, ""));
  const packaged = sources.filter((source) => source.startsWith("node_modules/powerpost-credits/")).map((source) => source.slice(31)).sort();
  assert.ok(packaged.includes("web/index.js") && packaged.includes("web/powerpost_credits.js"), packaged.join(", "));
  assert.deepEqual(packaged.filter((source) => /workerd|edge-light|sandbox|^node\//.test(source)), []);
  assert.equal(readdirSync(assets).filter((file) => file.endsWith(".wasm")).length, 1, "the wasm is an asset of its own");
});

test("without a bundler, a plain module script imports the installed package and shows the sandbox balance", async () => {
  await expectBalanceShown(`${await serve(project)}plain.html`);
});

test("a module web worker imports the installed package: balance, estimate and a PowerPostError", async () => {
  const url = await serve(project);
  const { page, problems } = await openPage(`${url}plain.html#${encodeURIComponent(sandboxBase())}`);
  const answer = await page.evaluate((baseUrl) => new Promise((resolve) => {
    const worker = new Worker("/worker.js", { type: "module" });
    worker.onmessage = (event) => { resolve(event.data); worker.terminate(); };
    worker.onerror = (event) => resolve({ error: event.message });
    setTimeout(() => resolve({ error: "the worker did not answer within 10 s" }), 10_000);
    worker.postMessage(baseUrl);
  }), sandboxBase());
  assert.deepEqual(answer, { balance: 47, total: 5, errorIsClass: true, code: "INVALID_ARGUMENT" });
  assert.deepEqual(problems, []);
});
