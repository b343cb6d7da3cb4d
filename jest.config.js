/** Tests run TypeScript through SWC (type errors are caught by `npm run typecheck`). */
module.exports = {
	testEnvironment: "node",
	transform: { "^.+\\.ts$": ["@swc/jest"] },
	testMatch: ["<rootDir>/test/**/*.spec.ts"],
	globalSetup: "<rootDir>/test/helpers/global-setup.mjs",
	globalTeardown: "<rootDir>/test/helpers/global-teardown.mjs",
	testTimeout: 30000,
};
