/**
 * The analysis of one company at one annual period (docs/formulas.md): ratios, scores, trends over the annual
 * history up to that period, and a benchmark against industry peers.
 */
import type { StatementData } from "../../models/statement";
import { growth, sub, type Value } from "./math";
import { computeRatios, figuresOf, ratio, type Figures, type RatioExplanations, type RatioGroups } from "./ratios";
import { altman, beneish, dupont, piotroski, type Altman, type Beneish, type DuPont, type Piotroski } from "./scores";

export interface PeriodValue {
	period_end: string;
	value: Value;
}

export interface Trends {
	periods: string[];
	/** Year-over-year growth of each amount, relative to |previous|. */
	growth: Record<string, PeriodValue[]>;
	/** Year-over-year change of each margin (fractions, e.g. 0.012 = +1.2 points). */
	margin_change: Record<string, PeriodValue[]>;
	/** Compound annual growth over all periods: (last / first)^(1 / years) − 1; null unless both ends are positive. */
	cagr: Record<string, { value: Value; from: string; to: string; years: number } | null>;
}

export interface BenchmarkEntry {
	value: Value;
	median: Value;
	/** Share of peers whose value is below this company's, 0–1. */
	percentile: Value;
}

export interface Benchmark {
	industry: string;
	peer_count: number;
	ratios: Record<string, BenchmarkEntry>;
}

export interface Analysis {
	company_id: string;
	period_end: string;
	statement_type: string;
	currency: string;
	ratios: RatioGroups;
	scores: { altman: Altman; piotroski: Piotroski; beneish: Beneish; dupont: DuPont };
	trends: Trends;
	benchmark: Benchmark | null;
	inputs: RatioExplanations;
	warnings: string[];
}

const GROWTH_ITEMS = ["revenue", "net_income", "operating_cash_flow", "total_assets"] as const;
const MARGINS = ["gross_margin", "operating_margin", "net_margin", "fcf_margin"] as const;

/** The ratios compared against peers, as `group.name`. */
export const BENCHMARK_RATIOS = [
	"liquidity.current_ratio",
	"liquidity.quick_ratio",
	"profitability.gross_margin",
	"profitability.operating_margin",
	"profitability.net_margin",
	"profitability.roa",
	"profitability.roe",
	"leverage.debt_ratio",
	"leverage.interest_coverage",
	"efficiency.asset_turnover",
	"cash_flow.fcf_margin",
] as const;

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

export function trendsOf(history: Array<{ period_end: string; figures: Figures }>): Trends {
	const periods = history.map(h => h.period_end);
	const growthSeries: Record<string, PeriodValue[]> = {};
	const marginSeries: Record<string, PeriodValue[]> = {};
	const cagr: Trends["cagr"] = {};
	for (const item of GROWTH_ITEMS) {
		growthSeries[item] = [];
		for (let i = 1; i < history.length; i++) growthSeries[item].push({ period_end: periods[i], value: growth(history[i].figures[item], history[i - 1].figures[item]) });
		const first = history[0];
		const last = history[history.length - 1];
		const a = first?.figures[item];
		const b = last?.figures[item];
		if (history.length < 2 || a == null || b == null || a <= 0 || b <= 0) {
			cagr[item] = null;
		} else {
			const years = Math.round(((Date.parse(last.period_end) - Date.parse(first.period_end)) / YEAR_MS) * 100) / 100;
			cagr[item] = { value: years > 0 ? Math.pow(b / a, 1 / years) - 1 : null, from: first.period_end, to: last.period_end, years };
		}
	}
	for (const name of MARGINS) {
		const m = history.map(h => ratio(name, h.figures));
		marginSeries[name] = [];
		for (let i = 1; i < history.length; i++) marginSeries[name].push({ period_end: periods[i], value: sub(m[i], m[i - 1]) });
	}
	return { periods, growth: growthSeries, margin_change: marginSeries, cagr };
}

const BENCHMARK_PATHS = BENCHMARK_RATIOS.map(p => p.split(".") as [string, string]);

/**
 * An industry's peer group, prepared once and reused by every analysis in it: each company's benchmark
 * ratios (from its latest annual statement) and, per ratio, all their values sorted.
 */
export interface PeerStats {
	industry: string;
	companies: Record<string, Record<string, Value>>;
	sorted: Record<string, number[]>;
}

export function peerStatsOf(industry: string, peers: Array<{ company_id: string; ratios: RatioGroups }>): PeerStats {
	const companies: PeerStats["companies"] = {};
	const sorted: PeerStats["sorted"] = {};
	for (const path of BENCHMARK_RATIOS) sorted[path] = [];
	for (const peer of peers) {
		const values: Record<string, Value> = {};
		for (let i = 0; i < BENCHMARK_RATIOS.length; i++) {
			const [group, name] = BENCHMARK_PATHS[i];
			const v = peer.ratios[group]?.[name] ?? null;
			values[BENCHMARK_RATIOS[i]] = v;
			if (v != null) sorted[BENCHMARK_RATIOS[i]].push(v);
		}
		companies[peer.company_id] = values;
	}
	for (const path of BENCHMARK_RATIOS) sorted[path].sort((a, b) => a - b);
	return { industry, companies, sorted };
}

/** Index of the first element ≥ x in an ascending array. */
function lowerBound(xs: number[], x: number): number {
	let lo = 0;
	let hi = xs.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (xs[mid] < x) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/**
 * This company's ratios against its peers' (their latest annual statements; the company itself left
 * out): the peers' median, and the share of peers below this company.
 */
export function benchmarkOf(ratios: RatioGroups, stats: PeerStats, companyId?: string): Benchmark {
	const own = companyId ? stats.companies[companyId] : undefined;
	const out: Record<string, BenchmarkEntry> = {};
	for (let i = 0; i < BENCHMARK_RATIOS.length; i++) {
		const path = BENCHMARK_RATIOS[i];
		const [group, name] = BENCHMARK_PATHS[i];
		const value = ratios[group]?.[name] ?? null;
		const all = stats.sorted[path];
		const ownValue = own?.[path] ?? null;
		// the company's own value is taken out of the sorted peers without copying them
		const skip = ownValue == null ? -1 : lowerBound(all, ownValue);
		const n = all.length - (skip >= 0 ? 1 : 0);
		const at = (k: number) => (skip >= 0 && k >= skip ? all[k + 1] : all[k]);
		const med = n === 0 ? null : n % 2 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
		let percentile: Value = null;
		if (value != null && n > 0) percentile = (lowerBound(all, value) - (ownValue != null && ownValue < value ? 1 : 0)) / n;
		out[path] = { value, median: med, percentile };
	}
	const peerCount = Object.keys(stats.companies).length - (own ? 1 : 0);
	return { industry: stats.industry, peer_count: peerCount, ratios: out };
}

export interface AnalysisInput {
	company_id: string;
	industry: string;
	/** The company's annual statements, any order; the analysed period and the ones before it are used. */
	annual: StatementData[];
	/** The statement to analyse; default: the latest annual one. */
	period_end?: string;
	/** The analysed statement when it is quarterly (annual history still drives trends and scores). */
	statement?: StatementData;
	/** The industry's peer group, for the benchmark; omitted: no benchmark. */
	peers?: PeerStats;
	/** Warnings stored with the statement. */
	statement_warnings?: string[];
}

/** The full analysis; null when there is no statement to analyse. */
export function analyze(input: AnalysisInput): Analysis | null {
	const annual = [...input.annual].sort((a, b) => (a.period_end < b.period_end ? -1 : a.period_end > b.period_end ? 1 : 0));
	let statement = input.statement;
	let index: number;
	if (!statement) {
		index = input.period_end ? annual.findIndex(s => s.period_end === input.period_end) : annual.length - 1;
		if (index < 0) return null;
		statement = annual[index];
	} else {
		// the annual history up to the analysed period
		index = annual.length - 1;
		while (index >= 0 && annual[index].period_end > statement.period_end) index--;
	}
	const history = annual.slice(0, index + 1).map(s => ({ period_end: s.period_end, figures: figuresOf(s) }));
	const f = statement.statement_type === "annual" && history.length ? history[history.length - 1].figures : figuresOf(statement);
	// for an annual statement, t−1 and t−2 are the annual periods before it; for a quarterly one, the latest annual periods
	const priors = statement.statement_type === "annual" ? history.slice(0, -1) : history;
	const p1 = priors.length >= 1 ? priors[priors.length - 1].figures : null;
	const p2 = priors.length >= 2 ? priors[priors.length - 2].figures : null;

	const inputs: RatioExplanations = {};
	const ratios = computeRatios(f, inputs);
	const warnings = [...(input.statement_warnings ?? [])];
	if (!p1) warnings.push("no prior annual statement: Piotroski signals that compare periods, and Beneish, cannot be computed");
	else if (!p2) warnings.push("only one prior annual statement: Piotroski's F_DELTA_ROA and F_DELTA_TURN need two");
	if (f.market_cap == null && input.industry === "manufacturing") warnings.push("no market data: Altman's primary score is z′ (book equity) instead of z");

	return {
		company_id: input.company_id,
		period_end: statement.period_end,
		statement_type: statement.statement_type,
		currency: statement.currency,
		ratios,
		scores: { altman: altman(f, input.industry), piotroski: piotroski(f, p1, p2), beneish: beneish(f, p1), dupont: dupont(f) },
		trends: trendsOf(history),
		benchmark: input.peers ? benchmarkOf(ratios, input.peers, input.company_id) : null,
		inputs,
		warnings,
	};
}
