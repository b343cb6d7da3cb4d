/**
 * The portfolio report (docs/reports.md): the companies in a scope with their Altman zone, worst risk level and
 * compliance status; how they are distributed; and the companies that moved since the last report of the same
 * scope (a zone, a risk level or a compliance status changed, a company came in or left).
 */
import { RISK_LEVELS } from "../risk/scoring";
import type { Cell } from "../presentation/table";
import type { ReportDocument, ReportSection, SeriesChart } from "./document";

/** One company of a portfolio report as it stood: also what the next report compares with. */
export interface PortfolioRow {
	company_id: string;
	name: string;
	ticker: string | null;
	industry: string;
	period_end: string | null;
	altman_z: number | null;
	zone: string | null;
	risk_level: string | null;
	compliance_status: string | null;
	overdue_actions: number;
}

export interface PortfolioReportData {
	/** What the scope is, as a reader reads it ("technology companies", "3 companies chosen"). */
	scope: string;
	rows: PortfolioRow[];
	/** The last report of the same owner and scope, when there is one. */
	previous: { generated_at: string; rows: PortfolioRow[] } | null;
	generated_at: string;
	generated_by: string;
	platform_version: string;
}

export interface Move {
	company_id: string;
	name: string;
	what: "zone" | "risk_level" | "compliance_status" | "scope";
	before: string | null;
	now: string | null;
}

const ZONES = ["safe", "grey", "distress"];
const COMPLIANCE = ["compliant", "partially_compliant", "non_compliant", "not_assessed"];
const NONE = "none";

/** How many rows hold each value, in the given order, with those holding none last. */
export function distribution(rows: PortfolioRow[], field: "zone" | "risk_level" | "compliance_status", order: readonly string[]): Array<[string, number]> {
	const counts = new Map<string, number>([...order.map(v => [v, 0] as [string, number]), [NONE, 0]]);
	for (const r of rows) {
		const v = r[field] ?? NONE;
		counts.set(v, (counts.get(v) ?? 0) + 1);
	}
	return [...counts];
}

/** What changed between two reports of one scope, company by company. */
export function movesBetween(before: PortfolioRow[], now: PortfolioRow[]): Move[] {
	const earlier = new Map(before.map(r => [r.company_id, r]));
	const moves: Move[] = [];
	for (const r of now) {
		const b = earlier.get(r.company_id);
		if (!b) {
			moves.push({ company_id: r.company_id, name: r.name, what: "scope", before: null, now: "in" });
			continue;
		}
		for (const what of ["zone", "risk_level", "compliance_status"] as const)
			if ((b[what] ?? null) !== (r[what] ?? null)) moves.push({ company_id: r.company_id, name: r.name, what, before: b[what], now: r[what] });
	}
	const present = new Set(now.map(r => r.company_id));
	for (const b of before.filter(r => !present.has(r.company_id))) moves.push({ company_id: b.company_id, name: b.name, what: "scope", before: "in", now: null });
	return moves;
}

const bars = (title: string, counts: Array<[string, number]>): SeriesChart => ({
	kind: "bar",
	title,
	categories: counts.map(([k]) => k),
	series: [{ name: "companies", values: counts.map(([, n]) => n) }],
	unit: "integer",
});

export function portfolioReport(d: PortfolioReportData): ReportDocument {
	const rows = [...d.rows].sort((a, b) => a.name.localeCompare(b.name));
	const zones = distribution(rows, "zone", ZONES);
	const levels = distribution(rows, "risk_level", RISK_LEVELS);
	const compliance = distribution(rows, "compliance_status", COMPLIANCE);
	const count = (list: Array<[string, number]>, key: string) => list.find(([k]) => k === key)?.[1] ?? 0;
	const moves = d.previous ? movesBetween(d.previous.rows, rows) : [];
	const movers: ReportSection = {
		heading: "Moved since the last report",
		blocks: !d.previous
			? [{ kind: "text", text: "The first report of this scope: nothing to compare with." }]
			: moves.length
				? [
						{
							kind: "table",
							title: `Changes since ${d.previous.generated_at}`,
							columns: [
								{ label: "company", unit: "text" },
								{ label: "what", unit: "text" },
								{ label: "before", unit: "text" },
								{ label: "now", unit: "text" },
							],
							rows: moves.map((m): Cell[] => [m.name, m.what, m.before, m.now]),
						},
					]
				: [{ kind: "text", text: `Nothing moved since ${d.previous.generated_at}.` }],
	};
	return {
		title: "Portfolio report",
		subtitle: d.scope,
		cover: [
			["Scope", d.scope],
			["Companies", String(rows.length)],
			["In distress (Altman)", String(count(zones, "distress"))],
			["High or critical risk", String(count(levels, "high") + count(levels, "critical"))],
			["Non-compliant", String(count(compliance, "non_compliant"))],
			["Generated", `${d.generated_at} for ${d.generated_by}`],
			["Platform", `bizops ${d.platform_version}`],
		],
		sections: [
			{
				heading: "Distributions",
				blocks: [bars("Altman zones", zones), bars("Worst risk level", levels), bars("Compliance status", compliance)],
			},
			movers,
			{
				heading: "Companies",
				blocks: [
					{
						kind: "table",
						title: "Companies in scope",
						columns: [
							{ label: "company", unit: "text" },
							{ label: "ticker", unit: "text" },
							{ label: "industry", unit: "text" },
							{ label: "period end", unit: "date" },
							{ label: "Altman Z", unit: "number" },
							{ label: "zone", unit: "text" },
							{ label: "risk level", unit: "text" },
							{ label: "compliance", unit: "text" },
							{ label: "overdue actions", unit: "integer" },
						],
						rows: rows.map(r => [r.name, r.ticker, r.industry, r.period_end, r.altman_z, r.zone, r.risk_level, r.compliance_status, r.overdue_actions]),
						note: "Zone: the Altman variant's zone at the latest statement; risk level: the worst of the company's assessments; compliance: the worst status of its regulations.",
					},
				],
			},
			{
				heading: "Sources",
				blocks: [
					{
						kind: "text",
						text: `Each company's overview (docs/overview.md) as it stood at ${d.generated_at}; generated by bizops ${d.platform_version} for ${d.generated_by}.`,
					},
				],
			},
		],
	};
}
