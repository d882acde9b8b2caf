// The measurements `make bench` takes in Node and in Chromium alike. `suite` must stay
// self-contained (no imports, no outer variables): bench/browser.mjs sends its source text to
// the page. It finds the package as `globalThis.powerpost` and its memory as `globalThis.wasmMemory`.

/** Raw samples; bench.mjs turns them into medians and ratios. */
export async function suite({ baseUrl, key, plan, calls, warmup, inFlight, concurrentCalls, rounds, estimateBatches, perBatch }) {
  const { getCredits, estimateCost } = globalThis.powerpost;
  const url = `${baseUrl}/account/credits`;
  const memoryBytes = () => globalThis.wasmMemory.buffer.byteLength;
  let callsMade = 0;
  let estimatesMade = 0;

  const plain = async () => {
    const response = await fetch(url, { headers: { "x-api-key": key } });
    return (await response.json()).balance;
  };
  // A plain JS client doing what getCredits does for one attempt (its own AbortController and
  // timer, the same fetch options, the five headers, text + JSON.parse): the floor for any
  // client with per-attempt timeouts, whatever language its rules are written in.
  const sameWork = async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    try {
      const response = await fetch(url, { method: "GET", headers: { "x-api-key": key, accept: "application/json" },
        redirect: "error", credentials: "omit", signal: controller.signal });
      const headers = response.headers;
      const seen = ["x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"].map((name) => headers.get(name));
      const body = JSON.parse(await response.text());
      return response.status === 200 && seen[0] !== undefined ? body.balance : NaN;
    } finally {
      clearTimeout(timer);
    }
  };
  const ours = async () => {
    callsMade += 1;
    return (await getCredits(key, { baseUrl })).balance;
  };
  const estimate = () => {
    estimatesMade += 1;
    return estimateCost(plan).total;
  };
  // The same total in plain JS, hard-wired to the default card: the floor for a JS caller.
  const plainTotal = (p) => {
    const perImage = { "flux2-flex": 4, "ideogram-3": 6, "gpt-image-1.5": 8, "nano-banana-2": 4 };
    let total = p.caption ? (p.caption.researchMode === "deep" ? 12 : 6) : 0;
    for (const image of p.images ?? []) total += perImage[image.model ?? "flux2-flex"] * (image.quantity ?? 1);
    if (p.publish) total += 1 + (p.publish.postTypes.includes("x-post") ? 2 : 0);
    return total;
  };
  // Which client goes first alternates, so drift over the run hits both alike.
  const inTurn = (n) => (n % 2 ? [["plain", plain], ["ours", ours]] : [["ours", ours], ["plain", plain]]);
  const clients = [["plain", plain], ["sameWork", sameWork], ["ours", ours]];
  const inRotation = (n) => clients.map((_, i) => clients[(n + i) % clients.length]);
  const check = (balance) => {
    if (balance !== 47) throw new Error(`unexpected balance ${balance}`);
  };

  // Memory after the first call and the first estimate, before anything else.
  check(await ours());
  if (estimate() !== plainTotal(plan)) throw new Error("the floor computes a different total");
  const memoryAtStart = memoryBytes();

  // Latency, interleaved.
  for (let i = 0; i < warmup; i++) {
    for (const [, call] of clients) check(await call());
  }
  const latency = { plain: [], sameWork: [], ours: [] };
  for (let i = 0; i < calls; i++) {
    for (const [name, call] of inRotation(i)) {
      const start = performance.now();
      check(await call());
      latency[name].push(performance.now() - start);
    }
  }

  // Throughput with `inFlight` calls at a time, rounds alternating between the two clients.
  const throughput = { plain: [], ours: [] };
  const pool = async (call) => {
    let next = 0;
    const worker = async () => {
      while (next < concurrentCalls) {
        next += 1;
        check(await call());
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    return concurrentCalls / ((performance.now() - start) / 1000);
  };
  for (let round = 0; round < rounds; round++) {
    for (const [name, call] of inTurn(round)) throughput[name].push(await pool(call));
  }

  // Estimator: batches, so that the timer's resolution does not matter.
  const perCall = (run) => {
    for (let i = 0; i < perBatch * 4; i++) run(plan);
    const samples = [];
    for (let b = 0; b < estimateBatches; b++) {
      const start = performance.now();
      for (let i = 0; i < perBatch; i++) run(plan);
      samples.push(((performance.now() - start) * 1e6) / perBatch);
    }
    return samples;
  };
  const estimator = { ours: perCall(estimate), plain: perCall(plainTotal) };

  // Memory after at least 100,000 estimates and 10,000 getCredits calls.
  while (estimatesMade < 100_000) estimate();
  while (callsMade < 10_000) check(await ours());
  const memory = { atStart: memoryAtStart, atEnd: memoryBytes(), calls: callsMade, estimates: estimatesMade };

  return { latency, throughput, estimator, memory };
}
