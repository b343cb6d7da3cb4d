import fs from "fs";
import os from "os";
import path from "path";
import { loadConfig, natsCredentials, substitute } from "../../config";
import { withSettings } from "../../config/doc";
import { SCHEMA, settings } from "../../config/schema";
import { CONFIGURATION_DOC } from "../../bin/docs";

describe("configuration", () => {
	const environment = (yaml: string) => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-config-"));
		fs.writeFileSync(path.join(dir, "custom.yaml"), yaml);
		return dir;
	};

	it("reads a setting from its variable, else the environment's file, else the schema's default", () => {
		const dir = environment("broker:\n  read_timeout: 1500\nrate_limit:\n  window_ms: 30000\n");
		const config = loadConfig({ NODE_ENV: "custom" }, dir);
		expect(config.broker.read_timeout).toBe(1500);
		expect(config.rate_limit.window_ms).toBe(30000);
		expect(config.broker.write_timeout).toBe(SCHEMA.broker.write_timeout.default);
		expect(loadConfig({ NODE_ENV: "custom", READ_TIMEOUT: "700" }, dir).broker.read_timeout).toBe(700);
		// an empty variable is unset
		expect(loadConfig({ NODE_ENV: "custom", READ_TIMEOUT: "" }, dir).broker.read_timeout).toBe(1500);
	});

	it("still substitutes ${VAR} and ${VAR:-default} in a file's values", () => {
		expect(substitute("a=${A} b=${B:-two} c=${C:-}", { A: "one" })).toBe("a=one b=two c=");
		const dir = environment("cacher: ${MY_CACHE:-Memory}\nbroker:\n  read_timeout: ${MY_READ:-1500}\n");
		expect(loadConfig({ NODE_ENV: "custom", MY_CACHE: "redis://r:6379" }, dir)).toMatchObject({ cacher: "redis://r:6379", broker: { read_timeout: 1500 } });
	});

	it("refuses a key its file sets that is no setting, and a flag that is neither true nor false", () => {
		expect(() => loadConfig({ NODE_ENV: "custom" }, environment("broker:\n  read_timout: 1500\n"))).toThrow(/broker\.read_timout, which is no setting/);
		expect(() => loadConfig({ NODE_ENV: "development", TRUST_PROXY: "maybe" })).toThrow(/TRUST_PROXY must be true or false/);
	});

	it("names each environment variable once, and the shipped files set only settings", () => {
		const names = settings()
			.map(s => s.setting.env)
			.filter(Boolean);
		expect(new Set(names).size).toBe(names.length);
		for (const env of ["development", "test", "production"]) expect(() => loadConfig({ NODE_ENV: env, NATS_USER: "u" })).not.toThrow();
	});

	it("lists every setting in docs/configuration.md as the schema declares it (run `npm run docs` after changing it)", () => {
		const doc = fs.readFileSync(CONFIGURATION_DOC, "utf8");
		expect(doc).toBe(withSettings(doc));
		for (const { key } of settings()) expect(doc).toContain(`\`${key}\``);
	});

	it("takes the environment over the YAML defaults", () => {
		const dev = loadConfig({ NODE_ENV: "development" });
		expect(dev).toMatchObject({ port: 3000, transporter: null, mongo_uri: null, cacher: "Memory", rate_limit: { default: 1000, premium: 10000 } });
		expect(dev.data_dir).toBe(path.resolve("./data"));
		const custom = loadConfig({
			NODE_ENV: "development",
			PORT: "8080",
			RATE_LIMIT_DEFAULT: "7",
			CORS_ORIGINS: "https://a.example, https://b.example",
			CACHER: "redis://r:6379",
		});
		expect(custom).toMatchObject({ port: 8080, cacher: "redis://r:6379", rate_limit: { default: 7 }, http: { cors_origins: ["https://a.example", "https://b.example"] } });
	});

	it("has production defaults for the cluster", () => {
		const prod = loadConfig({ NODE_ENV: "production" });
		expect(prod).toMatchObject({ transporter: "nats://nats:4222", cacher: "redis://redis:6379", tracing: { exporter: "jaeger" }, metrics: { enabled: true } });
	});

	it("requires NATS credentials in production, and passes them on wherever given", () => {
		expect(() => natsCredentials(loadConfig({ NODE_ENV: "production" }))).toThrow(/NATS_USER and NATS_PASSWORD are required/);
		expect(natsCredentials(loadConfig({ NODE_ENV: "production", NATS_USER: "bizops", NATS_PASSWORD: "secret" }))).toEqual({ user: "bizops", pass: "secret" });
		expect(natsCredentials(loadConfig({ NODE_ENV: "development", TRANSPORTER: "nats://127.0.0.1:4222" }))).toBeNull();
		expect(natsCredentials(loadConfig({ NODE_ENV: "development", TRANSPORTER: "nats://127.0.0.1:4222", NATS_USER: "u", NATS_PASSWORD: "p" }))).toEqual({
			user: "u",
			pass: "p",
		});
		expect(natsCredentials(loadConfig({ NODE_ENV: "production", TRANSPORTER: "tcp://", NATS_USER: "" }))).toBeNull();
	});

	it("refuses a non-numeric number and an unknown environment", () => {
		expect(() => loadConfig({ NODE_ENV: "development", PORT: "eighty" })).toThrow(/PORT/);
		expect(() => loadConfig({ NODE_ENV: "staging-typo" })).toThrow(/staging-typo/);
	});
});

describe("the circuit breaker's count of failures", () => {
	const brokerOptionsOf = require("../../moleculer.config") as (config: ReturnType<typeof loadConfig>) => { circuitBreaker: { check(err: Error): boolean } };
	const check = brokerOptionsOf(loadConfig({ NODE_ENV: "test" })).circuitBreaker.check;
	const error = (code: number, data?: object) => Object.assign(new Error("e"), { code, data });

	it("counts a node's own failures, not the client's mistakes nor a source's pause", () => {
		expect(check(error(500))).toBe(true);
		expect(check(error(503))).toBe(true);
		expect(check(error(422))).toBe(false);
		expect(check(error(404))).toBe(false);
		// SEC EDGAR or the price provider said the rate was exceeded: the node answers 503 at once, healthy
		expect(check(error(503, { paused_until: "2026-12-07T13:00:00.000Z" }))).toBe(false);
	});
});
