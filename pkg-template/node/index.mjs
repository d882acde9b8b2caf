import api from "./index.cjs";

export const { getCredits, CreditsClient, PowerPostError, estimateCost, defaultRateCard, checkBalance, settleCharges } = api;
