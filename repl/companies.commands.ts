import { Compliance, Finance, Orchestrator, Risk } from "../contracts";
import { call } from "../lib/contract-calls";
import type { Analysis } from "../domains/finance/analysis";
import type { Company } from "../models/company";
import { fixed, formatFields, formatTable } from "./format";
import { asOperator, findCompany, show, type ReplCommand } from "./index";

const ALTMAN_SYMBOL = { z: "Z", z_prime: "Z′", z_double_prime: "Z″" } as const;
const percent = (v: number | null | undefined) => (v == null ? "-" : `${(v * 100).toFixed(1)} %`);

/** The company named by id or ticker, or a line saying there is none (and null). */
async function company(broker: Parameters<ReplCommand["action"]>[0], key: unknown): Promise<Company | null> {
	const found = await findCompany(broker, String(key));
	if (!found) show(`no company '${key}' (give its id or ticker)`);
	return found;
}

/** The scores as an analyst reads them: each with its scale and zone. */
export function scoreLines(a: Analysis): Record<string, string> {
	const { altman, piotroski, beneish } = a.scores;
	return {
		Altman: altman ? `${ALTMAN_SYMBOL[altman.primary]} ${fixed(altman[altman.primary])} ${altman.zone ?? "(no zone)"}` : "- (no twelve months to score)",
		"Piotroski F": piotroski ? (piotroski.score == null ? "-" : `${piotroski.score} / ${piotroski.signals_available}`) : "-",
		"Beneish M": beneish?.m_score != null ? `${fixed(beneish.m_score)} ${beneish.likely_manipulator ? "likely manipulator (> −1.78)" : "not flagged"}` : "-",
	};
}

const commands: ReplCommand[] = [
	{
		command: "company <idOrTicker>",
		description: "bizops: a company (by id or ticker) and its latest analysis: scores with their scale, headline ratios",
		async action(broker, args) {
			const c = await company(broker, args.idOrTicker);
			if (!c) return;
			show(formatFields({ id: c.id, name: c.name, industry: c.industry, ticker: c.ticker, cik: c.cik }));
			const a = await call(broker, Finance.actions.analysis, { id: c.id }, asOperator).catch((err: Error) => err);
			if (a instanceof Error) return show(`analysis: ${a.message}`);
			show("");
			show(
				formatFields({
					period: `${a.period_end} (${a.statement_type}; scores on ${a.period.scores_basis ?? "-"})`,
					...scoreLines(a),
					"current ratio": fixed(a.ratios.liquidity?.current_ratio),
					"debt to equity": fixed(a.ratios.leverage?.debt_to_equity),
					"net margin": percent(a.ratios.profitability?.net_margin),
					ROE: percent(a.ratios.profitability?.roe),
					warnings: a.warnings.length ? a.warnings.length : "none",
				}),
			);
		},
	},
	{
		command: "risk <idOrTicker>",
		description: "bizops: a company's risk assessments: type, method, score (0–100) and level",
		async action(broker, args) {
			const c = await company(broker, args.idOrTicker);
			if (!c) return;
			const page = await call(broker, Risk.actions.list, { id: c.id, page_size: 100 }, asOperator);
			show(
				formatTable(
					page.rows.map(r => ({
						type: r.risk_type,
						method: r.method,
						title: r.title,
						score: fixed(r.risk_score, 1),
						level: r.level,
						period: r.period_end,
						assessed: r.assessed_at?.slice(0, 16),
					})),
					["type", "method", "title", "score", "level", "period", "assessed"],
				),
			);
		},
	},
	{
		command: "compliance <idOrTicker>",
		description: "bizops: a company's compliance records: regulation, status, violations, next review",
		async action(broker, args) {
			const c = await company(broker, args.idOrTicker);
			if (!c) return;
			const page = await call(broker, Compliance.actions.listRecords, { id: c.id, page_size: 100 }, asOperator);
			show(
				formatTable(
					page.rows.map(r => ({
						regulation: r.regulation_type,
						status: r.compliance_status,
						violations: r.violations?.length ?? 0,
						assessed: r.assessed_at?.slice(0, 10),
						"next review": r.next_review,
					})),
					["regulation", "status", "violations", "assessed", "next review"],
				),
			);
		},
	},
	{
		command: "workflows <idOrTicker>",
		description: "bizops: a company's company reviews, newest first: state, each step's state, the failed step",
		async action(broker, args) {
			const c = await company(broker, args.idOrTicker);
			if (!c) return;
			const page = await call(broker, Orchestrator.actions.list, { company_id: c.id, page_size: 20 }, asOperator);
			show(
				formatTable(
					page.rows.map(w => ({
						id: w.id,
						state: w.state,
						steps: w.steps.map((s: { name: string; state: string; attempts: number }) => `${s.name} ${s.state}${s.attempts > 1 ? ` (${s.attempts}×)` : ""}`),
						failed: w.failed_step,
						started: w.started_at?.slice(0, 19),
						finished: w.finished_at?.slice(0, 19),
					})),
					["id", "state", "steps", "failed", "started", "finished"],
				),
			);
		},
	},
];

export default commands;
