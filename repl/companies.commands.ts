import type { Analysis } from "../domains/finance/analysis";
import { asOperator, print, type ReplCommand } from "./index";

const commands: ReplCommand[] = [
	{
		command: "company <idOrTicker>",
		description: "bizops: look up a company by id or ticker, with its latest analysis summary",
		async action(broker, args) {
			const key = String(args.idOrTicker);
			let company: any;
			if (/^[A-Za-z0-9.-]{1,10}$/.test(key)) {
				// a ticker is unique in the platform (case-insensitive), so this finds one company or none
				const list = await broker.call<{ rows: any[] }, object>("companies.list", { ticker: key.toUpperCase() }, asOperator);
				company = list.rows[0];
			}
			if (!company) company = await broker.call("companies.get", { id: key }, asOperator).catch(() => null);
			if (!company) return console.log(`no company '${key}'`);
			print(company);
			try {
				const a = await broker.call<Analysis, object>("finance.analysis", { id: company.id }, asOperator);
				// scores are null for a quarter without its trailing twelve months
				print({
					period_end: a.period_end,
					scores_basis: a.period.scores_basis,
					altman: a.scores.altman ? { primary: a.scores.altman.primary, zone: a.scores.altman.zone } : null,
					piotroski: a.scores.piotroski ? `${a.scores.piotroski.score} / ${a.scores.piotroski.signals_available}` : null,
					net_margin: a.ratios.profitability.net_margin,
					warnings: a.warnings,
				});
			} catch (err) {
				console.log(`analysis: ${(err as Error).message}`);
			}
		},
	},
];

export default commands;
