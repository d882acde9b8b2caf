// The demo page: a balance check against the sandbox (or the real API) and a live cost
// planner. It shows only what is true now: a result, a comparison or a total that is no
// longer current is removed, not left on screen. Everything that comes from a server is
// inserted as text, never as HTML.
import { getCredits, estimateCost, defaultRateCard, checkBalance, catalogue, PowerPostError } from "/pkg/web/index.js";

const KEY_STORAGE = "powerpost-credits-demo-key";
/** The documented sample post publishes to these. */
const DEFAULT_POST_TYPES = ["instagram-feed", "facebook-post", "linkedin-post"];
const PARTS = [["caption", "Caption"], ["image", "Images"], ["video", "Videos"], ["publish", "Publishing"]];

const $ = (id) => document.getElementById(id);
/** What the package knows: post types, models, bounds and defaults. The page keeps no copy. */
const facts = catalogue();
const card = defaultRateCard();
let balance = null; // the balance of the last check, while it is current
let inFlight = null;
let entryCount = 0;

function element(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

function fillOptions(select, values, keep) {
  const previous = keep ? select.value : null;
  select.replaceChildren(...values.map((value) => element("option", { value: String(value), textContent: String(value) })));
  if (previous && values.map(String).includes(previous)) select.value = previous;
}

// ---- Balance panel ----

/** The origins the page's Content-Security-Policy lets it connect to, read from the policy itself. */
function connectSources() {
  const policy = document.querySelector('meta[http-equiv="Content-Security-Policy"]').content;
  const directive = policy.split(";").map((part) => part.trim()).find((part) => part.startsWith("connect-src "));
  return directive.split(/\s+/).slice(1);
}

/** Why the policy keeps the page from `baseUrl`, or null when it may connect. */
function blockedByPolicy(baseUrl) {
  let url;
  try {
    url = new URL(baseUrl);
  } catch {
    return null; // the package names what is wrong with it
  }
  const sources = connectSources();
  const allowed = sources.some((source) => {
    if (source === "'self'") return url.origin === location.origin;
    if (/^[a-z]+:$/.test(source)) return url.protocol === source; // a scheme: any host
    const [, scheme, host, port] = source.match(/^(\w+):\/\/([^:/]+)(?::(\d+|\*))?$/) ?? [];
    if (!scheme) return false;
    const defaultPort = url.protocol === "https:" ? "443" : "80";
    return url.protocol === `${scheme}:` && url.hostname === host && (port === "*" || (port ?? defaultPort) === (url.port || defaultPort));
  });
  if (allowed) return null;
  const listed = sources.filter((source) => source !== "'self'").map((source) => (source.endsWith(":") ? `any ${source.slice(0, -1)} address` : source));
  return `This page's Content-Security-Policy lets it connect only to itself, ${listed.join(" and ")}, so it cannot reach ${url.origin}.`
    + " The package itself has no such limit: use it from your own page or from Node.";
}

function setupBalance() {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";
  const sandbox = meta("powerpost-sandbox");
  const demoMode = sandbox.startsWith("http");
  const stored = sessionStorage.getItem(KEY_STORAGE);
  $("base-url").value = demoMode ? sandbox : facts.requestDefaults.baseUrl;
  $("api-key").value = stored ?? (demoMode ? meta("powerpost-sandbox-key") : "");
  $("remember").checked = stored !== null;

  $("balance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    checkNow();
  });
  $("cancel").addEventListener("click", () => inFlight?.abort());
  $("show-key").addEventListener("click", () => {
    const shown = $("api-key").type === "text";
    $("api-key").type = shown ? "password" : "text";
    $("show-key").textContent = shown ? "Show" : "Hide";
    $("show-key").setAttribute("aria-pressed", String(!shown));
  });
}

/** Forgets the last balance: its result and every comparison with it leave the page. */
function forgetBalance() {
  balance = null;
  $("balance-result").hidden = true;
  updateEstimate();
}

async function checkNow() {
  const key = $("api-key").value;
  if ($("remember").checked) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);

  inFlight?.abort();
  inFlight = null;
  $("check").disabled = false;
  $("cancel").disabled = true;
  $("balance-error").hidden = true;
  forgetBalance();
  const blocked = blockedByPolicy($("base-url").value);
  if (blocked) return showError(blocked);

  const controller = new AbortController();
  inFlight = controller;
  $("check").disabled = true;
  $("cancel").disabled = false;
  $("balance-status").textContent = "Checking…";
  updateEstimate();
  let credits, failure;
  try {
    credits = await getCredits(key, {
      baseUrl: $("base-url").value,
      signal: controller.signal,
      onRetry: ({ attempt, delayMs, error }) => {
        $("balance-status").textContent = `Attempt ${attempt} failed (${error.code}); retrying in ${(delayMs / 1000).toFixed(1)} s…`;
      },
    });
  } catch (error) {
    failure = error;
  }
  if (inFlight !== controller) return; // a newer check took over: this one's outcome is not current
  inFlight = null;
  $("check").disabled = false;
  $("cancel").disabled = true;
  if (failure) showError(failure);
  else showCredits(credits);
}

/** "1 credit", "12 credits". */
function creditCount(count) {
  return `${count} ${count === 1 ? "credit" : "credits"}`;
}

function showCredits(credits) {
  balance = credits.balance;
  $("balance-value").textContent = creditCount(credits.balance);
  $("balance-request-id").textContent = credits.requestId ?? "none";
  const limit = credits.rateLimit;
  $("balance-remaining").textContent = limit
    ? `${limit.remaining} of ${limit.limit}, until ${new Date(limit.resetAt * 1000).toLocaleTimeString()}`
    : "not reported";
  $("balance-result").hidden = false;
  $("balance-status").textContent = "Done.";
  updateEstimate();
}

/** One line per error: the code, the message and the request id, each once. */
function describeError(error) {
  if (typeof error === "string") return error;
  if (!(error instanceof PowerPostError)) return `ERROR: ${error.message}`;
  if (error.code === "INVALID_ARGUMENT") return error.message; // it names the field already
  const message = error.message.replace(new RegExp(`^(${error.status} )?${error.code}: `), "");
  const status = error.status === null ? "" : ` (HTTP ${error.status})`;
  const request = error.requestId ? `; request ${error.requestId}` : "";
  return `${error.code}${status}: ${message}${request}`;
}

function showError(error) {
  $("balance-error").textContent = describeError(error);
  $("balance-error").hidden = false;
  const aborted = error instanceof PowerPostError && error.code === "ABORTED";
  $("balance-status").textContent = aborted ? "Cancelled." : "Failed.";
  forgetBalance();
}

// ---- Cost planner ----

function setupPlanner() {
  const postTypes = $("post-types");
  // Shown as people write them; the plan (and what "Use this plan" copies) keeps the names.
  for (const { name, displayName } of facts.postTypes) {
    const box = element("input", { type: "checkbox", value: name, name: "post-type", checked: DEFAULT_POST_TYPES.includes(name) });
    postTypes.append(element("label", { className: "inline" }, box, ` ${displayName}`));
  }
  for (const mode of facts.researchModes) {
    const label = mode[0].toUpperCase() + mode.slice(1);
    $("research-mode").append(element("option", { value: mode, textContent: label, selected: mode === "regular" }));
  }
  // Each caption count's bound, on its control and in its label.
  for (const [id, max] of [["image-inputs", facts.limits.captionImageInputs], ["video-seconds", facts.limits.videoInputSeconds], ["source-urls", facts.limits.sourceUrls]]) {
    $(id).max = max;
    document.querySelector(`label[for="${id}"]`).append(` (0-${max})`);
  }
  $("rate-card-version").textContent = card.version;
  $("add-image").addEventListener("click", () => addEntry("image", true));
  $("add-video").addEventListener("click", () => addEntry("video", true));
  addEntry("image", false);

  $("plan-form").addEventListener("input", updateEstimate);
  $("plan-form").addEventListener("change", updateEstimate);
  for (const button of document.querySelectorAll("button.copy")) button.addEventListener("click", () => copy(button));
  updateEstimate();
}

/** A labelled control with an id of its own. */
function field(label, control) {
  control.id = `entry-${++entryCount}`;
  return [element("label", { htmlFor: control.id, textContent: label }), control];
}

function addEntry(kind, focus) {
  const list = $(`${kind}-entries`);
  if (list.children.length >= facts.limits.entries) return;
  const models = Object.keys(kind === "image" ? card.imageModels : card.videoModels);
  const model = element("select", { name: "model" });
  fillOptions(model, models, false);
  // Runs before the form's own input handler, so the estimate reads the model's choices.
  model.addEventListener("change", () => syncEntry(entry, kind));
  const entry = element("div", { className: `entry ${kind}-entry` });
  entry.append(...field("Model", model));
  if (kind === "image") {
    const most = facts.limits.imagesPerEntry;
    entry.append(...field(`Quantity (1-${most})`, element("input", { name: "quantity", type: "number", min: 1, max: most, step: 1, value: facts.planDefaults.imageQuantity })));
    entry.append(...field("Size", element("select", { name: "size" })));
  } else {
    entry.append(...field("Duration, seconds", element("select", { name: "duration" })));
    entry.append(element("label", { className: "inline" }, element("input", { name: "audio", type: "checkbox" }), " With audio"));
    entry.append(...field("Size", element("select", { name: "size" })));
  }
  const remove = element("button", { type: "button", className: "secondary remove", textContent: kind === "image" ? "Remove this image entry" : "Remove this video" });
  remove.addEventListener("click", () => {
    const next = entry.nextElementSibling ?? entry.previousElementSibling;
    entry.remove();
    $(`add-${kind}`).disabled = false;
    (next?.querySelector("select") ?? $(`add-${kind}`)).focus();
    updateEstimate();
  });
  entry.append(remove);
  list.append(entry);
  $(`add-${kind}`).disabled = list.children.length >= facts.limits.entries;
  syncEntry(entry, kind);
  if (focus) model.focus();
  updateEstimate();
}

/** Keeps an entry's size, duration and audio controls to what its model offers. */
function syncEntry(entry, kind) {
  const pick = (name) => entry.querySelector(`[name="${name}"]`);
  const rates = (kind === "image" ? card.imageModels : card.videoModels)[pick("model").value];
  fillOptions(pick("size"), rates.sizes, true);
  if (kind === "video") {
    fillOptions(pick("duration"), rates.durations, true);
    const audio = pick("audio");
    audio.disabled = rates.audioPerSecond === null;
    if (audio.disabled) audio.checked = false;
  }
}

function currentPlan() {
  const number = (control) => (control.value === "" ? 0 : Number(control.value));
  const postTypes = [...document.querySelectorAll('input[name="post-type"]:checked')].map((box) => box.value);
  const plan = {};
  const researchMode = $("research-mode").value;
  if (researchMode) {
    plan.caption = { researchMode, imageInputs: number($("image-inputs")), videoInputSeconds: number($("video-seconds")), sourceUrls: number($("source-urls")) };
  }
  const entries = (kind) => [...document.querySelectorAll(`.${kind}-entry`)].map((entry) => (name) => entry.querySelector(`[name="${name}"]`));
  const images = entries("image").map((pick) => ({ model: pick("model").value, quantity: number(pick("quantity")), size: pick("size").value }));
  const videos = entries("video").map((pick) => ({
    model: pick("model").value, durationSeconds: Number(pick("duration").value), audio: pick("audio").checked, size: pick("size").value,
  }));
  if (images.length > 0) plan.images = images;
  if (videos.length > 0) plan.videos = videos;
  if (postTypes.length > 0) plan.publish = { postTypes };
  return plan;
}

function updateEstimate() {
  const plan = currentPlan();
  let estimate;
  try {
    estimate = estimateCost(plan);
  } catch (error) {
    // Nothing of the last valid plan stays on screen as if it were this one's.
    $("plan-error").textContent = describeError(error);
    $("plan-error").hidden = false;
    $("estimate-view").hidden = true;
    return;
  }
  $("plan-error").hidden = true;
  $("estimate-view").hidden = false;
  $("estimate-items").replaceChildren(...estimate.items.map((item) =>
    element("tr", {}, element("td", { textContent: item.label }), element("td", { className: "credits", textContent: String(item.credits) }))));
  $("estimate-total").textContent = String(estimate.total);
  showBreakdown(estimate);
  showAffordability(estimate);
  showSnippets(plan, estimate);
}

/** One bar per part of the post, labelled with its credits, so it reads without colour. */
function showBreakdown(estimate) {
  const rows = PARTS.map(([kind, name]) => [name, estimate.items.filter((item) => item.kind === kind).reduce((sum, item) => sum + item.credits, 0)])
    .filter(([, credits]) => credits > 0)
    .map(([name, credits]) => {
      const bar = element("span", { className: "bar" });
      bar.style.width = `${(100 * credits) / Math.max(estimate.total, 1)}%`;
      const track = element("span", { className: "bar-track" }, bar);
      track.setAttribute("aria-hidden", "true");
      return element("li", {}, element("span", { className: "part", textContent: name }), track,
        element("span", { className: "part-credits", textContent: creditCount(credits) }));
    });
  $("breakdown").replaceChildren(...rows);
}

function showAffordability(estimate) {
  const chart = $("afford-chart");
  if (balance === null) {
    chart.hidden = true;
    $("afford-text").textContent = inFlight
      ? `${creditCount(estimate.total)}. Checking the balance…`
      : `${creditCount(estimate.total)}. Check a balance to compare.`;
    return;
  }
  const result = checkBalance(balance, estimate);
  const scale = Math.max(result.balance, result.cost, 1);
  const at = (value) => `${(100 * value) / scale}%`;
  $("afford-fill").style.width = at(result.cost);
  $("afford-fill").classList.toggle("short", !result.affordable);
  $("afford-balance").style.left = at(result.balance);
  placeMark($("afford-cost-label"), `cost ${result.cost}`, result.cost / scale);
  placeMark($("afford-balance-label"), `balance ${result.balance}`, result.balance / scale);
  chart.setAttribute("aria-label", `Cost ${creditCount(result.cost)} against a balance of ${result.balance}`);
  chart.hidden = false;
  $("afford-text").textContent = result.affordable
    ? `${result.cost} of ${creditCount(result.balance)}; ${result.remaining} would remain.`
    : `${creditCount(result.cost)} needed, ${result.balance} available: short by ${result.shortfall}.`;
}

/** A scale label at `fraction` of the bar, kept inside it at the ends. */
function placeMark(mark, text, fraction) {
  mark.textContent = text;
  mark.style.left = `${100 * fraction}%`;
  mark.style.transform = `translateX(${fraction > 0.85 ? -100 : fraction < 0.15 ? 0 : -50}%)`;
}

/** The plan as a JavaScript call, as plan.json and as a command, each giving this total. */
function showSnippets(plan, estimate) {
  const json = JSON.stringify(plan, null, 2);
  $("snippet-js").textContent = `import { estimateCost } from "powerpost-credits";\n\n`
    + `const estimate = estimateCost(${json});\nconsole.log(estimate.total); // ${estimate.total}`;
  $("snippet-json").textContent = json;
  // The plan has no single quotes (its values are names and numbers), so it quotes safely.
  $("snippet-cli").textContent = `echo '${JSON.stringify(plan)}' | npx powerpost-credits estimate -`;
}

async function copy(button) {
  const text = $(button.dataset.copy).textContent;
  $("copy-status").textContent = "";
  try {
    await navigator.clipboard.writeText(text);
    $("copy-status").textContent = "Copied.";
  } catch {
    $("copy-status").textContent = "The browser did not allow copying; select the text instead.";
  }
}

setupBalance();
setupPlanner();
document.body.dataset.ready = "true";
