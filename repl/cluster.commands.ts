import { asOperator, print, type ReplCommand } from "./index";

const commands: ReplCommand[] = [
	{
		command: "health",
		description: "bizops: nodes, the services each runs, and the gateway's readiness",
		async action(broker) {
			const nodes = await broker.call<Array<{ id: string; available: boolean; local: boolean; hostname: string }>, object>("$node.list", {});
			const services = await broker.call<Array<{ name: string; nodes?: string[]; nodeID?: string }>, object>("$node.services", { skipInternal: true, withActions: false });
			const byNode = new Map<string, string[]>();
			for (const s of services) for (const n of s.nodes ?? [s.nodeID ?? "?"]) byNode.set(n, [...(byNode.get(n) ?? []), s.name]);
			print(nodes.map(n => ({ node: n.id, available: n.available, services: byNode.get(n.id) ?? [] })));
			try {
				print(await broker.call("api.ready", {}, { ...asOperator, timeout: 3000 }));
			} catch (err) {
				console.log(`gateway readiness: ${(err as Error).message}`);
			}
		},
	},
	{
		command: "cache-clear [service]",
		description: "bizops: clear the cached answers of one service (auth, companies, finance, flags) or all, on every node",
		async action(broker, args) {
			const names = args.service ? [String(args.service)] : ["auth", "companies", "finance", "flags"];
			for (const name of names) broker.broadcast(`cache.clean.${name}`);
			await broker.cacher?.clean(names.length === 4 ? "**" : `${names[0]}.**`);
			console.log(`cleared: ${names.join(", ")}`);
		},
	},
];

export default commands;
