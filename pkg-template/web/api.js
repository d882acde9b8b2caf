// What every web-build entry exports: the wasm-bindgen exports users call, and the error class
// from its snippet's (content-hashed) path. Each entry first instantiates the wasm its own way.
export { getCredits, canAfford, CreditsClient, estimateCost, defaultRateCard, checkBalance, settleCharges, calibrateRateCard, catalogue } from "./powerpost_credits.js";
export { PowerPostError } from "__ERROR_MODULE__";
