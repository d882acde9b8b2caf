import api from "./index.cjs";

export const { getCredits, CreditsClient, PowerPostError } = api;
