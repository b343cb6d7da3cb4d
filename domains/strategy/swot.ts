/**
 * A SWOT drafted from the company's own figures (docs/strategy.md): every item states its evidence (the
 * metric, its value, the benchmark or threshold it is held against, the period) and its impact, so a reader
 * can check it and a changed figure changes the next draft. Internal items (strengths, weaknesses) come from
 * the analysis (peer benchmark, Altman zone, Piotroski, growth) and the industry KPIs; external ones
 * (opportunities, threats) from the risk assessments, compliance records and the market analysis. The cut-offs
 * are conventions, stated here: a ratio 10 % better or worse than the peer median counts, 25 % is medium
 * impact and 50 % high; Piotroski 7–9 strong and 0–3 weak (Piotroski 2000); market growth of 5 % a year or
 * more an opportunity, shrinking a threat.
 */
import type { Analysis } from "../finance/analysis";
import type { KpiResult } from "../industries/module";
import type { MarketAnalysis } from "./plan";

export type Impact = "low" | "medium" | "high";

export interface SwotItem {
	title: string;
	detail: string;
	impact: Impact;
	evidence: {
		source: "benchmark" | "score" | "trend" | "kpi" | "risk" | "compliance" | "market";
		metric: string;
		value: number | string | null;
		benchmark?: number;
		threshold?: unknown;
		period?: string | null;
	};
}

export interface Swot {
	strengths: SwotItem[];
	weaknesses: SwotItem[];
	opportunities: SwotItem[];
	threats: SwotItem[];
}

export interface SwotInputs {
	analysis: Analysis | null;
	kpis: { period_end: string | null; kpis: KpiResult[] } | null;
	risks: Array<{ risk_type: string; title?: string; method: string; risk_score: number | null; level: string | null; period_end?: string }>;
	compliance: Array<{ regulation_type: string; compliance_status: string; assessed_at?: string }>;
	market?: MarketAnalysis;
}

const BETTER_WHEN_LOWER = new Set(["leverage.debt_ratio"]);
const SIGNIFICANT = 0.1;
const impactOf = (share: number): Impact => (share >= 0.5 ? "high" : share >= 0.25 ? "medium" : "low");
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const round = (v: number) => Math.round(v * 10000) / 10000;

function fromBenchmark(a: Analysis, swot: Swot): void {
	const benchmark = a.benchmark;
	// with too few peers there is no industry median to be above or below: the reference, named as such, or nothing
	if (!benchmark || benchmark.basis === "none") return;
	const against =
		benchmark.basis === "peers"
			? `the median of ${benchmark.peer_count} ${benchmark.industry} peers${
					benchmark.reference_set ? ` (${benchmark.reference_set.peers} of them ${benchmark.reference_set.source}, as of ${benchmark.reference_set.as_of})` : ""
				}`
			: `the reference median (${benchmark.reference?.source}, as of ${benchmark.reference?.as_of})`;
	for (const [path, entry] of Object.entries(benchmark.ratios)) {
		const median = entry.median;
		if (entry.value == null || median == null || median === 0) continue;
		const relative = (entry.value - median) / Math.abs(median);
		const better = BETTER_WHEN_LOWER.has(path) ? -relative : relative;
		if (Math.abs(better) < SIGNIFICANT) continue;
		const name = path.split(".")[1].replace(/_/g, " ");
		const item: SwotItem = {
			title: `${name} ${better > 0 ? "above" : "below"} ${benchmark.basis === "peers" ? "the industry median" : "the reference median"}`,
			detail: `${name} ${round(entry.value)} against ${against}, ${round(median)} (${better > 0 ? "better" : "worse"} by ${pct(Math.abs(better))})`,
			impact: impactOf(Math.abs(better)),
			evidence: { source: "benchmark", metric: path, value: entry.value, benchmark: median, period: a.period_end },
		};
		(better > 0 ? swot.strengths : swot.weaknesses).push(item);
	}
}

function fromScores(a: Analysis, swot: Swot): void {
	const altman = a.scores.altman;
	if (altman?.zone) {
		const variant = altman.definition.variants[altman.primary];
		const value = altman[altman.primary];
		const item = (title: string, impact: Impact): SwotItem => ({
			title,
			detail: `Altman ${altman.primary} ${value == null ? "n/a" : round(value)}: safe above ${variant.safe_above}, distress below ${variant.distress_below}`,
			impact,
			evidence: {
				source: "score",
				metric: `altman.${altman.primary}`,
				value,
				threshold: { safe_above: variant.safe_above, distress_below: variant.distress_below },
				period: a.period_end,
			},
		});
		if (altman.zone === "safe") swot.strengths.push(item("Solvency: Altman score in the safe zone", "medium"));
		else swot.weaknesses.push(item(`Solvency: Altman score in the ${altman.zone} zone`, altman.zone === "distress" ? "high" : "medium"));
	}
	const piotroski = a.scores.piotroski;
	if (piotroski?.score != null && piotroski.signals_available) {
		const evidence = {
			source: "score" as const,
			metric: "piotroski.score",
			value: piotroski.score,
			threshold: { strong_from: 7, weak_to: 3, of: piotroski.signals_available },
			period: a.period_end,
		};
		const detail = `${piotroski.score} of ${piotroski.signals_available} Piotroski signals hold`;
		if (piotroski.score >= 7) swot.strengths.push({ title: "Financial strength: strong Piotroski score", detail, impact: "medium", evidence });
		else if (piotroski.score <= 3) swot.weaknesses.push({ title: "Financial strength: weak Piotroski score", detail, impact: "medium", evidence });
	}
	const revenue = a.trends?.growth?.revenue?.at(-1);
	if (revenue?.value != null && Math.abs(revenue.value) >= SIGNIFICANT) {
		const item: SwotItem = {
			title: `Revenue ${revenue.value > 0 ? "growing" : "shrinking"}`,
			detail: `revenue ${revenue.value > 0 ? "+" : ""}${pct(revenue.value)} year over year`,
			impact: impactOf(Math.abs(revenue.value)),
			evidence: { source: "trend", metric: "growth.revenue", value: revenue.value, period: revenue.period_end },
		};
		(revenue.value > 0 ? swot.strengths : swot.weaknesses).push(item);
	}
}

function fromKpis(kpis: NonNullable<SwotInputs["kpis"]>, swot: Swot): void {
	for (const k of kpis.kpis) {
		if (k.status !== "good" && k.status !== "bad") continue;
		const item: SwotItem = {
			title: `${k.name.replace(/_/g, " ")} ${k.status === "good" ? "within" : "outside"} its threshold`,
			detail: `${k.name.replace(/_/g, " ")} ${k.display ?? "n/a"}: ${k.status} (${k.threshold_text ?? "no threshold"})`,
			impact: k.status === "bad" ? "high" : "medium",
			evidence: { source: "kpi", metric: k.name, value: k.value, threshold: k.threshold, period: kpis.period_end },
		};
		(k.status === "good" ? swot.strengths : swot.weaknesses).push(item);
	}
}

function fromRisksAndCompliance(inputs: SwotInputs, swot: Swot): void {
	for (const r of inputs.risks) {
		if (r.level !== "high" && r.level !== "critical") continue;
		swot.threats.push({
			title: `${r.title ?? r.risk_type.replace(/_/g, " ")} risk ${r.level}`,
			detail: `${r.method} ${r.risk_type} assessment: score ${r.risk_score ?? "n/a"}, level ${r.level}`,
			impact: r.level === "critical" ? "high" : "medium",
			evidence: { source: "risk", metric: `risk.${r.risk_type}`, value: r.risk_score, threshold: { level: r.level }, period: r.period_end ?? null },
		});
	}
	for (const c of inputs.compliance) {
		if (c.compliance_status !== "non_compliant" && c.compliance_status !== "partially_compliant") continue;
		const item: SwotItem = {
			title: `${c.regulation_type.replace(/_/g, " ")}: ${c.compliance_status.replace(/_/g, " ")}`,
			detail: `the ${c.regulation_type} record is ${c.compliance_status}`,
			impact: c.compliance_status === "non_compliant" ? "high" : "medium",
			evidence: { source: "compliance", metric: `compliance.${c.regulation_type}`, value: c.compliance_status, period: c.assessed_at?.slice(0, 10) ?? null },
		};
		(c.compliance_status === "non_compliant" ? swot.threats : swot.weaknesses).push(item);
	}
}

function fromMarket(m: MarketAnalysis, swot: Swot): void {
	if (m.growth_rate != null && (m.growth_rate >= 0.05 || m.growth_rate < 0)) {
		const item: SwotItem = {
			title: `Market ${m.growth_rate >= 0 ? "growing" : "shrinking"}`,
			detail: `the market grows ${pct(m.growth_rate)} a year`,
			impact: Math.abs(m.growth_rate) >= 0.15 ? "high" : "medium",
			evidence: { source: "market", metric: "market.growth_rate", value: m.growth_rate, threshold: { opportunity_from: 0.05, threat_below: 0 } },
		};
		(m.growth_rate >= 0 ? swot.opportunities : swot.threats).push(item);
	}
	if (m.sam && m.som != null && m.som / m.sam < 0.2)
		swot.opportunities.push({
			title: "Room to grow in the serviceable market",
			detail: `the obtainable market is ${pct(m.som / m.sam)} of the serviceable one`,
			impact: "medium",
			evidence: { source: "market", metric: "market.som_share_of_sam", value: round(m.som / m.sam) },
		});
	for (const [force, rating] of Object.entries(m.five_forces ?? {})) {
		if (!rating || rating.rating === "medium") continue;
		const item: SwotItem = {
			title: `${force.replace(/_/g, " ")} ${rating.rating}`,
			detail: rating.factors?.length ? rating.factors.join("; ") : `rated ${rating.rating}`,
			impact: "medium",
			evidence: { source: "market", metric: `five_forces.${force}`, value: rating.rating },
		};
		(rating.rating === "low" ? swot.opportunities : swot.threats).push(item);
	}
}

const RANK: Record<Impact, number> = { high: 0, medium: 1, low: 2 };

export function draftSwot(inputs: SwotInputs): Swot {
	const swot: Swot = { strengths: [], weaknesses: [], opportunities: [], threats: [] };
	if (inputs.analysis) {
		fromBenchmark(inputs.analysis, swot);
		fromScores(inputs.analysis, swot);
	}
	if (inputs.kpis) fromKpis(inputs.kpis, swot);
	fromRisksAndCompliance(inputs, swot);
	if (inputs.market) fromMarket(inputs.market, swot);
	for (const list of Object.values(swot)) list.sort((a: SwotItem, b: SwotItem) => RANK[a.impact] - RANK[b.impact]);
	return swot;
}
