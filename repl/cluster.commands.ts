import { Audit, cacheCleanEvent, Gateway, Moleculer } from "../contracts";
import { broadcast, call } from "../lib/contract-calls";
import { formatFields, formatTable } from "./format";
import { asOperator, show, type ReplCommand } from "./index";

/** The services that run somewhere in the cluster (what cache-clear may name). */
async function serviceNames(broker: Parameters<ReplCommand["action"]>[0]): Promise<string[]> {
	const services = await call(broker, Moleculer.actions.nodeServices, { skipInternal: true, withActions: false });
	return [...new Set(services.map(s => s.name))].sort();
}

const commands: ReplCommand[] = [
	{
		command: "health",
		description: "bizops: nodes and the services each runs, the gateway's readiness, and its warnings",
		async action(broker) {
			const nodes = await call(broker, Moleculer.actions.nodeList, {});
			const services = await call(broker, Moleculer.actions.nodeServices, { skipInternal: true, withActions: false });
			const byNode = new Map<string, string[]>();
			for (const s of services) for (const n of s.nodes ?? [s.nodeID ?? "?"]) byNode.set(n, [...(byNode.get(n) ?? []), s.name]);
			show(
				formatTable(
					nodes.map(n => ({ node: n.id + (n.local ? " (this)" : ""), available: n.available ? "yes" : "NO", services: (byNode.get(n.id) ?? []).sort() })),
					["node", "available", "services"],
				),
			);
			const ready = await call(broker, Gateway.actions.ready, {}, { ...asOperator, timeout: 3000 }).catch((err: Error) => ({
				status: `unknown (${err.message})`,
				transporter: "-",
				auth: "-",
				missing_services: [] as string[],
				warnings: [] as string[],
			}));
			show("");
			show(formatFields({ readiness: ready.status, transporter: ready.transporter, auth: ready.auth, "missing services": ready.missing_services }));
			show(ready.warnings.length ? ready.warnings.map(w => `warning: ${w}`).join("\n") : "no warnings");
		},
	},
	{
		command: "cache-clear [service]",
		description: "bizops: clear one service's cached answers (cache-clear finance), or every service's, on every node",
		async action(broker, args) {
			const known = await serviceNames(broker);
			if (args.service && !known.includes(String(args.service))) return show(`unknown service '${args.service}' (services: ${known.join(", ")}): nothing cleared`);
			const names = args.service ? [String(args.service)] : known;
			for (const name of names) void broadcast(broker, cacheCleanEvent(name), undefined);
			await broker.cacher?.clean(args.service ? `${names[0]}.**` : "**");
			show(`cleared: ${names.join(", ")}`);
		},
	},
	{
		command: "audit-verify",
		description: "bizops: walk the audit trail's hash chain, name the first broken entry and the records not appended yet",
		async action(broker) {
			const r = await call(broker, Audit.actions.verify, {}, { ...asOperator, timeout: 0 });
			show(
				r.first_broken
					? `audit trail BROKEN at entry ${r.first_broken.seq}: ${r.first_broken.reason} (${r.entries_checked} entries before it intact)`
					: `audit trail intact: ${r.entries_checked} entries checked, head at ${r.head_seq}`,
			);
			if (r.unappended.count) {
				show(`audit trail INCOMPLETE: ${r.unappended.count} records acknowledged but not appended yet (tried again by itself):`);
				show(formatTable(r.unappended.oldest, ["at", "action", "event_id"]));
			}
		},
	},
];

export default commands;
