// The hand-kept index.d.ts against the Rust types behind it, as the built package shows them:
// for every object the package reads, the d.ts names exactly the keys the Rust type accepts
// (its unknown-key error lists them) and marks exactly the ones it requires as required; every
// string union holds exactly the values the package accepts; every object the package returns
// has exactly the d.ts's keys, with null only where the d.ts allows it. The d.ts is read with
// the TypeScript compiler API. (The full ErrorCode union is checked in Rust, src/error.rs.)
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import ts from "typescript";
import { createRequire } from "node:module";
import { estimateCost, defaultRateCard, checkBalance, settleCharges, calibrateRateCard, getCredits, canAfford, CreditsClient, catalogue } from "../pkg/node/index.mjs";
import { repo } from "./support.mjs";
import { DEMO_KEY } from "../sandbox/index.mjs";

const UNKNOWN = "zzNotAKey";
let checker, exported;

before(() => {
  const program = ts.createProgram([join(repo, "pkg/index.d.ts")], { strict: true, noEmit: true, types: [], lib: ["lib.es2022.d.ts", "lib.dom.d.ts"] });
  checker = program.getTypeChecker();
  const file = program.getSourceFile(join(repo, "pkg/index.d.ts"));
  exported = new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(file)).map((symbol) => [symbol.name, symbol]));
});

const withoutNullish = (type) => (type.isUnion() ? checker.getNonNullableType(type) : type);

/**
 * The d.ts type at `path`: an exported name, then `.property`, `[]` (array element), `{}` (string
 * index), or `(n)` (parameter n of an exported function).
 */
function typeAt(path) {
  const [name, ...steps] = path.match(/^[A-Za-z]+|\.[A-Za-z]+|\[\]|\{\}|\(\d\)/g);
  const symbol = exported.get(name);
  let type = symbol.flags & ts.SymbolFlags.Function ? checker.getTypeOfSymbol(symbol) : checker.getDeclaredTypeOfSymbol(symbol);
  for (const step of steps) {
    type = withoutNullish(type);
    if (step === "[]") type = checker.getIndexTypeOfType(type, ts.IndexKind.Number);
    else if (step === "{}") type = checker.getIndexTypeOfType(type, ts.IndexKind.String);
    else if (step.startsWith("(")) type = checker.getTypeOfSymbol(type.getCallSignatures()[0].parameters[Number(step.slice(1, -1))]);
    else type = checker.getTypeOfSymbol(checker.getPropertyOfType(type, step.slice(1)));
    assert.ok(type, `${path}: no ${step}`);
  }
  return withoutNullish(type);
}

/** Property name -> { optional, nullable } of the object type at `path`. */
function propertiesAt(path) {
  return new Map(checker.getPropertiesOfType(typeAt(path)).map((property) => {
    const type = checker.getTypeOfSymbol(property);
    const nullable = type.isUnion() && type.types.some((member) => member.flags & ts.TypeFlags.Null);
    return [property.name, { optional: Boolean(property.flags & ts.SymbolFlags.Optional), nullable }];
  }));
}

/** The string literals of the union at `path`, and whether it also admits other strings. */
function literalsAt(path) {
  const type = typeAt(path);
  const members = type.isUnion() ? type.types : [type];
  return { values: members.filter((member) => member.isStringLiteral()).map((member) => member.value).sort(), open: members.some((member) => !member.isStringLiteral()) };
}

/** The PowerPostError `read` throws, or null. */
function thrown(read) {
  try {
    read();
    return null;
  } catch (error) {
    assert.equal(error.name, "PowerPostError", String(error));
    return error;
  }
}

/** The PowerPostError `read` throws or its promise rejects with, or null. */
async function failure(read) {
  try {
    await read();
    return null;
  } catch (error) {
    assert.equal(error.name, "PowerPostError", String(error));
    return error;
  }
}

const sorted = (names) => [...names].sort();
const listed = (message) => message.split("expected one of ")[1].split(", ");

// Every object the package reads: its d.ts path, a valid instance, and how to have it read.
const oneImage = () => estimateCost({ images: [{}] });
const publishedToX = () => estimateCost({ publish: { postTypes: ["x-post"] } });
const INPUTS = [
  ["PostPlan", {}, (value) => estimateCost(value)],
  ["PostPlan.caption", { researchMode: "regular" }, (value) => estimateCost({ caption: value })],
  ["PostPlan.images[]", {}, (value) => estimateCost({ images: [value] })],
  ["PostPlan.videos[]", { durationSeconds: 5 }, (value) => estimateCost({ videos: [value] })],
  ["PostPlan.publish", { postTypes: ["x-post"] }, (value) => estimateCost({ publish: value })],
  ["estimateCost(1)", {}, (value) => estimateCost({}, value)],
  ["RateCardOverrides", {}, (value) => estimateCost({}, { rateCard: value })],
  ["RateCardOverrides.caption", {}, (value) => estimateCost({}, { rateCard: { caption: value } })],
  ["RateCardOverrides.caption.videoInput", {}, (value) => estimateCost({}, { rateCard: { caption: { videoInput: value } } })],
  ["RateCardOverrides.imageModels{}", {}, (value) => estimateCost({}, { rateCard: { imageModels: { "flux2-flex": value } } })],
  ["RateCardOverrides.videoModels{}", {}, (value) => estimateCost({}, { rateCard: { videoModels: { "veo-3.1": value } } })],
  ["RateCardOverrides.publish", {}, (value) => estimateCost({}, { rateCard: { publish: value } })],
  ["Outcome", {}, (value) => settleCharges(oneImage(), value)],
  ["Outcome.images[]", { succeeded: 1, failed: 0 }, (value) => settleCharges(oneImage(), { images: [value] })],
  ["Outcome.publish[]", { postType: "x-post", status: "posted" }, (value) => settleCharges(publishedToX(), { publish: [value] })],
  ["WatchOptions", {}, (value) => new CreditsClient(DEMO_KEY).watch(value)],
  ["Charge", { plan: { images: [{}] }, creditsUsed: 5 }, (value) => calibrateRateCard([value])],
  ["calibrateRateCard(1)", {}, (value) => calibrateRateCard([], value)],
];

// The options of the calls that check the balance: one Rust type holds them all, and each call
// refuses, by name, the ones it does not read.
const sandboxUrl = () => `${process.env.POWERPOST_SANDBOX}/api/v1`;
const OPTIONS = [
  ["RequestOptions", () => ({ baseUrl: sandboxUrl() }), (value) => getCredits(DEMO_KEY, value)],
  ["ClientOptions", () => ({ baseUrl: sandboxUrl() }), (value) => new CreditsClient(DEMO_KEY, value).getCredits()],
  ["CanAffordOptions", () => ({ baseUrl: sandboxUrl() }), (value) => canAfford(DEMO_KEY, {}, value)],
  ["ClientCanAffordOptions", () => ({ baseUrl: sandboxUrl() }), (value) => new CreditsClient(DEMO_KEY).canAfford({}, value)],
];

for (const [path, valid, read] of INPUTS) {
  test(`${path}: the d.ts names the keys the package accepts, and requires the ones it requires`, () => {
    assert.equal(thrown(() => read(valid)), null, "the valid instance is read");
    const properties = propertiesAt(path);
    const error = thrown(() => read({ ...valid, [UNKNOWN]: 1 }));
    assert.match(error?.message ?? "", /is not a known field; expected one of /, `${path} accepted an unknown key`);
    assert.deepEqual(sorted(listed(error.message)), sorted(properties.keys()), `${path}: keys of the d.ts and of the Rust type`);
    for (const [name, { optional }] of properties) {
      const rest = { ...valid };
      delete rest[name];
      const missing = thrown(() => read(rest));
      if (optional) assert.equal(missing, null, `${path}.${name} is optional in the d.ts but required by the package`);
      else assert.match(missing?.field ?? "", new RegExp(`(^|\\.)${name}$`), `${path}.${name} is required in the d.ts but not by the package`);
    }
  });
}

for (const [path, valid, read] of OPTIONS) {
  test(`${path}: the d.ts names the options the call reads; the others are refused by name`, async () => {
    assert.equal(await failure(() => read(valid())), null, "the valid options are read");
    const properties = propertiesAt(path);
    const error = await failure(() => read({ ...valid(), [UNKNOWN]: 1 }));
    assert.match(error?.message ?? "", /is not a known field; expected one of /, `${path} accepted an unknown key`);
    const known = listed(error.message);
    for (const name of properties.keys()) assert.ok(known.includes(name), `${path}.${name} is in the d.ts but not read`);
    for (const name of known.filter((name) => !properties.has(name))) {
      const refused = await failure(() => read({ ...valid(), [name]: {} }));
      assert.equal(refused?.field, `options.${name}`, `${path}: ${name}, which the d.ts leaves out, is not refused`);
    }
  });
}

// Every string union: its values are exactly the ones the package accepts.
const UNIONS = [
  ["ResearchMode", (value) => estimateCost({ caption: { researchMode: value } }), (message) => message.match(/"([^"]+)"/g).map((name) => name.slice(1, -1))],
  ["PostType", (value) => estimateCost({ publish: { postTypes: [value] } }), listed],
  ["Platform", (value) => estimateCost({}, { rateCard: { publish: { surcharges: { [value]: 1 } } } }), listed],
  ["RequestOptions.auth", (value) => new CreditsClient(DEMO_KEY, { auth: value }), (message) => message.match(/"([^"]+)"/g).map((name) => name.slice(1, -1))],
  ["Outcome.caption", (value) => settleCharges(oneImage(), { caption: value }), (message) => message.match(/"([^"]+)"/g).map((name) => name.slice(1, -1))],
  ["Outcome.videos[]", (value) => settleCharges(oneImage(), { videos: [value] }), (message) => message.match(/"([^"]+)"/g).map((name) => name.slice(1, -1))],
  ["Outcome.publish[].status", (value) => settleCharges(publishedToX(), { publish: [{ postType: "x-post", status: value }] }), (message) => message.match(/"([^"]+)"/g).map((name) => name.slice(1, -1))],
];

for (const [path, read, names] of UNIONS) {
  test(`${path}: the d.ts union is exactly what the package accepts`, () => {
    const { values, open } = literalsAt(path);
    assert.equal(open, false);
    for (const value of values) assert.equal(thrown(() => read(value)), null, `${path}: "${value}" is refused`);
    const error = thrown(() => read("zz-not-a-value"));
    assert.ok(error, `${path} accepted a value outside the union`);
    assert.deepEqual(sorted(names(error.message)), values, `${path}: ${error.message}`);
  });
}

test("model and size unions name the built-in rate card's models and sizes (and stay open to overrides)", () => {
  const card = defaultRateCard();
  const sizes = (models) => [...new Set(Object.values(models).flatMap((model) => model.sizes))];
  for (const [path, names] of [
    ["ImageModel", Object.keys(card.imageModels)],
    ["VideoModel", Object.keys(card.videoModels)],
    ["ImageSize", sizes(card.imageModels)],
    ["VideoSize", sizes(card.videoModels)],
  ]) {
    // scripts/build.sh writes these unions from the built card; this holds it to that.
    assert.deepEqual(literalsAt(path).values, sorted(names), path);
  }
  for (const path of ["PostPlan.images[].model", "PostPlan.images[].size", "PostPlan.videos[].model", "PostPlan.videos[].size"]) {
    assert.equal(literalsAt(path).open, true, `${path} also takes names a rate card override adds`);
  }
});

/** Checks `value`'s keys against the object type at `path`: all required ones, no others, null only where allowed. */
function assertShape(path, value) {
  const properties = propertiesAt(path);
  for (const [name, { optional }] of properties) if (!optional) assert.ok(name in value, `${path}.${name} is missing from ${JSON.stringify(value)}`);
  for (const [name, field] of Object.entries(value)) {
    assert.ok(properties.has(name), `${path} has no ${name} in the d.ts, but the package returns it`);
    if (field === null) assert.ok(properties.get(name).nullable, `${path}.${name} is null, which the d.ts does not allow`);
  }
}

test("the Node entries export exactly the functions and classes the d.ts declares", async () => {
  const declared = sorted([...exported.values()].filter((symbol) => symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)).map((symbol) => symbol.name));
  assert.deepEqual(sorted(Object.keys(await import("../pkg/node/index.mjs"))), declared);
  assert.deepEqual(sorted(Object.keys(createRequire(import.meta.url)("../pkg/node/index.cjs"))), declared);
});

test("the catalogue has exactly the d.ts's keys, and says what the package accepts", async () => {
  const facts = catalogue();
  assertShape("Catalogue", facts);
  for (const part of ["limits", "planDefaults", "requestDefaults", "watchDefaults"]) assertShape(`Catalogue.${part}`, facts[part]);
  for (const entry of facts.postTypes) assertShape("Catalogue.postTypes[]", entry);
  for (const model of facts.imageModels) assertShape("Catalogue.imageModels[]", model);
  for (const model of facts.videoModels) assertShape("Catalogue.videoModels[]", model);
  assert.deepEqual(facts.postTypes.map((entry) => entry.name).sort(), literalsAt("PostType").values);
  assert.deepEqual(sorted(new Set(facts.postTypes.map((entry) => entry.platform))), literalsAt("Platform").values);
  assert.deepEqual(sorted(facts.researchModes), literalsAt("ResearchMode").values);
  const card = defaultRateCard();
  assert.equal(facts.rateCardVersion, card.version);
  assert.deepEqual(facts.imageModels, Object.entries(card.imageModels).map(([name, { sizes }]) => ({ name, sizes })));
  assert.deepEqual(facts.videoModels.map(({ name, durations }) => [name, durations]), Object.entries(card.videoModels).map(([name, { durations }]) => [name, durations]));
  // The limits are the package's own: at the limit a plan is taken, one past it is refused.
  const { limits } = facts;
  const refused = (plan) => thrown(() => estimateCost(plan))?.field;
  const caption = (field, value) => ({ caption: { researchMode: "regular", [field]: value } });
  for (const [field, limit] of [["imageInputs", limits.captionImageInputs], ["sourceUrls", limits.sourceUrls], ["videoInputSeconds", limits.videoInputSeconds]]) {
    assert.equal(refused(caption(field, limit)), undefined, field);
    assert.equal(refused(caption(field, limit + 1)), `caption.${field}`, field);
  }
  assert.equal(refused({ images: [{ quantity: limits.imagesPerEntry }] }), undefined);
  assert.equal(refused({ images: [{ quantity: limits.imagesPerEntry + 1 }] }), "images[0].quantity");
  assert.equal(refused({ images: Array.from({ length: limits.entries }, () => ({})) }), undefined);
  assert.equal(refused({ images: Array.from({ length: limits.entries + 1 }, () => ({})) }), "images");
  const { planDefaults } = facts;
  const [line] = estimateCost({ images: [{}] }).items;
  assert.equal(line.label, `${planDefaults.imageQuantity} × ${planDefaults.imageModel} image`);
  assert.equal(thrown(() => estimateCost({ images: [{ size: planDefaults.imageSize }] })), null);
  assert.equal(estimateCost({ videos: [{ durationSeconds: facts.videoModels[0].durations[0] }] }).items[0].label.includes(planDefaults.videoModel), true);
  assert.equal(thrown(() => new CreditsClient(DEMO_KEY, { maxRetries: facts.requestDefaults.maxRetriesLimit })), null);
  assert.equal(thrown(() => new CreditsClient(DEMO_KEY, { maxRetries: facts.requestDefaults.maxRetriesLimit + 1 }))?.field, "options.maxRetries");
  let asked;
  await getCredits(DEMO_KEY, { fetch: async (url) => { asked = url; return new Response('{"balance": 1}'); } });
  assert.equal(asked, `${facts.requestDefaults.baseUrl}/account/credits`);
  const client = new CreditsClient(DEMO_KEY, { baseUrl: `${process.env.POWERPOST_SANDBOX}/api/v1` });
  assert.equal(thrown(() => client.watch({ intervalMs: facts.watchDefaults.minIntervalMs }).stop()), null);
  assert.equal(thrown(() => client.watch({ intervalMs: facts.watchDefaults.minIntervalMs - 1 }))?.field, "options.intervalMs");
  client.free();
});

test("the objects the estimators return have exactly the d.ts's keys", () => {
  const estimate = estimateCost({
    caption: { researchMode: "deep", imageInputs: 1 },
    images: [{ quantity: 2 }],
    videos: [{ durationSeconds: 5 }],
    publish: { postTypes: ["x-post", "linkedin-post"] },
  });
  assertShape("CostEstimate", estimate);
  const union = typeAt("EstimateItem");
  assert.deepEqual(sorted(new Set(estimate.items.map((item) => item.kind))), sorted(union.types.map((member) => checker.getTypeOfSymbol(checker.getPropertyOfType(member, "kind")).value)));
  for (const item of estimate.items) {
    const member = union.types.find((type) => checker.getTypeOfSymbol(checker.getPropertyOfType(type, "kind")).value === item.kind);
    const keys = checker.getPropertiesOfType(member).map((property) => property.name);
    assert.deepEqual(sorted(Object.keys(item)), sorted(keys), `the ${item.kind} line`);
  }
  const card = defaultRateCard();
  assertShape("RateCard", card);
  assertShape("RateCard.caption", card.caption);
  assertShape("RateCard.caption.videoInput", card.caption.videoInput);
  assertShape("RateCard.publish", card.publish);
  assertShape("RateCard.publish.surcharges", card.publish.surcharges);
  for (const model of Object.values(card.imageModels)) assertShape("ImageModelRate", model);
  for (const model of Object.values(card.videoModels)) assertShape("VideoModelRate", model);
  assertShape("Affordability", checkBalance(47, estimate));
  const calibration = calibrateRateCard([{ plan: { images: [{}] }, creditsUsed: 7 }, { plan: { images: [{}] }, creditsUsed: 7 }, { plan: { images: [{}] }, creditsUsed: 1 }]);
  assertShape("Calibration", calibration);
  assertShape("RateCard", calibration.rateCard);
  assertShape("Calibration.changes[]", calibration.changes[0]);
  assertShape("Calibration.unexplained[]", calibration.unexplained[0]);
  const settlement = settleCharges(estimate, { caption: "failed" });
  assertShape("Settlement", settlement);
  for (const item of settlement.items) assertShape("Settlement.items[]", item);
});

test("credits, retry reports and errors have exactly the d.ts's keys", async () => {
  const sandbox = process.env.POWERPOST_SANDBOX;
  const credits = await getCredits(DEMO_KEY, { baseUrl: `${sandbox}/api/v1` });
  assertShape("Credits", credits);
  assertShape("RateLimit", credits.rateLimit);
  const reports = [];
  const baseUrl = `${sandbox}/_sandbox/types-${process.pid}/status-503,ok/api/v1`;
  await getCredits(DEMO_KEY, { baseUrl, onRetry: (info) => reports.push(info) });
  const bare = await getCredits(DEMO_KEY, { fetch: async () => new Response('{"balance": 1}') });
  assert.deepEqual([bare.requestId, bare.rateLimit], [null, null]);
  assertShape("Credits", bare);
  assert.equal(reports.length, 1);
  assertShape("RetryInfo", reports[0]);
  assertShape("Preflight", await canAfford(DEMO_KEY, { images: [{}] }, { baseUrl: `${sandbox}/api/v1` }));
  const errorProperties = propertiesAt("PowerPostError");
  for (const error of [reports[0].error, thrown(() => estimateCost({ images: 5 }))]) {
    for (const [name, value] of Object.entries(error)) {
      assert.ok(errorProperties.has(name), `PowerPostError has no ${name} in the d.ts`);
      if (value === null) assert.ok(errorProperties.get(name).nullable, `PowerPostError.${name} may not be null`);
    }
    for (const [name, { optional }] of errorProperties) if (!optional && name !== "stack") assert.ok(name in error, `PowerPostError.${name}`);
  }
});

test("watch events have exactly the d.ts's keys, for each type", async () => {
  const steps = "balance-47,balance-10,status-503,balance-50";
  const baseUrl = `${process.env.POWERPOST_SANDBOX}/_sandbox/types-watch-${process.pid}/${steps}/api/v1`;
  const watch = new CreditsClient(DEMO_KEY, { baseUrl, maxRetries: 0 }).watch({ intervalMs: 1000, thresholds: [20] });
  const union = typeAt("BalanceEvent");
  const seen = new Set();
  for await (const event of watch) {
    const member = union.types.find((type) => checker.getTypeOfSymbol(checker.getPropertyOfType(type, "type")).value === event.type);
    assert.ok(member, `no ${event.type} event in the d.ts`);
    const properties = new Map(checker.getPropertiesOfType(member).map((property) => [property.name, property]));
    assert.deepEqual(sorted(Object.keys(event)), sorted(properties.keys()), `the ${event.type} event`);
    seen.add(event.type);
    if (seen.size === union.types.length) break;
  }
  assert.deepEqual(sorted(seen), ["balance", "error", "low", "recovered"]);
});
