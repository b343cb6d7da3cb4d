/** The contracts as docs/architecture.md lists them (written by `npm run docs`; a test fails while it is out of date). */
import type { ChannelContract, EventContract } from "./contract";
import { SERVICE_CHANNELS, SERVICE_EVENTS } from "./index";

export const DOC_START = "<!-- contracts: written by `npm run docs` from contracts/ -->";
export const DOC_END = "<!-- /contracts -->";

export function contractsMarkdown(): string {
	const events = Object.entries(SERVICE_EVENTS).flatMap(([service, events]) =>
		Object.values(events as Record<string, EventContract>).map(e => `| \`${e.name}\` | ${service} | ${e.subject ? `\`${e.subject.entity}\`` : "not recorded"} |`),
	);
	const channels = Object.entries(SERVICE_CHANNELS).flatMap(([service, channels]) =>
		Object.values(channels as Record<string, ChannelContract>).map(c => `| \`${c.name}\` | ${service} |`),
	);
	return [
		DOC_START,
		"",
		"| event | declared by | recorded in the audit trail as |",
		"|---|---|---|",
		...events,
		"",
		"| durable channel | declared by |",
		"|---|---|",
		...channels,
		"",
		DOC_END,
	].join("\n");
}

/** The document with its contracts section replaced by the current one. */
export function withContracts(doc: string): string {
	const start = doc.indexOf(DOC_START);
	const end = doc.indexOf(DOC_END);
	if (start < 0 || end < start) throw new Error(`no contracts section (${DOC_START} … ${DOC_END})`);
	return doc.slice(0, start) + contractsMarkdown() + doc.slice(end + DOC_END.length);
}
