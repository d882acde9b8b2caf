// Using the package from a module web worker:
//   new Worker("/www/worker-example.js", { type: "module" }).postMessage({ apiKey, baseUrl, plan })
// It answers with the balance and the plan's estimate, or with the error's code and message.
// The handler is set at once and the package imported inside it: the package's entry awaits
// its wasm, and a message that arrived before a static import finished could be missed.
const api = import("/pkg/web/index.js");

self.onmessage = async ({ data: { apiKey, baseUrl, plan } }) => {
  const { getCredits, estimateCost, PowerPostError } = await api;
  try {
    const credits = await getCredits(apiKey, { baseUrl });
    self.postMessage({ balance: credits.balance, requestId: credits.requestId, total: estimateCost(plan).total });
  } catch (error) {
    if (!(error instanceof PowerPostError)) throw error;
    self.postMessage({ code: error.code, message: error.message });
  }
};
