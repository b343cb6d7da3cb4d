/** The settings as docs/configuration.md lists them (written by `npm run docs` from config/schema.ts; a test fails while it is out of date). */
import { loadConfig } from "./index";
import { settings } from "./schema";

export const CONFIG_DOC_START = "<!-- settings: written by `npm run docs` from config/schema.ts -->";
export const CONFIG_DOC_END = "<!-- /settings -->";

const shown = (v: unknown): string => (v == null ? "unset" : Array.isArray(v) ? `\`${v.join(",")}\`` : `\`${String(v)}\``);
const valueAt = (config: object, key: string): unknown => key.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);

/** Settings that are paths, resolved against the working directory when read. */
const PATH_SETTINGS = ["data_dir", "web_dir", "encryption.key_file"];

export function settingsMarkdown(): string {
	// the production file's values (credentials given, as production requires them)
	const production = loadConfig({ NODE_ENV: "production" });
	const development = loadConfig({ NODE_ENV: "development" });
	const rows = settings().map(({ key, setting }) => {
		// paths are shown as given, not as resolved on the machine that writes the doc
		const relative = PATH_SETTINGS.includes(key);
		const embedded = relative ? setting.default : valueAt(development, key);
		const prod = relative ? setting.default : valueAt(production, key);
		const name = setting.env ? `\`${setting.env}\`` : "—";
		return `| ${name} | \`${key}\` | ${shown(embedded)} | ${JSON.stringify(prod) === JSON.stringify(embedded) ? "same" : shown(prod)} | ${setting.doc} |`;
	});
	return [CONFIG_DOC_START, "", "| variable | key in the YAML files | default (embedded) | production | meaning |", "|---|---|---|---|---|", ...rows, "", CONFIG_DOC_END].join(
		"\n",
	);
}

export function withSettings(doc: string): string {
	const start = doc.indexOf(CONFIG_DOC_START);
	const end = doc.indexOf(CONFIG_DOC_END);
	if (start < 0 || end < start) throw new Error(`no settings section (${CONFIG_DOC_START} … ${CONFIG_DOC_END})`);
	return doc.slice(0, start) + settingsMarkdown() + doc.slice(end + CONFIG_DOC_END.length);
}
