#!/usr/bin/env bash
# make mutants: cargo-mutants over the host tests of the modules with rules (.cargo/mutants.toml
# names them), then the share of viable mutants the tests caught; fails under 95%. Not part of
# make test (TESTING.md says how long its last run took, and lists the mutants left, and why).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null 2>&1; then
  echo "[mutants] installing cargo-mutants (about 4 minutes, once)"
  cargo install cargo-mutants
fi

# cargo-mutants exits non-zero when a mutant is missed; the score below decides.
cargo mutants --jobs 2 --timeout 120 "$@" || true

node - <<'JS'
const { caught, missed, timeout, unviable, total_mutants: total } = JSON.parse(require("fs").readFileSync("mutants.out/outcomes.json", "utf8"));
const viable = caught + missed + timeout;
const score = viable === 0 ? 0 : (100 * caught) / viable;
console.log(`mutants: ${total} in all, ${unviable} unviable; of ${viable} viable, ${caught} caught, ${missed} missed, ${timeout} timed out: ${score.toFixed(1)}% caught`);
if (missed > 0) console.log(`missed (mutants.out/missed.txt):\n${require("fs").readFileSync("mutants.out/missed.txt", "utf8")}`);
if (score < 95) {
  console.error("mutants: under 95% of viable mutants caught");
  process.exit(1);
}
JS
