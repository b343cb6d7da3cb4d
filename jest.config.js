/** Tests run TypeScript through SWC (type errors are caught by `npm run typecheck`). */
module.exports = {
	testEnvironment: "node",
	transform: { "^.+\\.ts$": ["@swc/jest"] },
	testMatch: ["<rootDir>/test/**/*.spec.ts"],
	globalSetup: "<rootDir>/test/helpers/global-setup.mjs",
	globalTeardown: "<rootDir>/test/helpers/global-teardown.mjs",
	testTimeout: 30000,
	// A worker keeps what earlier test files loaded (every file loads its own Moleculer, tfjs, wasm modules):
	// one past this after a file is replaced, so a late file does not run in a 700 MB heap whose collections
	// stall its event loop (ml-limits measures that loop).
	workerIdleMemoryLimit: "512MB",
};
