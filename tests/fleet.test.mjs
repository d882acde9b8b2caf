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
const fleet = (count, options) => runFleet(count, (index) => ({ key: KEY, ...options, startAfterMs: (options.staggerMs ?? 0) * index }));

const sum = (seen, field) => seen.reduce((total, instance) => total + instance[field], 0);

test("a fleet of 4 processes sharing Redis sends about one request per maxAgeMs; without a store, far more", async () => {
  const [shared, alone] = [scenario("fleet-store", ["slow-20"]), scenario("fleet-alone", ["slow-20"])];
  // A call every 100 ms, 10 a window per process: at a call every 20 ms, the eight processes
  // loaded this two-core machine enough that early refreshes overlapped (25 requests once in CI).
  const settings = { seconds: 10, everyMs: 100, maxAgeMs: 1_000 };
  const [withStore, withoutStore] = await Promise.all([
    fleet(4, { ...settings, baseUrl: shared.baseUrl, redisUrl: redis.url }),
    fleet(4, { ...settings, baseUrl: alone.baseUrl }),
  ]);
  const [requests, requestsAlone] = [await shared.attempts(), await alone.attempts()];
  console.log(`# 4 processes, 10 s, maxAgeMs 1000: ${requests} requests with a shared store, ${requestsAlone} without`);
  for (const seen of [...withStore, ...withoutStore]) {
    assert.deepEqual([seen.errors, seen.storeErrors, seen.unhandled], [[], 0, 0]);
    assert.ok(seen.ok > 50, `each instance kept calling: ${seen.ok} calls`);
  }
  assert.ok(requests <= 2 * 10 + 4, `${requests} requests: at most 2 per 1 s window and one per process`);
  // Without a store each process asks once a window, whatever the machine's load.
  assert.ok(requestsAlone >= 4 * 9 && requestsAlone > requests, `${requestsAlone} requests without the store`);
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

test("hostile entries written straight into Redis are ignored, told and overwritten", async () => {
  const store = keyv();
  const now = Date.now();
  const hostile = [
    [{ version: 2, balance: "47", fetchedAt: now }, "balance must be a number"],
    [{ version: 2, balance: -5, fetchedAt: now }, "balance must be a non-negative number"],
    ["1e400", "balance must be a non-negative number"],
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
    assert.match(key, /^keyv::keyv:powerpost-credits:v2:[0-9a-f]{64}$/);
    const value = redis.cli("GET", key);
    for (const part of windows) assert.ok(!key.includes(part) && !value.includes(part), `${key} holds part of the secret`);
  }
});
