import { Flags } from "../contracts";
import { call } from "../lib/contract-calls";
import { formatFields, formatTable } from "./format";
import { asOperator, show, type ReplCommand } from "./index";

const flagRow = (f: any) => ({ name: f.name, enabled: f.enabled ? "on" : "off", rollout: `${f.rollout_percentage ?? 100} %`, whitelist: f.whitelist, description: f.description });

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
			if (!args.name) {
				const page = await call(broker, Flags.actions.list, { page_size: 100 }, asOperator);
				return show(formatTable(page.rows.map(flagRow), ["name", "enabled", "rollout", "whitelist", "description"]));
			}
			const name = String(args.name);
			const change: Record<string, unknown> = {};
			if (o.on) change.enabled = true;
			if (o.off) change.enabled = false;
			if (o.percent != null) change.rollout_percentage = Number(o.percent);
			// no option: a read, which never writes
			const flag = await (
				Object.keys(change).length ? call(broker, Flags.actions.update, { name, ...change }, asOperator) : call(broker, Flags.actions.get, { name }, asOperator)
			).catch((err: Error) => {
				throw new Error(`flags ${name}: ${err.message}`);
			});
			show(formatFields(flagRow(flag)));
		},
	},
];

export default commands;
