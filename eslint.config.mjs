// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules; formatting is Prettier's.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** What crosses between services is named in contracts/ only: lib/contract-calls.ts sends and calls through them. */
const CONTRACT_NAMES = [
	{
		selector: "CallExpression[callee.property.name=/^(call|mcall|emit|broadcast|broadcastLocal|sendToChannel)$/] > :matches(Literal, TemplateLiteral).arguments:first-child",
		message: "Name events, channels and actions through their contract (contracts/) with lib/contract-calls.ts, not with a string.",
	},
	{
		selector: "Property[key.name=/^(events|channels)$/] > ObjectExpression > Property[computed=false]",
		message: "Handle events and channels by their contract's name ([Contract.events.x.name]), not by a string.",
	},
];

export default tseslint.config(
	{ ignores: ["node_modules/", "dist/", "data/", "coverage/", "bench/results/"] },
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		languageOptions: {
			globals: {
				process: "readonly",
				console: "readonly",
				require: "readonly",
				module: "writable",
				__dirname: "readonly",
				Buffer: "readonly",
				setTimeout: "readonly",
				clearTimeout: "readonly",
				setInterval: "readonly",
				clearInterval: "readonly",
				fetch: "readonly",
				URL: "readonly",
				URLSearchParams: "readonly",
				AbortSignal: "readonly",
				performance: "readonly",
				globalThis: "readonly",
				ReadableStream: "readonly",
				Headers: "readonly",
				RequestInit: "readonly",
			},
		},
		rules: {
			// `_`-prefixed names are deliberately unused (destructuring a field away)
			"@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
			// moleculer-db, moleculer-web and the channels middleware ship no usable types: `any` marks those seams
			"@typescript-eslint/no-explicit-any": "off",
			// CommonJS interop where a package has no ESM entry
			"@typescript-eslint/no-require-imports": "off",
		},
	},
	{
		// the web app runs in a browser (web/, bundled by bin/build-web.js)
		files: ["web/**/*.ts", "web/**/*.tsx"],
		languageOptions: {
			globals: {
				window: "readonly",
				document: "readonly",
				location: "readonly",
				history: "readonly",
				sessionStorage: "readonly",
				FormData: "readonly",
				HTMLFormElement: "readonly",
				HTMLDivElement: "readonly",
				Response: "readonly",
			},
		},
	},
	{
		files: ["services/**/*.ts", "mixins/**/*.ts", "middlewares/**/*.ts", "lib/**/*.ts", "repl/**/*.ts", "bin/**/*.ts", "domains/**/*.ts", "models/**/*.ts"],
		ignores: ["lib/contract-calls.ts"],
		rules: {
			"no-restricted-syntax": ["error", ...CONTRACT_NAMES],
		},
	},
	{
		// services and mixins read and write through repositories (mixins/db.mixin.ts), which clean the cache and build
		// natural keys (a later block's options replace an earlier one's: the contract rules come again)
		files: ["services/**/*.ts", "mixins/**/*.ts"],
		ignores: ["mixins/db.mixin.ts"],
		rules: {
			"no-restricted-syntax": [
				"error",
				...CONTRACT_NAMES,
				{
					selector: "MemberExpression[object.type='ThisExpression'][property.name='adapter']",
					message:
						"Use the service's repository (this.store, or a second store's): it cleans the cache and builds natural keys; moleculer-db's adapter does neither (only mixins/db.mixin.ts touches it).",
				},
			],
		},
	},
	{
		// a configuration is the broker's, read as it starts (config/index.ts configOf): never the process's, read on import
		files: ["services/**/*.ts", "mixins/**/*.ts", "middlewares/**/*.ts", "lib/**/*.ts", "repl/**/*.ts", "domains/**/*.ts", "models/**/*.ts"],
		rules: {
			"no-restricted-imports": [
				"error",
				{
					paths: ["../config", "../../config", "../config/index"].map(name => ({
						name,
						importNames: ["getConfig"],
						message: "Read the broker's configuration: this.config (mixins/configured.mixin.ts) or configOf(this.broker).",
					})),
				},
			],
		},
	},
);
