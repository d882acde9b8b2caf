// The demo page end to end, served as `make demo` serves it, in headless Chromium (Debian's,
// driven by playwright-core), at desktop and phone widths: it shows only what is true now,
// its plan runs as shown, and axe-core finds nothing serious. Screenshots of both panels at
// both widths go to tests/artifacts/.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createServer, request } from "node:http";
import { closeServer, headingAnchors, launchChromium, launchWebKit, projectWithPackage, repo, runtimes } from "./support.mjs";
import { startDemo } from "../scripts/demo.mjs";
import { DEMO_KEY } from "../sandbox/index.mjs";
import { catalogue } from "../pkg/node/index.mjs";

const artifacts = resolve(import.meta.dirname, "artifacts");
let demo, browser, project;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  demo = await startDemo({ webPort: 0, sandboxPort: 0, rateLimit: 1000 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** A server on another loopback address that passes every request on to the sandbox. */
async function relayToSandbox(host) {
  const target = new URL(demo.sandbox.origin);
  const relay = createServer((req, res) => {
    const forward = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise((done, fail) => relay.once("error", fail).listen(0, host, done));
  return { port: relay.address().port, close: () => closeServer(relay) };
}

const scenario = (name, steps) => `${demo.sandbox.origin}/_sandbox/${name}-${Date.now()}-${Math.random()}/${steps}/api/v1`;

for (const [width, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 360, height: 800 }]]) {
  describe(`the demo page at ${width} width`, () => {
    let page;
    const problems = [];
    const text = (selector) => page.locator(selector).textContent();
    const visible = (selector) => page.locator(selector).isVisible();
    const total = async () => Number(await text("#estimate-total"));
    /** The balance on screen, or why none is shown. */
    const shownBalance = async () => ((await visible("#balance-result")) ? text("#balance-value") : `none shown (${await text("#balance-error")})`);

    before(async () => {
      const context = await browser.newContext({ viewport });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(demo.url).origin });
      page = await context.newPage();
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

    after(() => page?.context().close());

    async function check({ baseUrl = demo.sandbox.baseUrl, key = DEMO_KEY, wait = true } = {}) {
      await page.fill("#base-url", baseUrl);
      await page.fill("#api-key", key);
      await page.click("#check");
      if (wait) await page.waitForFunction(() => ["Done.", "Failed.", "Cancelled."].includes(document.querySelector("#balance-status").textContent));
    }

    test("the first view shows no empty result and no comparison, only the estimate", async () => {
      assert.equal(await visible("#balance-result"), false);
      assert.equal(await visible("#balance-error"), false);
      assert.equal(await visible("#afford-chart"), false);
      assert.equal(await text("#afford-text"), `${await total()} credits. Check a balance to compare.`);
      assert.equal(await visible("#estimate-total"), true);
    });

    test("the demo key shows 47 credits, the request id, and the calls left until the window resets", async () => {
      await check();
      assert.equal(await shownBalance(), "47 credits");
      assert.match(await text("#balance-request-id"), /^req_\w+$/);
      assert.match(await text("#balance-remaining"), /^\d+ of 1000, until \d{1,2}:\d\d:\d\d/);
    });

    test("a failed check removes the earlier balance and every comparison with it; its error is one line, each part once", async () => {
      await check();
      assert.match(await text("#afford-text"), /of 47 credits/);
      await check({ key: "pp_live_sk_not0a0real0key" });
      assert.equal(await visible("#balance-result"), false);
      assert.equal(await visible("#afford-chart"), false);
      assert.doesNotMatch(await page.locator("main").innerText(), /47 credits|of 47/);
      assert.match(await text("#afford-text"), /Check a balance to compare\.$/);
      const error = await text("#balance-error");
      assert.match(error, /^INVALID_API_KEY \(HTTP 401\): Invalid or missing API key; request req_\w+$/);
      const [said] = error.split("; request "); // the id is random hex, which may hold "401" itself
      assert.equal(said.split("INVALID_API_KEY").length - 1, 1, error);
      assert.equal(said.split("401").length - 1, 1, error);
    });

    test("while a check is in flight the last balance is not shown as current, and Cancel ends it", async () => {
      await check();
      await check({ baseUrl: scenario("demo-slow", "slow-20000"), wait: false });
      await page.waitForFunction(() => !document.querySelector("#cancel").disabled);
      assert.equal(await visible("#balance-result"), false);
      assert.match(await text("#afford-text"), /Checking the balance…$/);
      await page.click("#cancel");
      await page.waitForSelector("#balance-error:not([hidden])");
      assert.match(await text("#balance-error"), /^ABORTED: /);
      assert.equal(await text("#balance-status"), "Cancelled.");
      assert.equal(await visible("#balance-result"), false);
    });

    test("a rate-limited sandbox shows the retry message, then the result", async () => {
      await check({ baseUrl: scenario("demo-limited", "ratelimit-1,ok"), wait: false });
      await page.waitForFunction(() => /retrying in 1\.0 s/.test(document.querySelector("#balance-status").textContent));
      assert.match(await text("#balance-status"), /Attempt 1 failed \(RATE_LIMIT_EXCEEDED\)/);
      await page.waitForFunction(() => document.querySelector("#balance-status").textContent === "Done.");
      assert.equal(await shownBalance(), "47 credits");
    });

    test("server text is shown as text and never runs", async () => {
      const payload = "<img src=x onerror=window.__xss=1>";
      await check({ baseUrl: scenario("demo-xss", `error-${encodeURIComponent(payload)}`) });
      assert.ok((await text("#balance-error")).includes(payload));
      assert.equal(await page.locator("#balance-error img").count(), 0);
      assert.equal(await page.evaluate(() => window.__xss), undefined);
    });

    test("every loopback base URL works on the page (localhost, 127.x, [::1]); one the policy keeps out is explained there", async () => {
      const port = new URL(demo.sandbox.origin).port;
      await check({ baseUrl: `http://localhost:${port}/api/v1` });
      assert.equal(await shownBalance(), "47 credits");
      for (const host of ["127.0.0.2", "::1"]) {
        const relay = await relayToSandbox(host);
        try {
          await check({ baseUrl: `http://${host.includes(":") ? `[${host}]` : host}:${relay.port}/api/v1` });
          assert.equal(await shownBalance(), "47 credits", host);
        } finally {
          await relay.close();
        }
      }
      await check({ baseUrl: "https://proxy.example.com/api/v1" });
      assert.equal(await text("#balance-error"), "This page's Content-Security-Policy lets it connect only to itself, https://powerpost.ai and any http address,"
        + " so it cannot reach https://proxy.example.com. The package itself has no such limit: use it from your own page or from Node.");
    });

    test("the default plan is the documented sample, 10-15 credits, and X raises it", async () => {
      const sample = await total();
      assert.ok(sample >= 10 && sample <= 15, `sample costs ${sample}`);
      assert.equal(await text("#rate-card-version"), catalogue().rateCardVersion);
      await page.check('input[value="x-post"]');
      assert.ok((await total()) > sample);
      assert.match(await page.locator("#estimate-items").textContent(), /includes X surcharge/);
      await page.uncheck('input[value="x-post"]');
    });

    test("every post type the package knows can be published to", async () => {
      const declared = readFileSync(join(repo, "pkg/index.d.ts"), "utf8").match(/export type PostType =([^;]+);/)[1].match(/"[^"]+"/g).map((name) => JSON.parse(name));
      const offered = await page.locator('input[name="post-type"]').evaluateAll((boxes) => boxes.map((box) => box.value));
      assert.deepEqual(offered, declared);
      const labels = await page.locator("#post-types label").allTextContents();
      assert.deepEqual(labels.map((label) => label.trim()), catalogue().postTypes.map((entry) => entry.displayName), "shown as people write them");
      assert.ok(labels.some((label) => label.trim() === "Instagram · feed"));
    });

    test("every number input shows its range in its label", async () => {
      const inputs = await page.locator('input[type="number"]').evaluateAll((all) => all.map((input) => ({
        range: `(${input.min}-${input.max})`, label: input.labels[0]?.textContent ?? "" })));
      assert.ok(inputs.length >= 4);
      for (const { range, label } of inputs) assert.ok(label.includes(range), `"${label}" does not show ${range}`);
    });

    test("an invalid plan shows its error once and nothing of the last valid one", async () => {
      await check();
      await page.fill("#image-inputs", "11");
      assert.equal(await text("#plan-error"), "caption.imageInputs must be a whole number from 0 to 10");
      for (const part of ["#estimate", "#estimate-total", "#breakdown", "#afford-text", "#afford-chart", "#use-plan"]) {
        assert.equal(await visible(part), false, `${part} is still shown`);
      }
      await page.fill("#image-inputs", "0");
      assert.equal(await visible("#plan-error"), false);
      assert.equal(await visible("#estimate-total"), true);
    });

    test("image and video entries can be added and removed, each priced, and each offers only what its model supports", async () => {
      const before = await total();
      await page.click("#add-image");
      const second = page.locator(".image-entry").nth(1);
      assert.equal(await page.evaluate(() => document.activeElement.closest(".image-entry") !== null), true, "the new entry has the focus");
      await second.locator('select[name="model"]').selectOption("ideogram-3");
      await second.locator('input[name="quantity"]').fill("2");
      assert.equal(await total(), before + 12);
      await second.locator('select[name="model"]').selectOption("gpt-image-1.5");
      const sizes = await second.locator('select[name="size"] option').allTextContents();
      assert.ok(!sizes.includes("feed") && sizes.includes("square"), sizes.join());

      await page.click("#add-video");
      const video = page.locator(".video-entry").first();
      await video.locator('select[name="model"]').selectOption("runway-gen-4.5");
      assert.equal(await video.locator('input[name="audio"]').isDisabled(), true);
      assert.deepEqual(await video.locator('select[name="duration"] option').allTextContents(), ["5", "10"]);
      await video.locator('select[name="model"]').selectOption("veo-3.1");
      assert.equal(await video.locator('input[name="audio"]').isDisabled(), false);
      assert.deepEqual(await video.locator('select[name="duration"] option').allTextContents(), ["4", "8"]);
      assert.match(await page.locator("#estimate-items").textContent(), /veo-3\.1 video, 4 s/);

      await video.locator("button.remove").click();
      await second.locator("button.remove").click();
      assert.equal(await page.locator(".video-entry").count(), 0);
      assert.equal(await page.locator(".image-entry").count(), 1);
      assert.equal(await total(), before);
    });

    test("the breakdown shows each part of the post with its credits, adding up to the table", async () => {
      await page.click("#add-video");
      const rows = await page.locator("#breakdown li").evaluateAll((items) => items.map((item) => [
        item.querySelector(".part").textContent, Number.parseInt(item.querySelector(".part-credits").textContent, 10)]));
      const items = await page.locator("#estimate-items tr").evaluateAll((trs) => trs.map((tr) => [tr.cells[0].textContent, Number(tr.cells[1].textContent)]));
      const sum = (pattern) => items.filter(([label]) => pattern.test(label)).reduce((all, [, credits]) => all + credits, 0);
      assert.deepEqual(rows, [
        ["Caption", sum(/^Caption/)], ["Images", sum(/image/)], ["Videos", sum(/video/)], ["Publishing", sum(/^Publish/)],
      ]);
      assert.equal(rows.reduce((all, [, credits]) => all + credits, 0), await total());
      // Counts read as English: one credit, several credits.
      const labels = await page.locator("#breakdown .part-credits").allTextContents();
      assert.deepEqual(labels, rows.map(([, credits]) => (credits === 1 ? "1 credit" : `${credits} credits`)));
      assert.ok(labels.includes("1 credit"), `publishing to three platforms without X is 1 credit: ${labels}`);
      await page.locator(".video-entry button.remove").click();
    });

    test("the affordability bar has a scale: 0, the cost and the balance, and says when it falls short", async () => {
      await check();
      const cost = await total();
      assert.equal(await visible("#afford-chart"), true);
      assert.deepEqual([await text(".mark.zero"), await text("#afford-cost-label"), await text("#afford-balance-label")], ["0", `cost ${cost}`, "balance 47"]);
      assert.equal(await page.locator("#afford-chart").getAttribute("aria-label"), `Cost ${cost} credits against a balance of 47`);
      await page.selectOption("#research-mode", "deep");
      await page.click("#add-video");
      await page.locator(".video-entry select[name=duration]").selectOption("10");
      assert.match(await text("#afford-text"), /short by \d+\.$/);
      await page.locator(".video-entry button.remove").click();
      await page.selectOption("#research-mode", "regular");
    });

    test("the key field can be shown and hidden", async () => {
      await page.click("#show-key");
      assert.deepEqual([await page.getAttribute("#api-key", "type"), await page.getAttribute("#show-key", "aria-pressed"), await text("#show-key")], ["text", "true", "Hide"]);
      await page.click("#show-key");
      assert.deepEqual([await page.getAttribute("#api-key", "type"), await page.getAttribute("#show-key", "aria-pressed")], ["password", "false"]);
    });

    test("the keyboard alone runs a check, in the page's order", async () => {
      await page.fill("#base-url", demo.sandbox.baseUrl);
      await page.focus("#api-key");
      const order = [];
      for (let step = 0; step < 4; step++) {
        await page.keyboard.press("Tab");
        order.push(await page.evaluate(() => document.activeElement.id));
      }
      assert.deepEqual(order, ["show-key", "remember", "base-url", "check"]);
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.querySelector("#balance-status").textContent === "Done.");
    });

    test("Use this plan: Copy puts each snippet on the clipboard", async () => {
      await page.click("#use-plan summary");
      for (const id of ["snippet-js", "snippet-json", "snippet-cli"]) {
        await page.click(`button[data-copy="${id}"]`);
        await page.waitForFunction(() => document.querySelector("#copy-status").textContent !== "");
        assert.equal(await text("#copy-status"), "Copied.");
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await text(`#${id}`));
      }
    });

    test("the documentation links go to sections the package's README has", async () => {
      const readme = readFileSync(join(repo, "pkg-template/README.md"), "utf8");
      const anchors = headingAnchors(readme);
      const links = await page.locator("nav a").evaluateAll((all) => all.map((link) => link.href));
      assert.ok(links.length >= 4);
      for (const link of links) {
        assert.ok(link.startsWith("https://github.com/powerpost-credits/powerpost-credits/blob/main/pkg-template/README.md#"), link);
        assert.ok(anchors.has(new URL(link).hash.slice(1)), `no section ${link}`);
      }
    });

    test("axe-core finds no serious or critical accessibility problem", async () => {
      await check();
      await page.click("#add-video");
      const axe = readFileSync(join(repo, "node_modules/axe-core/axe.min.js"), "utf8");
      const violations = await page.evaluate(async (source) => {
        (0, eval)(source); // eslint-disable-line no-eval -- the page's policy does not apply to evaluate
        const { violations } = await window.axe.run(document, { resultTypes: ["violations"] });
        return violations.map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(" ")) }));
      }, axe);
      const serious = violations.filter((violation) => ["serious", "critical"].includes(violation.impact));
      assert.deepEqual(serious, [], JSON.stringify(violations, null, 2));
      await page.locator(".video-entry button.remove").click();
    });

    test("screenshots of both panels, no sideways scrolling, and no console errors", async () => {
      await check();
      await page.evaluate(() => { document.querySelector("#use-plan").open = false; });
      for (const panel of ["balance", "planner"]) {
        await page.locator(`#${panel}-panel`).screenshot({ path: join(artifacts, `${panel}-${width}.png`) });
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
      assert.deepEqual(problems, []);
    });
  });
}

test("WebKit: the main flow, a balance check and the sample plan priced, with X raising it", async () => {
  const { By } = await import(join(runtimes.tools, "selenium-webdriver/index.js"));
  const webkit = await launchWebKit();
  try {
    const { session } = webkit;
    const find = (selector) => session.findElement(By.css(selector));
    const text = async (selector) => (await find(selector)).getText();
    const total = async () => Number(await text("#estimate-total"));
    await session.get(demo.url);
    await session.wait(async () => (await session.findElements(By.css("body[data-ready=true]"))).length > 0, 30_000);
    for (const [selector, value] of [["#base-url", demo.sandbox.baseUrl], ["#api-key", DEMO_KEY]]) {
      await (await find(selector)).clear();
      await (await find(selector)).sendKeys(value);
    }
    await (await find("#check")).click();
    await session.wait(async () => ["Done.", "Failed.", "Cancelled."].includes(await text("#balance-status")), 30_000);
    assert.equal(await text("#balance-status"), "Done.", await text("#balance-error"));
    assert.equal(await text("#balance-value"), "47 credits");
    const sample = await total();
    assert.ok(sample >= 10 && sample <= 15, `sample costs ${sample}`);
    await (await find('input[value="x-post"]')).click();
    await session.wait(async () => (await total()) > sample, 5_000);
    assert.match(await text("#estimate-items"), /includes X surcharge/);
  } finally {
    await webkit.close();
  }
});

test("Use this plan: the JavaScript call, plan.json and the command each give the page's total when run as shown", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(demo.url);
  await page.waitForSelector("body[data-ready=true]");
  await page.selectOption("#research-mode", "deep");
  await page.fill("#source-urls", "3");
  await page.check('input[value="x-post"]');
  await page.click("#add-video");
  await page.locator(".video-entry select[name=model]").selectOption("veo-3.1");
  await page.locator(".video-entry input[name=audio]").check();
  const pageTotal = Number(await page.locator("#estimate-total").textContent());
  const [js, json, cli] = await Promise.all(["#snippet-js", "#snippet-json", "#snippet-cli"].map((id) => page.locator(id).textContent()));
  await context.close();

  project = projectWithPackage("demo-plan", { type: "module" });
  writeFileSync(join(project, "estimate.mjs"), js);
  const fromJs = execFileSync(process.execPath, ["estimate.mjs"], { cwd: project, encoding: "utf8" });
  assert.equal(fromJs, `${pageTotal}\n`);
  assert.ok(js.endsWith(`// ${pageTotal}`), "the snippet shows the total it prints");
  writeFileSync(join(project, "plan.json"), json);
  const fromFile = execFileSync("npx", ["--offline", "powerpost-credits", "estimate", "plan.json"], { cwd: project, encoding: "utf8", env: { ...process.env, POWERPOST_API_KEY: "" } });
  assert.match(fromFile, new RegExp(`^Total\\s+${pageTotal}$`, "m"));
  const fromCommand = execFileSync("sh", ["-c", cli], { cwd: project, encoding: "utf8", env: { ...process.env, POWERPOST_API_KEY: "" } });
  assert.match(fromCommand, new RegExp(`^Total\\s+${pageTotal}$`, "m"));
});

test("the package works from a module web worker", async () => {
  const page = await browser.newPage();
  await page.goto(demo.url);
  const reply = await page.evaluate(({ baseUrl, apiKey }) => new Promise((resolve) => {
    const worker = new Worker("/www/worker-example.js", { type: "module" });
    worker.onmessage = (event) => { resolve(event.data); worker.terminate(); };
    worker.onerror = (event) => resolve({ error: event.message });
    setTimeout(() => resolve({ error: "the worker did not answer within 10 s" }), 10_000);
    const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
    worker.postMessage({ apiKey, baseUrl,
      plan: { caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } } });
  }), { baseUrl: demo.sandbox.baseUrl, apiKey: DEMO_KEY });
  await page.close();
  assert.equal(reply.balance, 47, JSON.stringify(reply));
  assert.match(reply.requestId, /^req_/);
  assert.equal(reply.total, 15);
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
