// `import` of the sandbox: the CommonJS module itself, so both ways of loading it share one.
import sandbox from "./index.cjs";

export const { startSandbox, DEMO_KEY, NO_SCOPE_KEY, SANDBOX_DEFAULTS } = sandbox;
