// The demo page: a balance check against the sandbox (or the real API) and a live cost
// planner. Everything that comes from a server is inserted as text, never as HTML.
import { getCredits, estimateCost, defaultRateCard, checkBalance, PowerPostError } from "/pkg/web/index.js";

const DEMO_KEY = "pp_live_sk_demo0000000000000000000047";
const KEY_STORAGE = "powerpost-credits-demo-key";
/** One post type per platform for the publish checkboxes. */
const PLATFORMS = [
  ["Instagram", "instagram-feed", true],
  ["TikTok", "tiktok-video", false],
  ["YouTube", "youtube-short", false],
  ["X", "x-post", false],
  ["Facebook", "facebook-post", true],
  ["LinkedIn", "linkedin-post", true],
];

const $ = (id) => document.getElementById(id);
const card = defaultRateCard();
let lastBalance = null;
let inFlight = null;

function option(select, value, label, selected = false) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = label;
  element.selected = selected;
  select.append(element);
}

function fillOptions(select, values, keep) {
  const previous = keep ? select.value : null;
  select.replaceChildren();
  for (const value of values) option(select, String(value), String(value));
  if (previous && values.map(String).includes(previous)) select.value = previous;
}

// ---- Balance panel ----

function setupBalance() {
  const sandbox = document.querySelector('meta[name="powerpost-sandbox"]')?.content ?? "";
  const demoMode = sandbox.startsWith("http");
  const stored = sessionStorage.getItem(KEY_STORAGE);
  $("base-url").value = demoMode ? sandbox : "https://powerpost.ai/api/v1";
  $("api-key").value = stored ?? (demoMode ? DEMO_KEY : "");
  $("remember").checked = stored !== null;

  $("balance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    checkNow();
  });
  $("cancel").addEventListener("click", () => inFlight?.abort());
}

async function checkNow() {
  const key = $("api-key").value;
  if ($("remember").checked) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);

  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  $("check").disabled = true;
  $("cancel").disabled = false;
  $("balance-error").hidden = true;
  $("balance-status").textContent = "Checking…";
  try {
    const credits = await getCredits(key, {
      baseUrl: $("base-url").value,
      signal: controller.signal,
      onRetry: ({ attempt, delayMs, error }) => {
        $("balance-status").textContent = `Attempt ${attempt} failed (${error.code}); retrying in ${(delayMs / 1000).toFixed(1)} s…`;
      },
    });
    lastBalance = credits.balance;
    $("balance-value").textContent = `${credits.balance} credits`;
    $("balance-request-id").textContent = credits.requestId ?? "none";
    $("balance-remaining").textContent = credits.rateLimit ? String(credits.rateLimit.remaining) : "not reported";
    $("balance-result").hidden = false;
    $("balance-status").textContent = "Done.";
    updateEstimate();
  } catch (error) {
    showError(error);
  } finally {
    if (inFlight === controller) inFlight = null;
    $("check").disabled = false;
    $("cancel").disabled = true;
  }
}

function showError(error) {
  const known = error instanceof PowerPostError;
  $("error-code").textContent = known ? error.code : "ERROR";
  $("error-message").textContent = String(error.message);
  $("error-request-id").textContent = (known && error.requestId) || "none";
  $("balance-error").hidden = false;
  $("balance-result").hidden = true;
  $("balance-status").textContent = known && error.code === "ABORTED" ? "Cancelled." : "Failed.";
}

// ---- Cost planner ----

function setupPlanner() {
  const imageModel = $("image-model");
  option(imageModel, "", "No image");
  for (const name of Object.keys(card.imageModels)) option(imageModel, name, name, name === "flux2-flex");
  const videoModel = $("video-model");
  option(videoModel, "", "No video", true);
  for (const name of Object.keys(card.videoModels)) option(videoModel, name, name);

  const platforms = $("platforms");
  for (const [label, postType, checked] of PLATFORMS) {
    const wrapper = document.createElement("label");
    wrapper.className = "inline";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = postType;
    box.checked = checked;
    box.name = "platform";
    wrapper.append(box, ` ${label}`);
    platforms.append(wrapper);
  }
  $("rate-card-version").textContent = card.version;

  $("plan-form").addEventListener("input", updateEstimate);
  $("plan-form").addEventListener("change", updateEstimate);
  updateEstimate();
}

/** Keeps the size, duration and audio controls to what the chosen models offer. */
function syncChoices() {
  const image = card.imageModels[$("image-model").value];
  $("image-quantity").disabled = $("image-size").disabled = !image;
  fillOptions($("image-size"), image ? image.sizes : [], true);

  const video = card.videoModels[$("video-model").value];
  $("video-duration").disabled = $("video-size").disabled = !video;
  fillOptions($("video-duration"), video ? video.durations : [], true);
  fillOptions($("video-size"), video ? video.sizes : [], true);
  const audio = $("video-audio");
  audio.disabled = !video || video.audioPerSecond === null;
  if (audio.disabled) audio.checked = false;
}

function currentPlan() {
  const whole = (id) => Number($(id).value || 0);
  const postTypes = [...document.querySelectorAll('input[name="platform"]:checked')].map((box) => box.value);
  const plan = {};
  const researchMode = $("research-mode").value;
  if (researchMode) {
    plan.caption = {
      researchMode,
      imageInputs: whole("image-inputs"),
      videoInputSeconds: whole("video-seconds"),
      sourceUrls: whole("source-urls"),
      postTypes,
    };
  }
  if ($("image-model").value) {
    plan.images = [{ model: $("image-model").value, quantity: whole("image-quantity"), size: $("image-size").value }];
  }
  if ($("video-model").value) {
    plan.videos = [{
      model: $("video-model").value,
      durationSeconds: Number($("video-duration").value),
      audio: $("video-audio").checked,
      size: $("video-size").value,
    }];
  }
  if (postTypes.length > 0) plan.publish = { postTypes };
  return plan;
}

function updateEstimate() {
  syncChoices();
  let estimate;
  try {
    estimate = estimateCost(currentPlan());
  } catch (error) {
    $("plan-error").textContent = `${error.field ?? "plan"}: ${error.message}`;
    $("plan-error").hidden = false;
    return;
  }
  $("plan-error").hidden = true;
  const rows = estimate.items.map((item) => {
    const row = document.createElement("tr");
    const label = document.createElement("td");
    label.textContent = item.label;
    const credits = document.createElement("td");
    credits.className = "credits";
    credits.textContent = String(item.credits);
    row.append(label, credits);
    return row;
  });
  $("estimate-items").replaceChildren(...rows);
  $("estimate-total").textContent = String(estimate.total);
  showAffordability(estimate);
}

function showAffordability(estimate) {
  const meter = $("afford-meter");
  if (lastBalance === null) {
    meter.value = 0;
    $("afford-text").textContent = `${estimate.total} credits. Check a balance to compare.`;
    return;
  }
  const result = checkBalance(lastBalance, estimate);
  meter.max = Math.max(result.balance, result.cost, 1);
  meter.value = result.cost;
  meter.classList.toggle("short", !result.affordable);
  $("afford-text").textContent = result.affordable
    ? `${result.cost} of ${result.balance} credits; ${result.remaining} would remain.`
    : `${result.cost} credits needed, ${result.balance} available: short by ${result.shortfall}.`;
}

setupBalance();
setupPlanner();
document.body.dataset.ready = "true";
