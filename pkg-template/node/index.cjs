// Node entry (CommonJS); index.mjs re-exports this same instance for `import`, so ESM and
// CJS callers share one module and one PowerPostError class.
const wasm = require("./powerpost_credits.js");
const { PowerPostError } = require("__ERROR_MODULE__");

module.exports = {
  getCredits: wasm.getCredits,
  canAfford: wasm.canAfford,
  CreditsClient: wasm.CreditsClient,
  estimateCost: wasm.estimateCost,
  calibrateRateCard: wasm.calibrateRateCard,
  defaultRateCard: wasm.defaultRateCard,
  checkBalance: wasm.checkBalance,
  settleCharges: wasm.settleCharges,
  catalogue: wasm.catalogue,
  PowerPostError,
};
