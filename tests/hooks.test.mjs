// The repository's git hooks (.githooks/, which scripts/setup.sh makes git use).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repo } from "./support.mjs";

test("commit-msg takes a subject of at most 72 characters and a blank line before the body", () => {
  const dir = mkdtempSync(join(tmpdir(), "commit-msg-"));
  const check = (message) => {
    writeFileSync(join(dir, "MSG"), message);
    const { status, stderr } = spawnSync(join(repo, ".githooks/commit-msg"), [join(dir, "MSG")], { encoding: "utf8" });
    return [status, stderr.trim()];
  };
  assert.deepEqual(check(`${"s".repeat(72)}\n\nThe why, and the figures.\n`), [0, ""]);
  assert.deepEqual(check("# a comment git strips\nOne line\n"), [0, ""]);
  assert.deepEqual(check(`${"s".repeat(73)}\n`), [1, "commit-msg: the subject is 73 characters; at most 72 (say the rest in the body)"]);
  assert.deepEqual(check("Subject\nbody at once\n"), [1, "commit-msg: a blank line goes between the subject and the body"]);
  assert.deepEqual(check("\n\nbody\n"), [1, "commit-msg: the subject line is empty"]);
  assert.equal(spawnSync("git", ["config", "core.hooksPath"], { cwd: repo, encoding: "utf8" }).stdout.trim(), ".githooks", "scripts/setup.sh set it");
});
