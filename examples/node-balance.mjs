// Reads the demo account's balance from the sandbox and prices the documented sample post.
//   POWERPOST_SANDBOX=http://127.0.0.1:8787 node examples/node-balance.mjs
import { getCredits, estimateCost, checkBalance, PowerPostError } from "../pkg/node/index.mjs";

const DEMO_KEY = "pp_live_sk_demo0000000000000000000047";
const baseUrl = `${process.env.POWERPOST_SANDBOX ?? "http://127.0.0.1:8787"}/api/v1`;

try {
  const credits = await getCredits(DEMO_KEY, { baseUrl });
  console.log(`balance: ${credits.balance} credits (request ${credits.requestId}, ${credits.rateLimit?.remaining} calls left this window)`);

  const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
  const estimate = estimateCost({ caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } });
  for (const item of estimate.items) console.log(`  ${String(item.credits).padStart(3)}  ${item.label}`);
  console.log(`  ${String(estimate.total).padStart(3)}  total (rate card ${estimate.rateCardVersion}, an estimate)`);
  const { affordable, remaining, shortfall } = checkBalance(credits.balance, estimate);
  console.log(affordable ? `affordable: ${remaining} credits would remain` : `short by ${shortfall} credits`);
} catch (error) {
  if (!(error instanceof PowerPostError)) throw error;
  console.error(`${error.code}: ${error.message} (request ${error.requestId ?? "none"})`);
  process.exitCode = 1;
}
