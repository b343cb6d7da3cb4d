/**
 * Starts the platform in this process the way `npm start` does (moleculer.config + services), on a
 * random port and a fresh DATA_DIR unless given, and offers a small HTTP client for e2e tests.
 */
import type { IndustryModule } from "../../domains/industries/module";
import fs from "fs";
import os from "os";
import path from "path";
import { ServiceBroker, type BrokerOptions, type ServiceSchema } from "moleculer";
import { loadConfig, type Config } from "../../config";
import { registerIndustryModule } from "../../domains/industries/registry";

const brokerOptionsOf = require("../../moleculer.config") as (config: Config) => BrokerOptions;

export const ADMIN_PASSWORD = "admin-password-for-tests";
export const ML_SERVICES = ["ml.datasets", "ml.registry", "ml.training", "ml.evaluation", "ml.prediction"];
export const ALL_SERVICES = [
	"api",
	"auth",
	"companies",
	"flags",
	"finance",
	"domains",
	"compliance",
	"risk",
	"strategy",
	"orchestrator",
	"overview",
	"audit",
	"integration",
	"reports",
	...ML_SERVICES,
];

export interface PlatformOptions {
	env?: Record<string, string | undefined>;
	dataDir?: string;
	services?: string[];
	/** Schemas of services defined by a test, started beside the platform's own. */
	extraServices?: ServiceSchema[];
	/** Industry modules besides the shipped ones (domains/industries/), as a new folder would add. */
	industryModules?: IndustryModule[];
	nodeID?: string;
}

export interface HttpResult<T = any> {
	status: number;
	headers: Headers;
	body: T;
}

export interface Platform {
	broker: ServiceBroker;
	url: string;
	dataDir: string;
	stop(): Promise<void>;
	request<T = any>(method: string, urlPath: string, opts?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<HttpResult<T>>;
	login(username: string, password: string): Promise<string>;
	createUser(adminToken: string, user: { username: string; role: string; domains: string[]; tier?: string }): Promise<{ id: string; token: string }>;
}

export function tempDataDir(): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), "bizops-test-"));
}

/** Every service that keeps records under a person's name or in encrypted fields, and what they need to run. */
export const PERSON_RECORD_SERVICES = ALL_SERVICES.filter(s => !["orchestrator", "integration", "ml.training", "ml.evaluation", "ml.prediction"].includes(s));

export async function startPlatform(opts: PlatformOptions = {}): Promise<Platform> {
	const dataDir = opts.dataDir ?? tempDataDir();
	// the environment this platform is configured from, as `npm start` would read it; the process's is left alone
	const env: Record<string, string | undefined> = {
		...process.env,
		NODE_ENV: "test",
		PORT: "0",
		DATA_DIR: dataDir,
		// POST /backups writes beside the data folder, never into the checkout
		BACKUP_DIR: `${dataDir}-backups`,
		BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
		LOG_LEVEL: "warn",
		MONGO_URI: undefined,
		CACHER: undefined,
		TRANSPORTER: undefined,
		...opts.env,
	};
	for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
	// industry modules defined by a test, registered in the module registry before the services are created
	for (const module of opts.industryModules ?? []) registerIndustryModule(module);
	// configured as the runner configures a broker: moleculer.config's options of this configuration; the
	// services read it from their broker (config/index.ts configOf), none when its file is imported
	const brokerOptions = brokerOptionsOf(loadConfig(env));
	const broker = new ServiceBroker({ ...brokerOptions, logger: false, nodeID: opts.nodeID ?? `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}` });
	const schemas: ServiceSchema[] = (opts.services ?? ALL_SERVICES).map(name => require(`../../services/${name}.service`).default);
	const services = [...schemas, ...(opts.extraServices ?? [])].map(s => broker.createService(s));
	// a broker that did not start is stopped, so a test of a refused start leaves nothing running
	await broker.start().catch(async err => {
		await broker.stop().catch(() => undefined);
		throw err;
	});

	const api: any = services.find(s => s.name === "api");
	if (api) {
		// moleculer-web generates the REST aliases shortly after start (debounced): wait until all are there.
		const expected = services.reduce((n, s: any) => n + Object.values(s.schema.actions ?? {}).filter((a: any) => a && a.rest).length, 0);
		const deadline = Date.now() + 10000;
		while (api.aliases.length < expected && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
	}
	const url = api ? `http://127.0.0.1:${api.server.address().port}` : "";

	const request: Platform["request"] = async (method, urlPath, o = {}) => {
		const headers: Record<string, string> = { ...o.headers };
		if (o.token) headers.authorization = `Bearer ${o.token}`;
		let body: string | undefined = o.rawBody;
		if (o.body !== undefined) {
			headers["content-type"] = "application/json";
			body = JSON.stringify(o.body);
		}
		if (o.rawBody !== undefined) headers["content-type"] ??= "application/json";
		const res = await fetch(`${url}/api/v1${urlPath}`, { method, headers, body });
		const text = await res.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {
			/* not JSON: keep the text */
		}
		return { status: res.status, headers: res.headers, body: parsed as any };
	};

	const login = async (username: string, password: string) => {
		const res = await request("POST", "/auth/login", { body: { username, password } });
		if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
		return res.body.token as string;
	};

	const createUser: Platform["createUser"] = async (adminToken, user) => {
		const password = `${user.username}-password-123`;
		const res = await request("POST", "/users", { token: adminToken, body: { ...user, password } });
		if (res.status !== 201) throw new Error(`create ${user.username}: ${res.status} ${JSON.stringify(res.body)}`);
		return { id: res.body.id, token: await login(user.username, password) };
	};

	return { broker, url, dataDir, stop: () => broker.stop(), request, login, createUser };
}

/** Polls `probe` until `ok` holds (for what follows a write asynchronously, e.g. through a durable channel). */
export async function eventually<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, tries = 100, everyMs = 20): Promise<T> {
	for (let i = 0; i < tries; i++) {
		const value = await probe();
		if (ok(value)) return value;
		await new Promise(resolve => setTimeout(resolve, everyMs));
	}
	throw new Error(`timed out waiting for ${what}`);
}

/** A training job once it has finished (succeeded, failed or cancelled), as `token` sees it. */
export function finishedJob(platform: Platform, token: string, jobId: string, tries = 1200): Promise<any> {
	return eventually(
		`job ${jobId} to finish`,
		async () => (await platform.request("GET", `/ml/jobs/${jobId}`, { token })).body,
		job => ["succeeded", "failed", "cancelled"].includes(job.state),
		tries,
		100,
	);
}

/** Tesla, Inc. created from its real SEC companyfacts (data/sec-companyfacts/tesla.json), once its company review has finished. */
export async function reviewedTesla(platform: Platform, token: string): Promise<{ id: string; name: string }> {
	const created = await platform.request("POST", "/companies", {
		token,
		body: { name: "Tesla, Inc.", ticker: "TSLA", cik: "1318605", industry: "manufacturing", country: "US" },
	});
	if (created.status !== 201) throw new Error(`Tesla not created: ${created.status} ${JSON.stringify(created.body)}`);
	const facts = fs.readFileSync(path.resolve(__dirname, "../../data/sec-companyfacts/tesla.json"), "utf8");
	const imported = await platform.request("POST", `/companies/${created.body.id}/import/sec`, { token, rawBody: facts });
	if (imported.status !== 200) throw new Error(`Tesla's filing not imported: ${imported.status} ${JSON.stringify(imported.body)}`);
	await eventually(
		"Tesla's review",
		async () => (await platform.request("GET", `/companies/${created.body.id}/overview`, { token })).body.workflow?.state,
		state => state === "succeeded",
		500,
	);
	return created.body;
}
