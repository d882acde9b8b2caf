import api from "./index.cjs";

export const { getCredits, canAfford, CreditsClient, PowerPostError, estimateCost, defaultRateCard, checkBalance, settleCharges, calibrateRateCard, catalogue } = api;
