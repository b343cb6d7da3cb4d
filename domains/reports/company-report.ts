/**
 * The company report (docs/reports.md): one company at its latest period — scores with zones and what drives
 * them, ratio trends, the peer benchmark, KPIs, the risk heat map and top risks, compliance with its open
 * violations, the current plan's SWOT and OKRs, and the sources a reader checks every number against (the
 * filings' accession numbers, the formulas and their citations, the platform's version).
 */
import type { Analysis } from "../finance/analysis";
import type { HistoryPoint } from "../finance/history";
import type { RatioUnit } from "../finance/ratios";
import { ALTMAN_DEFINITION, BENEISH_DEFINITION, PIOTROSKI_DEFINITIONS } from "../finance/scores";
import type { CompanyKpis } from "../industries/module";
import type { Evaluation } from "../compliance/evaluation";
import type { RiskFactor } from "../risk/scoring";
import type { Cell } from "../presentation/table";
import type { ColumnUnit, HeatMap, ReportBlock, ReportDocument, ReportSection, ReportTable, SeriesChart } from "./document";
import { formatCell } from "./document";

/** The ratios drawn as trends, by chart: each chart's ratios share a unit. */
export const TREND_CHARTS: ReadonlyArray<{ title: string; unit: ColumnUnit; ratios: string[] }> = [
	{ title: "Margins", unit: "fraction", ratios: ["profitability.gross_margin", "profitability.operating_margin", "profitability.net_margin"] },
	{ title: "Returns", unit: "fraction", ratios: ["profitability.roa", "profitability.roe"] },
	{ title: "Liquidity and leverage", unit: "times", ratios: ["liquidity.current_ratio", "liquidity.quick_ratio", "leverage.debt_to_equity"] },
];

/** What a company report is drawn from: the platform's answers, read as the report's owner. */
export interface CompanyReportData {
	company: { id: string; name: string; ticker?: string | null; cik?: string | null; industry: string; country?: string | null };
	analysis: Analysis | null;
	/** Annual history of the ratios of TREND_CHARTS. */
	ratio_history: Record<string, HistoryPoint[]>;
	kpis: CompanyKpis | null;
	risks: Array<{
		risk_type: string;
		method: string;
		title?: string;
		risk_score: number | null;
		level: string | null;
		risk_factors: RiskFactor[];
		mitigation_strategies: string[];
		reason?: string;
	}>;
	matrix: {
		matrix: { name: string };
		probability: Array<{ name: string }>;
		impact: Array<{ name: string }>;
		risk: Array<{ name: string }>;
		levels: string[][];
		residual: number[][];
		automatic: number[][] | null;
	} | null;
	compliance: Array<Pick<Evaluation, "regulation_type" | "compliance_status" | "violations" | "assessed_at" | "next_review">>;
	plan: {
		title: string;
		status: string;
		swot_analysis: Record<string, Array<Record<string, unknown>>>;
		objectives: Array<{ title: string; key_results: Array<{ description: string; unit?: string; start: number; target: number; current: number }> }>;
	} | null;
	statements: Array<{ period_end: string; statement_type: string; fiscal_period: string; source?: { type: string; cik?: string; accession?: string[]; filed?: string } }>;
	generated_at: string;
	generated_by: string;
	platform_version: string;
}

const UNIT_OF_RATIO: Record<RatioUnit, ColumnUnit> = { fraction: "fraction", times: "times", days: "number", currency: "money" };

const table = (title: string, columns: Array<[string, ColumnUnit]>, rows: Cell[][], note?: string): ReportTable => ({
	kind: "table",
	title,
	columns: columns.map(([label, unit]) => ({ label, unit })),
	rows,
	...(note ? { note } : {}),
});

const text = (t: string): ReportBlock => ({ kind: "text", text: t });

function scoresSection(a: Analysis | null): ReportSection {
	if (!a) return { heading: "Scores", blocks: [text("No statement: nothing to score.")] };
	const { altman, piotroski, beneish, dupont } = a.scores;
	const blocks: ReportBlock[] = [
		table(
			`Scores at ${a.period_end}`,
			[
				["score", "text"],
				["value", "number"],
				["reading", "text"],
			],
			[
				[
					"Altman Z" + (altman ? ` (${altman.primary})` : ""),
					altman ? altman[altman.primary] : null,
					altman?.zone ?? altman?.null_reasons[altman.primary] ?? "not computed",
				],
				["Piotroski F", piotroski?.score ?? null, piotroski ? `of ${piotroski.signals_available} signals available` : "not computed"],
				["Beneish M", beneish?.m_score ?? null, beneish ? (beneish.likely_manipulator ? "likely manipulator (M > −1.78)" : "unlikely manipulator") : "not computed"],
				["DuPont ROE", dupont.three_step.roe, `net margin × asset turnover × equity multiplier (${dupont.basis})`],
			],
		),
	];
	if (altman) {
		const weights: Record<string, number> = ALTMAN_DEFINITION.variants[altman.primary].coefficients;
		blocks.push(
			table(
				`Altman ${altman.primary}: its drivers`,
				[
					["component", "text"],
					["formula", "text"],
					["value", "number"],
					["weight", "number"],
					["contribution", "number"],
				],
				Object.entries(weights).map(([name, weight]) => {
					const value = altman.components[name as keyof typeof altman.components];
					return [name, ALTMAN_DEFINITION.components[name as keyof typeof ALTMAN_DEFINITION.components], value, weight, value == null ? null : value * weight];
				}),
			),
		);
	}
	if (piotroski)
		blocks.push(
			table(
				"Piotroski signals",
				[
					["signal", "text"],
					["holds", "text"],
					["definition", "text"],
				],
				Object.entries(piotroski.signals).map(([name, holds]) => [
					name,
					holds == null ? "not computed" : holds ? "yes" : "no",
					PIOTROSKI_DEFINITIONS[name as keyof typeof PIOTROSKI_DEFINITIONS],
				]),
			),
		);
	return { heading: "Scores", blocks };
}

function trendsSection(history: Record<string, HistoryPoint[]>): ReportSection {
	const blocks: ReportBlock[] = [];
	for (const chart of TREND_CHARTS) {
		const periods = [...new Set(chart.ratios.flatMap(r => (history[r] ?? []).map(p => p.period_end)))].sort();
		if (!periods.length) continue;
		const series = chart.ratios.map(r => {
			const byPeriod = new Map((history[r] ?? []).map(p => [p.period_end, p.value]));
			return { name: r.split(".")[1], values: periods.map(p => byPeriod.get(p) ?? null) };
		});
		blocks.push({ kind: "line", title: chart.title, categories: periods, series, unit: chart.unit } satisfies SeriesChart);
	}
	return { heading: "Ratio trends (annual)", blocks: blocks.length ? blocks : [text("No annual statement: no trend.")] };
}

function benchmarkSection(a: Analysis | null): ReportSection {
	const b = a?.benchmark;
	if (!a || !b || b.basis === "none") return { heading: "Benchmark", blocks: [text("No peer group or reference to compare with.")] };
	const unitOf = (path: string) => UNIT_OF_RATIO[a.ratio_details[path.split(".")[0]]?.[path.split(".")[1]]?.unit ?? "fraction"];
	const rows = Object.entries(b.ratios).map(([path, e]): Cell[] => [path.split(".")[1], formatCell(e.value, unitOf(path)), formatCell(e.median, unitOf(path)), e.percentile]);
	const basis =
		b.basis === "peers"
			? `Median of ${b.peer_count} ${b.industry} peers${b.reference_set ? ` (${b.reference_set.peers} of them real filers: ${b.reference_set.source}, ${b.reference_set.as_of})` : ""}`
			: `Fewer than ${b.min_peers} peers: the industry's reference medians${b.reference ? ` (${b.reference.source}, ${b.reference.as_of})` : ""}`;
	return {
		heading: "Benchmark",
		blocks: [
			table(
				"Against the industry",
				[
					["ratio", "text"],
					["company", "text"],
					["median", "text"],
					["percentile", "fraction"],
				],
				rows,
				basis,
			),
		],
	};
}

function kpiSection(k: CompanyKpis | null): ReportSection {
	if (!k?.kpis.length) return { heading: "KPIs", blocks: [text("No operational metrics: no KPI.")] };
	return {
		heading: "KPIs",
		blocks: [
			table(
				k.period_end ? `KPIs at ${k.period_end}` : "KPIs: values, status and thresholds",
				[
					["KPI", "text"],
					["value", "text"],
					["status", "text"],
					["threshold", "text"],
					["formula", "text"],
				],
				k.kpis.map(x => [x.name, x.display, x.status, x.threshold_text, x.formula]),
			),
		],
	};
}

const TOP_RISKS = 10;

function riskSection(d: CompanyReportData): ReportSection {
	const blocks: ReportBlock[] = [];
	if (d.matrix) {
		const m = d.matrix;
		// manual risks where they remain after mitigation, and the automatic ones the matrix places by exposure
		const counts = m.residual.map((row, i) => row.map((n, j) => n + (m.automatic?.[i]?.[j] ?? 0)));
		blocks.push({
			kind: "heatmap",
			title: `Heat map (${m.matrix.name}): risks per cell`,
			likelihood: m.probability.map(p => p.name),
			impact: m.impact.map(p => p.name),
			counts,
			levels: m.levels,
			level_order: m.risk.map(r => r.name),
		} satisfies HeatMap);
	}
	const ranked = [...d.risks].filter(r => r.risk_score != null).sort((a, b) => b.risk_score! - a.risk_score!);
	if (!ranked.length) blocks.push(text("No scored risk."));
	else
		blocks.push(
			table(
				`Top ${Math.min(TOP_RISKS, ranked.length)} risks by score`,
				[
					["risk", "text"],
					["method", "text"],
					["score", "number"],
					["level", "text"],
					["main drivers", "text"],
				],
				ranked.slice(0, TOP_RISKS).map(r => [r.title ?? r.risk_type, r.method, r.risk_score, r.level, driversOf(r.risk_factors)]),
			),
		);
	const unscored = d.risks.filter(r => r.risk_score == null);
	if (unscored.length) blocks.push(text(`Not scored: ${unscored.map(r => `${r.risk_type}${r.reason ? ` (${r.reason})` : ""}`).join("; ")}.`));
	return { heading: "Risk", blocks };
}

/** The factors that weigh most in a risk's score: where it sits between safe and distress, times its weight. */
function driversOf(factors: RiskFactor[]): string {
	return factors
		.filter(f => f.factor_score != null && f.applied_weight != null)
		.sort((a, b) => b.factor_score! * b.applied_weight! - a.factor_score! * a.applied_weight!)
		.slice(0, 3)
		.map(f => `${f.name} ${Math.round(f.factor_score!)}/100`)
		.join(", ");
}

function complianceSection(records: CompanyReportData["compliance"]): ReportSection {
	if (!records.length) return { heading: "Compliance", blocks: [text("No regulation assessed.")] };
	const blocks: ReportBlock[] = [
		table(
			"Status by regulation",
			[
				["regulation", "text"],
				["status", "text"],
				["open violations", "integer"],
				["assessed", "date"],
				["next review", "date"],
			],
			records.map(r => [r.regulation_type, r.compliance_status, r.violations.length, r.assessed_at.slice(0, 10), r.next_review?.slice(0, 10) ?? null]),
		),
	];
	const violations = records.flatMap(r => r.violations.map((v): Cell[] => [r.regulation_type, v.requirement, v.observed, v.threshold, v.severity]));
	blocks.push(
		violations.length
			? table(
					"Open violations",
					[
						["regulation", "text"],
						["requirement", "text"],
						["observed", "number"],
						["threshold", "number"],
						["severity", "text"],
					],
					violations,
				)
			: text("No open violation."),
	);
	return { heading: "Compliance", blocks };
}

function planSection(plan: CompanyReportData["plan"]): ReportSection {
	if (!plan) return { heading: "Strategic plan", blocks: [text("No plan.")] };
	const swot = Object.entries(plan.swot_analysis).flatMap(([quadrant, items]) =>
		items.map((i): Cell[] => [quadrant, String(i.title ?? i.factor ?? ""), String(i.detail ?? i.description ?? ""), i.impact == null ? null : String(i.impact)]),
	);
	const okrs = plan.objectives.flatMap(o =>
		o.key_results.map((k): Cell[] => [o.title, k.description, k.start, k.current, k.target, k.target === k.start ? null : (k.current - k.start) / (k.target - k.start)]),
	);
	return {
		heading: `Strategic plan: ${plan.title} (${plan.status})`,
		blocks: [
			swot.length
				? table(
						"SWOT",
						[
							["quadrant", "text"],
							["item", "text"],
							["detail", "text"],
							["impact", "text"],
						],
						swot,
					)
				: text("No SWOT item."),
			okrs.length
				? table(
						"Objectives and key results",
						[
							["objective", "text"],
							["key result", "text"],
							["start", "number"],
							["current", "number"],
							["target", "number"],
							["progress", "fraction"],
						],
						okrs,
					)
				: text("No objective."),
		],
	};
}

function sourcesSection(d: CompanyReportData): ReportSection {
	const a = d.analysis;
	const formulas: Cell[][] = [
		["Altman Z", "Σ weight × component (see the drivers)", ALTMAN_DEFINITION.source],
		["Beneish M", BENEISH_DEFINITION.m_score, BENEISH_DEFINITION.source],
		["Piotroski F", "count of nine signals that hold", "Piotroski (2000), J. Accounting Research 38"],
		["Ratios", "as each ratio's formula below", "CFA Institute, Financial Analysis Techniques (CFA Program Curriculum, Level I)"],
		...Object.entries(a?.ratio_details ?? {}).flatMap(([group, ratios]) => Object.entries(ratios).map(([name, e]): Cell[] => [`${group}.${name}`, e.formula, e.display])),
	];
	return {
		heading: "Sources",
		blocks: [
			table(
				"Statements",
				[
					["period end", "date"],
					["type", "text"],
					["fiscal period", "text"],
					["source", "text"],
					["CIK", "text"],
					["filed", "date"],
					["accession numbers", "text"],
				],
				d.statements.map(s => [
					s.period_end,
					s.statement_type,
					s.fiscal_period,
					s.source?.type ?? "entered",
					s.source?.cik ?? null,
					s.source?.filed ?? null,
					(s.source?.accession ?? []).join(", "),
				]),
			),
			table(
				"Formulas",
				[
					["figure", "text"],
					["formula", "text"],
					["citation or value", "text"],
				],
				formulas,
				"docs/formulas.md states every formula with its source.",
			),
			...(a?.warnings.length ? [text(`The analysis warns: ${a.warnings.join(" ")}`)] : []),
			text(`Generated by bizops ${d.platform_version} at ${d.generated_at} for ${d.generated_by}.`),
		],
	};
}

export function companyReport(d: CompanyReportData): ReportDocument {
	const a = d.analysis;
	const altman = a?.scores.altman;
	return {
		title: d.company.name,
		subtitle: a ? `Company report at ${a.period_end} (${a.statement_type})` : "Company report",
		cover: [
			["Company", d.company.name],
			["Ticker", d.company.ticker ?? "—"],
			["CIK", d.company.cik ?? "—"],
			["Industry", d.company.industry],
			["Period", a ? `${a.period_end} (${a.statement_type}, ${a.currency})` : "no statement"],
			["Altman Z", altman ? `${formatCell(altman[altman.primary], "number")} (${altman.zone ?? "no zone"})` : "—"],
			["Generated", `${d.generated_at} for ${d.generated_by}`],
			["Platform", `bizops ${d.platform_version}`],
		],
		sections: [
			scoresSection(a),
			trendsSection(d.ratio_history),
			benchmarkSection(a),
			kpiSection(d.kpis),
			riskSection(d),
			complianceSection(d.compliance),
			planSection(d.plan),
			sourcesSection(d),
		],
	};
}
