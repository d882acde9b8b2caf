// Balance for fleets against real servers: Debian's redis-server (started on a port of its own
// and stopped by these tests), Keyv with @keyv/redis, Node processes as the instances, and the
// sandbox counting the requests that reach it. Stores that misbehave are JS objects here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import Keyv from "keyv";
import KeyvRedis from "@keyv/redis";
import { runFleet, startRedis, waitUntil } from "./support.mjs";
import { startSandbox } from "../sandbox/index.mjs";
import { CreditsClient } from "../pkg/node/index.mjs";

// A key of the test's own, so that no part of it can turn up in Redis by chance.
const KEY = `pp_live_sk_${randomBytes(16).toString("hex")}`;
const SECRET = KEY.slice("pp_live_sk_".length);
let sandbox, redis;
let unhandled = 0;
const countUnhandled = () => (unhandled += 1);

before(async () => {
  process.on("unhandledRejection", countUnhandled);
  sandbox = await startSandbox({ rateLimit: 1_000_000 });
  sandbox.addKey(KEY, { balance: 47, scopes: ["account:read"] });
  redis = await startRedis();
});

after(async () => {
  process.off("unhandledRejection", countUnhandled);
  await sandbox?.close();
  await redis?.close();
});

/** A base URL of its own (so an entry of its own), whose attempts the sandbox counts. */
const scenario = (name, steps = ["ok"]) => {
  const id = `${name}-${Date.now()}`;
  return { baseUrl: sandbox.scenarioUrl(id, steps), attempts: async () => (await sandbox.stats(id)).attempts };
};

/** Keyv on the test's Redis, as an app makes one. */
function keyv() {
  const store = new Keyv(new KeyvRedis(redis.url));
  store.on("error", () => {});
  return store;
}

/**
 * Where Keyv keeps the entry of KEY at `baseUrl`: the key the package derives, worked out here
 * on its own, under the prefixes Keyv (`keyv:`) and @keyv/redis (`keyv::`) add.
 */
const keyvKey = (baseUrl) => `keyv::keyv:powerpost-credits:v2:${createHash("sha256").update(`${baseUrl}\n${KEY}`).digest("hex")}`;

/** Runs `count` instances with KEY and `options`, started `staggerMs` apart; what each saw. */
const fleet = (count, options, hooks) =>
  runFleet(count, (index, startAt) => ({ key: KEY, ...options, startAt: startAt + (options.staggerMs ?? 0) * index }), hooks);

/** Calls `task` at `at` (ms since the epoch); resolves to what it returns. */
const at = (time, task) => new Promise((done) => setTimeout(() => done(task()), time - Date.now()));

const sum = (seen, field) => seen.reduce((total, instance) => total + instance[field], 0);

for (const delayMs of [20, 400]) {
  test(`8 processes sharing Redis, the API answering after ${delayMs} ms: at most 1.5 requests per maxAgeMs, and calls answered from the entry`, async () => {
    const runs = {};
    for (const [name, redisUrl] of [["shared", redis.url], ["alone", undefined]]) {
      const { baseUrl, attempts } = scenario(`paced-${delayMs}-${name}`, [`slow-${delayMs}`]);
      const seconds = 20;
      let firstWindow;
      const seen = await runFleet(8, (_, startAt) => {
        firstWindow ??= at(startAt + 1_000, attempts);
        return { key: KEY, baseUrl, redisUrl, seconds, everyMs: 20, maxAgeMs: 1_000 };
      });
      const steady = ((await attempts()) - (await firstWindow)) / (seconds - 1);
      const calls = seen.flatMap((instance) => instance.callMs);
      const quick = calls.filter((ms) => ms <= 50).length / calls.length;
      runs[name] = { seen, steady, quick, slowest: Math.max(...calls) };
    }
    const { shared, alone } = runs;
    console.log(`# API at ${delayMs} ms, after the first window: ${shared.steady.toFixed(2)} requests per window sharing Redis, ${alone.steady.toFixed(2)} without; ` +
      `calls within 50 ms ${(shared.quick * 100).toFixed(1)}% / ${(alone.quick * 100).toFixed(1)}%; slowest ${shared.slowest} / ${alone.slowest} ms`);
    for (const seen of [...shared.seen, ...alone.seen]) {
      assert.deepEqual([seen.errors, seen.storeErrors, seen.unhandled, seen.balances], [[], 0, 0, [47]]);
    }
    assert.ok(shared.steady <= 1.5, `${shared.steady.toFixed(2)} requests per window with the store`);
    assert.ok(alone.steady > shared.steady, `${alone.steady.toFixed(2)} requests per window without a store`);
    // An early refresh never delays a caller: only a process's first call waits for a request.
    assert.ok(shared.quick >= 0.95, `${(shared.quick * 100).toFixed(1)}% of calls within 50 ms`);
  });
}

test("a claimant killed with SIGKILL mid-request: the others' calls keep succeeding, and one asks once its claim lapses", async () => {
  const { baseUrl } = scenario("claimant-killed", ["slow-3000"]);
  const timeoutMs = 6_000;
  const asked = [];
  let killed;
  const seen = await fleet(4, { seconds: 24, everyMs: 100, maxAgeMs: 5_000, timeoutMs, baseUrl, redisUrl: redis.url }, {
    onMessage(message, child) {
      if (message !== "asking") return;
      asked.push(Date.now());
      // The second request is the fleet's first refresh: its instance dies while it waits.
      if (asked.length === 2) setTimeout(() => { killed = Date.now(); child.kill("SIGKILL"); }, 1_000);
    },
  });
  assert.equal(seen.filter((instance) => instance.killed).length, 1);
  for (const instance of seen.filter((instance) => !instance.killed)) {
    assert.deepEqual([instance.errors, instance.storeErrors, instance.unhandled, instance.balances], [[], 0, 0, [47]]);
    assert.ok(instance.ok > 50, `the instance kept calling: ${instance.ok} calls`);
  }
  // The claim was written just before its request started, and lasts the request's time limit.
  const lapsed = asked[1] + timeoutMs;
  const next = asked.find((time) => time > killed);
  console.log(`# claimant killed ${killed - asked[1]} ms into its request; the next request ${next - lapsed} ms after its claim lapsed`);
  assert.ok(next >= lapsed - 100, `a request ${lapsed - next} ms before the claim lapsed`);
  assert.ok(next <= lapsed + 1_000, `no request for ${next - lapsed} ms after the claim lapsed`);
});

test("a quiet fleet wakes up: once every entry expired, 8 processes calling at once send at most 2 requests", async () => {
  const { baseUrl, attempts } = scenario("wake-up", ["slow-20"]);
  let asleep;
  const seen = await runFleet(8, (_, startAt) => {
    // 2 s of calls; then none for maxAgeMs and the entry's TTL (1 s over it), and a second more.
    const wakeAt = startAt + 2_000 + 1_000 + 1_000 + 1_000;
    asleep ??= at(wakeAt - 300, async () => [await attempts(), redis.cli("EXISTS", keyvKey(baseUrl)).trim()]);
    return { key: KEY, baseUrl, redisUrl: redis.url, seconds: 2, everyMs: 100, maxAgeMs: 1_000, wakeAt };
  });
  const [before, exists] = await asleep;
  assert.equal(exists, "0", "the entry expired before the fleet woke");
  for (const instance of seen) assert.deepEqual([instance.errors, instance.storeErrors, instance.balances], [[], 0, [47]]);
  const woken = (await attempts()) - before;
  console.log(`# 8 processes waking at once: ${woken} requests`);
  assert.ok(woken >= 1 && woken <= 2, `${woken} requests`);
});

test("mixed versions: entries in the v1 layout, written as the previous release writes them, are never read, and v2 entries are not under their key", async () => {
  const { baseUrl } = scenario("mixed-versions");
  const v1Key = keyvKey(baseUrl).replace(":v2:", ":v1:");
  const v1Entry = () => JSON.stringify({ value: { version: 1, balance: 5, requestId: "req_v1", fetchedAt: Date.now() }, expires: null });
  // The previous release keeps writing its entry while this one runs, as in a rolling deploy.
  redis.cli("SET", v1Key, v1Entry());
  const writer = setInterval(() => redis.cli("SET", v1Key, v1Entry()), 100);
  let seen;
  try {
    seen = await fleet(4, { seconds: 4, everyMs: 50, maxAgeMs: 1_000, baseUrl, redisUrl: redis.url });
  } finally {
    clearInterval(writer);
  }
  for (const instance of seen) assert.deepEqual([instance.errors, instance.storeErrors, instance.balances], [[], 0, [47]]);
  assert.equal(JSON.parse(redis.cli("GET", v1Key)).value.requestId, "req_v1", "the v1 entry is the previous release's own");
  assert.equal(JSON.parse(redis.cli("GET", keyvKey(baseUrl))).value.version, 2);
});

test("Redis going down costs one timeout, then calls answer at a request's pace; sharing resumes when it is back", async (t) => {
  const { baseUrl, attempts } = scenario("redis-down");
  const store = keyv();
  const errors = [];
  const client = new CreditsClient(KEY, { baseUrl, store, storeTimeoutMs: 200, onStoreError: (error) => errors.push(error) });
  await client.getCredits();
  assert.deepEqual(errors, []);
  await redis.stop();
  t.after(() => redis.start());
  // Once Keyv's client has seen the connection drop, it holds every command until Redis is back.
  await new Promise((done) => setTimeout(done, 200));
  const timings = [];
  for (let call = 0; call < 6; call += 1) {
    const started = performance.now();
    assert.equal((await client.getCredits()).balance, 47);
    timings.push(performance.now() - started);
  }
  assert.ok(timings[0] >= 190, `the first call waited for the store: ${timings[0]} ms`);
  assert.ok(timings.slice(1).every((ms) => ms < 100), `then the store was left alone: ${timings.map(Math.round)}`);
  // The first call's write, which the store also holds up, times out on its own.
  await new Promise((done) => setTimeout(done, 400));
  assert.deepEqual(errors.map((error) => error.message), ["store.get took over 200 ms", "store.set took over 200 ms"]);
  assert.ok(errors.every((error) => error.name === "PowerPostError" && error.code === "STORE_ERROR"));

  await redis.start();
  // The client tries its store again after its back-off; a fresh result then reaches Redis.
  const stored = () => redis.cli("GET", keyvKey(baseUrl));
  const answered = [];
  const written = await waitUntil(async () => {
    answered.push((await client.getCredits()).requestId);
    return answered.some((requestId) => stored().includes(requestId));
  }, 20_000, 300);
  assert.ok(written, "a result was written once Redis was back");
  const before = await attempts();
  const other = new CreditsClient(KEY, { baseUrl, store, maxAgeMs: 60_000 });
  const { requestId } = await other.getCredits();
  assert.ok(stored().includes(requestId), "another client answered from the entry");
  assert.equal(await attempts(), before, "without a request");
  await store.disconnect();
  assert.equal(unhandled, 0);
});

test("stores that hang, throw, reject late or answer garbage never break a call", async () => {
  const never = () => new Promise(() => {});
  const twice = (message) => [message, message];
  const cases = [
    ["hangs", { get: never, set: never }, ["store.get took over 100 ms", "store.set took over 100 ms"]],
    ["throws", { get() { throw new Error("get broke"); }, set() { throw new Error("set broke"); } }, ["store.get failed", "store.set failed"]],
    ["rejects late", { get: async () => undefined, set: () => new Promise((_, fail) => setTimeout(() => fail(new Error("late")), 300)) }, ["store.set took over 100 ms"]],
    // A store that works but answers garbage is told of at each read: the call's, then the
    // read of its claim back.
    ["answers a number", { get: () => 42, set() {} }, twice("store entry ignored: entry must be a plain object")],
    ["answers a string", { get: async () => '{"version":2}', set() {} }, twice("store entry ignored: entry must be a plain object")],
    ["answers wrong types", { get: () => ({ version: 2, balance: "47", fetchedAt: Date.now() }), set() {} }, twice("store entry ignored: balance must be a number")],
    ["answers a cycle", { get() { const value = { version: 2 }; value.self = value; return value; }, set() {} }, twice("store entry ignored: is not JSON of at most 65536 characters")],
    ["answers a throwing Proxy", { get: () => new Proxy({}, { ownKeys() { throw new Error("trap"); } }), set() {} }, twice("store entry ignored: is not JSON of at most 65536 characters")],
    ["has a throwing thenable", { get: () => ({ then() { throw new Error("then broke"); } }), set() {} }, ["store.get failed"]],
  ];
  for (const [name, store, expected] of cases) {
    const { baseUrl, attempts } = scenario(`store-${name.replaceAll(" ", "-")}`);
    const told = [];
    const client = new CreditsClient(KEY, { baseUrl, store, storeTimeoutMs: 100, maxAgeMs: 1_000, onStoreError: (error) => told.push(error) });
    assert.equal((await client.getCredits()).balance, 47, name);
    assert.equal(await attempts(), 1, `${name}: the call went to the server`);
    await new Promise((done) => setTimeout(done, 400)); // a late rejection, had it been left unhandled, would show now
    assert.deepEqual(told.map((error) => error.message), expected, name);
    assert.ok(told.every((error) => error.code === "STORE_ERROR" && error.retryable === true), name);
  }
  // A write the store never finishes delays nothing: the caller has its result at once.
  const slowWrites = new CreditsClient(KEY, { baseUrl: scenario("store-slow-set").baseUrl, store: { get: async () => undefined, set: () => new Promise(() => {}) }, storeTimeoutMs: 5_000 });
  const started = performance.now();
  await slowWrites.getCredits();
  assert.ok(performance.now() - started < 1_000, `the call waited for the write: ${performance.now() - started} ms`);
  const thrown = [];
  const client = new CreditsClient(KEY, { baseUrl: scenario("store-cause").baseUrl, store: { get() { throw new TypeError("get broke"); }, set() {} }, onStoreError: (error) => thrown.push(error.cause) });
  await client.getCredits();
  assert.equal(thrown[0].message, "get broke", "what the store threw is the cause");
  const loud = new CreditsClient(KEY, { baseUrl: scenario("store-loud").baseUrl, store: { get: () => 42, set() {} }, onStoreError() { throw new Error("the logger broke"); } });
  assert.equal((await loud.getCredits()).balance, 47, "an onStoreError that throws breaks nothing");
  assert.equal(unhandled, 0);
});

test("a store's waitUntil is handed the work a call leaves running; one that is not a function is refused", async () => {
  const [entries, handed] = [new Map(), []];
  const store = { get: (key) => entries.get(key), set: (key, value) => void entries.set(key, value), waitUntil: (promise) => handed.push(promise) };
  const client = new CreditsClient(KEY, { baseUrl: scenario("wait-until").baseUrl, store, maxAgeMs: 1_000 });
  await client.getCredits();
  assert.equal(handed.length, 1, "the result's write");
  assert.ok(handed[0] instanceof Promise);
  assert.equal(await handed[0], undefined);
  assert.equal([...entries.values()][0].balance, 47);
  assert.throws(() => new CreditsClient(KEY, { store: { get() {}, set() {}, waitUntil: 5 } }), {
    code: "INVALID_ARGUMENT",
    message: "options.store must be a store whose waitUntil, if any, is a function",
  });
});

test("hostile entries written straight into Redis are ignored, told and overwritten", async () => {
  const store = keyv();
  const now = Date.now();
  const hostile = [
    [{ version: 2, balance: "47", fetchedAt: now }, "balance must be a number"],
    [{ version: 2, balance: -5, fetchedAt: now }, "balance must be a finite, non-negative number"],
    ["1e400", "balance must be a finite, non-negative number"],
    [{ version: 2, balance: 5, fetchedAt: now + 120_000 }, "fetchedAt must be a time at most a minute from now"],
    [{ version: 2, balance: 5, fetchedAt: now, padding: "x".repeat(70_000) }, "is not JSON of at most 65536 characters"],
    [{ version: 1, balance: 5, fetchedAt: now }, "is of version 1, not 2"],
    [{ version: 2, balance: 5, fetchedAt: now, rateLimit: { limit: -1, remaining: 0, resetAt: 0 } }, "rateLimit.limit must be a whole number"],
    [[5], "entry must be a plain object"],
  ];
  for (const [entry, why] of hostile) {
    const { baseUrl, attempts } = scenario("hostile");
    // Keyv's own format around the value; "1e400" is a balance JSON reads as Infinity.
    const value = entry === "1e400" ? `{"value":{"version":2,"balance":1e400,"fetchedAt":${now}},"expires":null}` : JSON.stringify({ value: entry, expires: null });
    redis.cli("SET", keyvKey(baseUrl), value);
    const told = [];
    const client = new CreditsClient(KEY, { baseUrl, store, maxAgeMs: 60_000, onStoreError: (error) => told.push(error.message) });
    const credits = await client.getCredits();
    assert.deepEqual([credits.balance, await attempts(), told], [47, 1, [`store entry ignored: ${why}`]], why);
    const healed = await waitUntil(() => JSON.parse(redis.cli("GET", keyvKey(baseUrl))).value.requestId === credits.requestId, 2_000);
    assert.ok(healed, `${why}: the fresh result overwrote the entry`);
  }
  await store.disconnect();
});

test("a fleet burst against a low rate limit meets about as few 429s as one instance does", async () => {
  // Two requests per 120 s: the pause a 429 shares is over a minute, so every instance that
  // reads it rejects at once instead of asking. Only a call that read the store before the
  // first 429's pause was written can meet a 429 too: at most one per instance, and on a quiet
  // machine none (one 429 in all, as one instance).
  const settings = { seconds: 4, everyMs: 400, maxAgeMs: 0, maxRetries: 0, redisUrl: redis.url, staggerMs: 100 };
  const one = await fleet(1, { ...settings, baseUrl: scenario("burst-one", ["limit-2per120"]).baseUrl });
  const four = await fleet(4, { ...settings, baseUrl: scenario("burst-four", ["limit-2per120"]).baseUrl });
  const alone = await fleet(4, { ...settings, redisUrl: undefined, baseUrl: scenario("burst-alone", ["limit-2per120"]).baseUrl });
  const [single, shared, unshared] = [one, four, alone].map((seen) => sum(seen, "rateLimited"));
  console.log(`# 429s from the server: one instance ${single}, 4 sharing Redis ${shared}, 4 without a store ${unshared}`);
  assert.equal(single, 1);
  assert.ok(shared >= 1 && shared <= 4, `${shared} 429s for the fleet`);
  assert.ok(sum(four, "pausedLocally") > 10, "the others waited for the pause instead");
  assert.ok(unshared > 10);
});

test("no Redis key or value holds any part of the API key's secret", () => {
  const keys = redis.cli("--scan").split("\n").filter(Boolean);
  assert.ok(keys.length >= 5, `the tests above left entries: ${keys.length}`);
  const windows = Array.from({ length: SECRET.length - 7 }, (_, start) => SECRET.slice(start, start + 8));
  for (const key of keys) {
    assert.match(key, /^keyv::keyv:powerpost-credits:v[12]:[0-9a-f]{64}$/);
    const value = redis.cli("GET", key);
    for (const part of windows) assert.ok(!key.includes(part) && !value.includes(part), `${key} holds part of the secret`);
  }
});
