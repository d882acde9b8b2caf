// The demo page end to end, served as `make demo` serves it, in headless Chromium (Debian's,
// driven by playwright-core). Screenshots of both panels at desktop and phone widths go to
// tests/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createServer } from "node:http";
import { spawnSync } from "node:child_process";
import { launchChromium, repo } from "./support.mjs";
import { startDemo } from "../scripts/demo.mjs";

const artifacts = resolve(import.meta.dirname, "artifacts");
let demo, browser, page;
const problems = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  demo = await startDemo({ webPort: 0, sandboxPort: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // Chromium logs every 4xx/5xx response it fetched; the API errors these tests provoke on
    // purpose are shown by the page, so only those (from the sandbox) are expected.
    const expected = message.text().startsWith("Failed to load resource") && message.location().url.startsWith(demo.sandbox.origin);
    if (!expected) problems.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");
});

after(async () => {
  await browser?.close();
  await demo?.close();
});

const text = (selector) => page.locator(selector).textContent();
const scenario = (name, steps) => `${demo.sandbox.origin}/_sandbox/${name}-${Date.now()}/${steps}/api/v1`;

async function check({ baseUrl = demo.sandbox.baseUrl, key } = {}) {
  await page.fill("#base-url", baseUrl);
  if (key !== undefined) await page.fill("#api-key", key);
  await page.click("#check");
}

test("the demo key shows a balance of 47, the request id and the calls left", async () => {
  await check();
  await page.waitForSelector("#balance-result:not([hidden])");
  assert.equal(await text("#balance-value"), "47 credits");
  assert.match(await text("#balance-request-id"), /^req_/);
  assert.match(await text("#balance-remaining"), /^\d+$/);
});

test("the keyboard alone can run a check (Enter in the key field)", async () => {
  await page.fill("#base-url", demo.sandbox.baseUrl);
  await page.focus("#api-key");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#balance-status").textContent === "Done.");
});

test("a wrong key shows INVALID_API_KEY with a request id", async () => {
  await check({ key: "pp_live_sk_not0a0real0key" });
  await page.waitForSelector("#balance-error:not([hidden])");
  assert.equal(await text("#error-code"), "INVALID_API_KEY");
  assert.match(await text("#error-request-id"), /^req_/);
  await page.fill("#api-key", "pp_live_sk_demo0000000000000000000047");
});

test("a rate-limited sandbox shows the retry message, then the result", async () => {
  await check({ baseUrl: scenario("demo-limited", "ratelimit-1,ok") });
  await page.waitForFunction(() => /retrying in 1\.0 s/.test(document.querySelector("#balance-status").textContent));
  assert.match(await text("#balance-status"), /Attempt 1 failed \(RATE_LIMIT_EXCEEDED\)/);
  await page.waitForFunction(() => document.querySelector("#balance-status").textContent === "Done.");
  assert.equal(await text("#balance-value"), "47 credits");
});

test("Cancel aborts a call in flight", async () => {
  await check({ baseUrl: scenario("demo-slow", "slow-20000") });
  await page.waitForFunction(() => !document.querySelector("#cancel").disabled);
  await page.click("#cancel");
  await page.waitForSelector("#balance-error:not([hidden])");
  assert.equal(await text("#error-code"), "ABORTED");
  assert.equal(await text("#balance-status"), "Cancelled.");
});

test("server text is shown as text and never runs", async () => {
  const payload = "<img src=x onerror=window.__xss=1>";
  await check({ baseUrl: scenario("demo-xss", `error-${encodeURIComponent(payload)}`) });
  await page.waitForSelector("#balance-error:not([hidden])");
  assert.ok((await text("#error-message")).includes(payload));
  assert.equal(await page.locator("#balance-error img").count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test("the default plan is the documented sample, 10-15 credits, and X raises it", async () => {
  const total = Number(await text("#estimate-total"));
  assert.ok(total >= 10 && total <= 15, `sample costs ${total}`);
  assert.equal(await text("#rate-card-version"), "2026-11-estimate");
  await page.check('input[value="x-post"]');
  const withX = Number(await text("#estimate-total"));
  assert.ok(withX > total, `${withX} should exceed ${total}`);
  assert.match(await page.locator("#estimate-items").textContent(), /includes X surcharge/);
});

test("the planner offers only what a model supports", async () => {
  await page.selectOption("#image-model", "gpt-image-1.5");
  const sizes = await page.locator("#image-size option").allTextContents();
  assert.ok(!sizes.includes("feed") && sizes.includes("square"), sizes.join());
  await page.selectOption("#video-model", "runway-gen-4.5");
  assert.equal(await page.locator("#video-audio").isDisabled(), true);
  assert.deepEqual(await page.locator("#video-duration option").allTextContents(), ["5", "10"]);
  await page.selectOption("#video-model", "veo-3.1");
  assert.equal(await page.locator("#video-audio").isDisabled(), false);
  assert.deepEqual(await page.locator("#video-duration option").allTextContents(), ["4", "8"]);
  await page.selectOption("#video-model", "");
  await page.selectOption("#image-model", "flux2-flex");
});

test("cost is compared with the last balance, with the shortfall when it does not fit", async () => {
  await check({ baseUrl: demo.sandbox.baseUrl });
  await page.waitForFunction(() => document.querySelector("#balance-status").textContent === "Done.");
  assert.match(await text("#afford-text"), /of 47 credits; \d+ would remain/);
  await page.selectOption("#video-model", "veo-3.1");
  await page.selectOption("#video-duration", "8");
  await page.check("#video-audio");
  assert.match(await text("#afford-text"), /short by \d+/);
});

test("the package works from a module web worker", async () => {
  const reply = await page.evaluate(({ baseUrl }) => new Promise((resolve) => {
    const worker = new Worker("/www/worker-example.js", { type: "module" });
    worker.onmessage = (event) => { resolve(event.data); worker.terminate(); };
    worker.onerror = (event) => resolve({ error: event.message });
    setTimeout(() => resolve({ error: "the worker did not answer within 10 s" }), 10_000);
    const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
    worker.postMessage({ apiKey: "pp_live_sk_demo0000000000000000000047", baseUrl,
      plan: { caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } } });
  }), { baseUrl: demo.sandbox.baseUrl });
  assert.equal(reply.balance, 47, JSON.stringify(reply));
  assert.match(reply.requestId, /^req_/);
  assert.equal(reply.total, 13);
});

test("screenshots of both panels at desktop and phone widths, and no console errors", async () => {
  for (const [name, width, height] of [["desktop", 1280, 900], ["phone", 360, 800]]) {
    await page.setViewportSize({ width, height });
    for (const panel of ["balance", "planner"]) {
      await page.locator(`#${panel}-panel`).screenshot({ path: join(artifacts, `${panel}-${name}.png`) });
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: the page scrolls sideways by ${overflow}px`);
  }
  assert.deepEqual(problems, []);
});

test("make demo's servers move to free ports when theirs are busy, and say so", async () => {
  const squatter = createServer((req, res) => res.end("someone else"));
  await new Promise((done) => squatter.listen(0, "127.0.0.1", done));
  const taken = squatter.address().port;
  const moved = await startDemo({ webPort: taken, sandboxPort: 0 });
  try {
    assert.notEqual(new URL(moved.url).port, String(taken));
    assert.deepEqual(moved.busy, [`port ${taken} was busy, so ${new URL(moved.url).port} is used instead`]);
    const response = await fetch(moved.url);
    assert.match(await response.text(), /Cost planner/);
  } finally {
    await moved.close();
    await new Promise((done) => squatter.close(done));
  }
});

test("a second make demo reuses the build while it is newer than its sources, and rebuilds when one changed", () => {
  const upToDate = (...extra) => spawnSync("make", ["-q", ...extra, "pkg/package.json"], { cwd: repo }).status;
  assert.equal(upToDate(), 0, "pkg/ was just built by make test, yet make would rebuild it");
  for (const source of ["src/lib.rs", "sandbox/index.cjs", "pkg-template/README.md", "Cargo.toml"]) {
    assert.equal(upToDate("-W", source), 1, `a change to ${source} does not rebuild pkg/`);
  }
});
