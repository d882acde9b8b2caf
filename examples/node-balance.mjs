// Reads an account's balance and prices the documented sample post, from Node.
//   node examples/node-balance.mjs [BASE_URL]
// BASE_URL (or POWERPOST_BASE_URL): the API to ask, such as the sandbox address `make demo` or
// `npx powerpost-credits sandbox` prints; by default http://127.0.0.1:8787/api/v1, where they
// start it. POWERPOST_API_KEY: the key; by default the sandbox's demo key.
import { getCredits, estimateCost, checkBalance, PowerPostError } from "powerpost-credits";

const DEMO_KEY = "pp_live_sk_demo0000000000000000000047";
const baseUrl = process.argv[2] || process.env.POWERPOST_BASE_URL || "http://127.0.0.1:8787/api/v1";
const apiKey = process.env.POWERPOST_API_KEY || DEMO_KEY;

try {
  const credits = await getCredits(apiKey, { baseUrl });
  console.log(`balance: ${credits.balance} credits (request ${credits.requestId}, ${credits.rateLimit?.remaining} calls left this window)`);
  // balance: 47 credits (request req_…, … calls left this window)

  const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
  const estimate = estimateCost({ caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } });
  for (const item of estimate.items) console.log(`  ${String(item.credits).padStart(3)}  ${item.label}`);
  //     6  Caption, regular research
  //     5  1 × flux2-flex image
  //     4  Publish to 3 post types (includes X surcharge)
  console.log(`  ${String(estimate.total).padStart(3)}  total (rate card ${estimate.rateCardVersion}, an estimate)`);
  //    15  total (rate card 2026-12-published, an estimate)
  const { affordable, remaining, shortfall } = checkBalance(credits.balance, estimate);
  console.log(affordable ? `affordable: ${remaining} credits would remain` : `short by ${shortfall} credits`);
  // affordable: 32 credits would remain
} catch (error) {
  if (!(error instanceof PowerPostError)) throw error;
  console.error(`${error.code}: ${error.message}${error.requestId ? ` (request ${error.requestId})` : ""}`);
  if (error.code === "NETWORK_ERROR") {
    console.error(`Nothing answers at ${baseUrl}. Start the sandbox with \`npx powerpost-credits sandbox\``
      + " (or `make demo` in the repository), or give the base URL to ask.");
  }
  process.exitCode = 1;
}
