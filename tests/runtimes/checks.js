// What tests/runtimes.test.mjs asks of the package in every runtime, written once in plain
// standard JS (fetch, AbortController, setTimeout) so that Node, Deno, Bun, workerd, the
// Edge runtime and browsers all run these same lines. `urls` are sandbox base URLs that the
// test made with the sandbox's scenarioUrl; it checks the sandbox's own counts afterwards.

export async function runChecks(api, urls) {
  const { getCredits, estimateCost, PowerPostError } = api;
  const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
  const plan = { caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } };
  const report = { exports: Object.keys(api).sort(), estimate: estimateCost(plan).total };
  report.balance = (await getCredits(urls.demoKey, { baseUrl: urls.ok })).balance;
  report.badKey = describe(await getCredits(urls.unknownKey, { baseUrl: urls.ok }).catch((error) => error), PowerPostError);
  report.retried = (await getCredits(urls.demoKey, { baseUrl: urls.rateLimitedThenOk })).balance;
  const controller = new AbortController();
  const slow = getCredits(urls.demoKey, { baseUrl: urls.slow, signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  report.aborted = describe(await slow.catch((error) => error), PowerPostError);
  report.redirect = describe(await getCredits(urls.demoKey, { baseUrl: urls.redirect }).catch((error) => error), PowerPostError);
  return report;
}

function describe(error, PowerPostError) {
  return {
    isPowerPostError: error instanceof PowerPostError,
    isError: error instanceof Error,
    name: error.name,
    code: error.code,
    status: error.status,
    retryable: error.retryable,
  };
}
