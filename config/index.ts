/**
 * Configuration (docs/configuration.md): every setting is declared once in config/schema.ts with its type,
 * default and environment variable; `config/environments/<NODE_ENV>.yaml` holds only what that environment
 * changes. An environment variable wins over the file, the file over the default. Read when a broker is
 * configured (moleculer.config.ts) and on first use after `resetConfig`.
 */
import fs from "fs";
import path from "path";
import crypto from "crypto";
import YAML from "yaml";
import { projectPath } from "./files";
import { isSetting, SCHEMA, settings, type Config } from "./schema";

export type { Config } from "./schema";

const environmentsDir = () => projectPath("config", "environments");

/**
 * `${VAR}` and `${VAR:-default}` in a file's values take the environment's value (empty when unset), as
 * docs/configuration.md has always allowed: a file an operator wrote that way still reads as before. The
 * shipped files need none (each setting's variable is in config/schema.ts).
 */
export function substitute(text: string, env: NodeJS.ProcessEnv): string {
	return text.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
		const value = env[name];
		return value != null && value !== "" ? value : (fallback ?? "");
	});
}

/** Substitutes inside every string of the parsed document, so a value never changes the YAML's structure. */
function substituteTree(node: unknown, env: NodeJS.ProcessEnv): unknown {
	if (typeof node === "string") return substitute(node, env);
	if (Array.isArray(node)) return node.map(n => substituteTree(n, env));
	if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substituteTree(v, env)]));
	return node;
}

/** The dotted keys a YAML document sets (`broker.read_timeout`). */
function keysOf(node: unknown, prefix = ""): string[] {
	if (node === null || typeof node !== "object" || Array.isArray(node)) return [prefix.slice(0, -1)];
	return Object.entries(node).flatMap(([k, v]) => keysOf(v, `${prefix}${k}.`));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, dir = environmentsDir()): Config {
	const name = env.NODE_ENV || "development";
	const file = path.join(dir, `${name}.yaml`);
	if (!fs.existsSync(file)) throw new Error(`Configuration: no ${file} for NODE_ENV=${name}`);
	const doc = substituteTree(YAML.parse(fs.readFileSync(file, "utf8")) ?? {}, env) as Record<string, unknown>;
	// a misspelt key would otherwise be a setting silently left at its default
	const known = new Set(settings().map(s => s.key));
	const unknown = Object.keys(doc).length ? keysOf(doc).filter(k => !known.has(k)) : [];
	if (unknown.length)
		throw new Error(`Configuration: ${file} sets ${unknown.join(", ")}, which ${unknown.length > 1 ? "are no settings" : "is no setting"} (docs/configuration.md)`);
	const build = (node: object, yaml: Record<string, unknown> | undefined, prefix: string): Record<string, unknown> =>
		Object.fromEntries(
			Object.entries(node).map(([key, child]) => {
				if (!isSetting(child)) return [key, build(child as object, yaml?.[key] as Record<string, unknown> | undefined, `${prefix}${key}.`)];
				const fromEnv = child.env ? env[child.env] : undefined;
				const value = fromEnv != null && fromEnv !== "" ? fromEnv : (yaml?.[key] ?? child.default);
				return [key, child.parse(value, child.env ?? `${prefix}${key}`)];
			}),
		);
	return { ...build(SCHEMA, doc, ""), env: name } as Config;
}

let current: Config | null = null;

/** The configuration of this process, read once, when first asked (by moleculer.config.ts as a broker starts). */
export function getConfig(): Config {
	if (!current) current = loadConfig();
	return current;
}

/** Forget the cached configuration (tests change the environment between brokers). */
export function resetConfig(): void {
	current = null;
}

const ofBroker = new WeakMap<object, Config>();

/**
 * The configuration a broker was started with (moleculer.config.ts ties it to the broker), which its services,
 * mixins and middlewares read: none reads a configuration when its file is imported, so brokers configured
 * differently can run in one process. A broker built without moleculer.config.ts has this process's.
 */
export function configOf(broker: object): Config {
	return ofBroker.get(broker) ?? getConfig();
}

/** `view` (a proxy of `broker`, as the REPL's operator view is) reads the broker's configuration. */
export function shareConfig(view: object, broker: object): void {
	const config = ofBroker.get(broker);
	if (config) ofBroker.set(view, config);
}

/** The middleware that ties `config` to the broker it is given to, before any service of it is created. */
export function ConfigurationMiddleware(config: Config) {
	return {
		name: "Configuration",
		created(broker: object) {
			ofBroker.set(broker, config);
		},
	};
}

/**
 * The JWT signing secret: `JWT_SECRET_KEY`, else (outside production) one generated once and kept in
 * `DATA_DIR/jwt.secret` so tokens survive a restart. Production refuses to start without it.
 */
export function jwtSecret(config: Config): string {
	if (config.jwt.secret_key) return config.jwt.secret_key;
	if (config.env === "production") throw new Error("JWT_SECRET_KEY is required in production");
	const file = path.join(config.data_dir, "jwt.secret");
	fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
	try {
		fs.writeFileSync(file, crypto.randomBytes(48).toString("base64url"), { flag: "wx", mode: 0o600 });
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
	}
	return fs.readFileSync(file, "utf8").trim();
}

/**
 * NATS credentials for the transporter and the durable channels; null without a NATS transporter or (outside
 * production) without NATS_USER. Production refuses a NATS transporter without them: anyone who can connect
 * to NATS can call any action as any user (docs/security.md).
 */
export function natsCredentials(config: Config): { user: string; pass: string } | null {
	if (!config.transporter || !/^nats:\/\//.test(config.transporter)) return null;
	if (config.nats.user) return { user: config.nats.user, pass: config.nats.password ?? "" };
	if (config.env === "production") throw new Error("NATS_USER and NATS_PASSWORD are required in production (anyone who can connect to NATS can call every action)");
	return null;
}
