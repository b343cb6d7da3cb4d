import path from "path";
import { loadConfig, natsCredentials, substitute } from "../../config";

describe("configuration", () => {
	it("substitutes ${VAR} and ${VAR:-default}", () => {
		expect(substitute("a=${A} b=${B:-two} c=${C:-}", { A: "one" })).toBe("a=one b=two c=");
		expect(substitute("${B:-two}", { B: "" })).toBe("two");
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
