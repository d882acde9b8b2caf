// The crate's floors: no file of src/ uses another that uses it back, directly or through
// others, and pricing's vocabulary uses none of its siblings. A use is any `crate::a::b` or
// `super::x` path in the library's code. Tests sit above what they test: a file's own
// `mod tests`, and the test-only modules (the host's fakes, the property tests), are not
// counted, so that one set of fakes can serve every module's tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { repo } from "./support.mjs";

const src = join(repo, "src");
const all = readdirSync(src, { recursive: true }).filter((file) => file.endsWith(".rs")).map((file) => join(src, file));
/** Modules declared under `#[cfg(... test ...)]` in their parent: test-only. */
const testOnly = new Set(all.flatMap((file) => [...readFileSync(file, "utf8").matchAll(/#\[cfg\([^\]]*\btest\b[^\]]*\]\s*(?:pub(?:\(crate\))? )?mod ([a-z_]+);/g)]
  .map(([, name]) => fileOf([...moduleOf(file), name]))));
const files = all.filter((file) => !testOnly.has(file));

/** The file a module path names (`["pricing", "plan"]`), or its nearest module file. */
function fileOf(segments) {
  for (let length = segments.length; length > 0; length--) {
    const base = join(src, ...segments.slice(0, length));
    for (const candidate of [`${base}.rs`, join(base, "mod.rs")]) if (existsSync(candidate)) return candidate;
  }
  return join(src, "lib.rs");
}

/** The module path of a file: src/pricing/plan.rs is ["pricing", "plan"]. */
function moduleOf(file) {
  const parts = relative(src, file).replace(/\.rs$/, "").split("/");
  return parts.at(-1) === "mod" || parts.at(-1) === "lib" ? parts.slice(0, -1) : parts;
}

function usesOf(file) {
  const source = readFileSync(file, "utf8").replace(/\/\/.*$/gm, "");
  // A file's own tests come last in it.
  const tests = source.search(/\n\s*(?:pub(?:\(crate\))? )?mod tests \{/);
  const code = tests >= 0 ? source.slice(0, tests) : source;
  const uses = new Set();
  for (const match of code.matchAll(/\bcrate::((?:[a-z_]+::)*[a-z_]+)/g)) uses.add(fileOf(match[1].split("::")));
  for (const match of code.matchAll(/\bsuper::([a-z_]+)/g)) uses.add(fileOf([...moduleOf(file).slice(0, -1), match[1]]));
  uses.delete(file);
  // A module's mod.rs only declares its children.
  return [...uses].filter((used) => !(used.endsWith("mod.rs") || used.endsWith("lib.rs") || testOnly.has(used)));
}

const graph = new Map(files.map((file) => [file, usesOf(file)]));

test("no file of src/ uses a file that uses it back, directly or through others", () => {
  const circles = [];
  const reach = (from, to, seen = new Set()) => (graph.get(from) ?? []).some((next) => next === to || (!seen.has(next) && seen.add(next) && reach(next, to, seen)));
  for (const [file, uses] of graph) {
    for (const used of uses) if (reach(used, file)) circles.push(`${relative(repo, file)} -> ${relative(repo, used)} -> … -> ${relative(repo, file)}`);
  }
  assert.deepEqual(circles, []);
});

test("pricing's vocabulary uses none of its siblings", () => {
  const vocabulary = join(src, "pricing/vocabulary.rs");
  assert.deepEqual(graph.get(vocabulary)?.filter((used) => dirname(used) === dirname(vocabulary)), []);
});

test("the wasm suite is a module per feature, none over 300 lines", () => {
  const suite = join(repo, "tests/client");
  const long = readdirSync(suite).filter((file) => readFileSync(join(suite, file), "utf8").split("\n").length > 301);
  assert.deepEqual(long, []);
});

// The input reader gives a known key as its index among the names serde hands it, which a
// derived visitor counts as it lists them: an alias would be listed but not counted.
test("no serde type of src/ has an alias", () => {
  const found = all.filter((file) => /#\[serde\([^\]]*\balias\b/.test(readFileSync(file, "utf8").replace(/\/\/.*$/gm, "")));
  assert.deepEqual(found.map((file) => relative(repo, file)), []);
});
