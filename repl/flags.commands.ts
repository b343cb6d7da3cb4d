import { asOperator, print, type ReplCommand } from "./index";

const commands: ReplCommand[] = [
	{
		command: "flags [name]",
		description: "bizops: list feature flags, show one (flags sec_import), or change one: flags sec_import --off | --on | --percent 25",
		options: [
			{ option: "--on", description: "enable the flag" },
			{ option: "--off", description: "disable the flag" },
			{ option: "--percent <n>", description: "rollout percentage, 0-100" },
		],
		async action(broker, args) {
			const o = args.options ?? {};
			if (!args.name) return print(await broker.call("flags.list", {}, asOperator));
			const name = String(args.name);
			const change: Record<string, unknown> = {};
			if (o.on) change.enabled = true;
			if (o.off) change.enabled = false;
			if (o.percent != null) change.rollout_percentage = Number(o.percent);
			try {
				// no option: a read, which never writes
				print(await broker.call(Object.keys(change).length ? "flags.update" : "flags.get", { name, ...change }, asOperator));
			} catch (err) {
				console.log(`flags ${name}: ${(err as Error).message}`);
			}
		},
	},
];

export default commands;
