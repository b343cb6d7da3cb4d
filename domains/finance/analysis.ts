/**
 * The analysis of one company at one period (docs/formulas.md): ratios, scores, trends over the annual
 * history up to that period, and a benchmark against industry peers. A quarterly statement's ratios are its
 * own, but flow/balance ratios and the scores (calibrated on annual figures) are on trailing twelve months.
 */
import type { StatementData } from "../../models/statement";
import { growth, sub, type Value } from "./math";
import { industryModule } from "../industries/registry";
import { periodBefore, trailingTwelveMonths, type AnalysedPeriod } from "./periods";
import { computeRatios, figuresOf, ratio, type Figures, type RatioExplanations, type RatioGroups } from "./ratios";
import { altman, beneish, dupont, piotroski, type Altman, type AltmanVariant, type Beneish, type DuPont, type Piotroski, type Zone } from "./scores";
import { marketAt, withClosePrices, type MarketAtPeriod } from "../market/market";
import type { PriceRow } from "../market/prices";

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
	/** The industry module's published median, when it has one (see `reference`). */
	reference_median?: number;
}

export interface Benchmark {
	industry: string;
	peer_count: number;
	/**
	 * What `median` is: the peers' (at least MIN_PEERS of them), the industry module's dated reference medians
	 * (fewer peers), or nothing to compare with (fewer peers and no reference).
	 */
	basis: "peers" | "reference" | "none";
	/** The peers a median of theirs needs. */
	min_peers: number;
	ratios: Record<string, BenchmarkEntry>;
	/** Where the reference medians come from, and when they held. */
	reference?: { source: string; as_of: string };
	/** Real filers counted among the peers beside the user's companies: their source, their date and how many (of `peer_count`). */
	reference_set?: ReferenceSet;
}

/** A dated set of real filers the benchmark's peers include (lib/reference-filers.ts). */
export interface ReferenceSet {
	source: string;
	as_of: string;
	peers: number;
}

/**
 * Fewer peers than this and their median is no benchmark (one company is not "the industry median"): the
 * industry's published reference medians stand in, labelled and dated, or there is none. Five is the smallest
 * peer group of the common rules of thumb for comparable-company analysis (e.g. Rosenbaum & Pearl, Investment
 * Banking, 2nd ed., ch. 1: "a core group of five to ten").
 */
export const MIN_PEERS = 5;

export interface AnalysisPeriod {
	period_end: string;
	statement_type: string;
	/** The figures of the ratios: annual, or quarterly (a quarter's flow/balance ratios say ttm in ratio_details). */
	basis: "annual" | "quarterly";
	/** The figures of the scores: annual, ttm (a quarter's trailing twelve months), or null (a quarter without them). */
	scores_basis: "annual" | "ttm" | null;
	/** For a TTM: the period ends of its four quarters. */
	ttm_quarters?: string[];
	/** The periods the scores compare with, by date: twelve (t−1) and twenty-four (t−2) months earlier. */
	compared_with: { t_minus_1: string | null; t_minus_2: string | null };
}

export interface Analysis {
	company_id: string;
	company: { id: string; name: string | null; ticker: string | null; industry: string };
	period_end: string;
	statement_type: string;
	currency: string;
	period: AnalysisPeriod;
	ratios: RatioGroups;
	/** Per ratio: formula, unit, basis, inputs, and why it is null when it is. */
	ratio_details: RatioExplanations;
	/** The amounts other services size things by (risk exposures, impact bands), on the ratios' figures; null when missing. */
	key_figures: Record<"revenue" | "ebitda" | "net_income" | "total_assets" | "total_liabilities" | "total_equity" | "cash_and_equivalents" | "debt" | "working_capital", Value>;
	/** Null for a quarterly statement without its trailing twelve months (a warning says which quarters are missing). */
	scores: { altman: Altman | null; piotroski: Piotroski | null; beneish: Beneish | null; dupont: DuPont & { basis: string } };
	trends: Trends;
	benchmark: Benchmark | null;
	/** Market figures at the period end (close, market capitalisation, volatility, Merton distance to default); null without prices. */
	market: MarketAtPeriod | null;
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
	/** Present when a reference set's filers are among `companies`. */
	reference_set?: ReferenceSet;
}

export function peerStatsOf(industry: string, peers: Array<{ company_id: string; ratios: RatioGroups }>, referenceSet?: ReferenceSet): PeerStats {
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
	return { industry, companies, sorted, ...(referenceSet ? { reference_set: referenceSet } : {}) };
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
	return {
		industry: stats.industry,
		peer_count: peerCount,
		basis: "peers",
		min_peers: MIN_PEERS,
		ratios: out,
		...(stats.reference_set ? { reference_set: stats.reference_set } : {}),
	};
}

/**
 * The benchmark as a reader may take it: with enough peers, theirs; with fewer, against the published reference
 * medians when the industry has them (no percentile: there is no distribution to place the company in), else
 * none. Adds the reference medians beside the peers' either way.
 */
export function withReference(benchmark: Benchmark, published: { source: string; as_of: string; ratios: Record<string, number> } | undefined): Benchmark {
	const out: Benchmark = { ...benchmark, ratios: { ...benchmark.ratios } };
	if (published) {
		out.reference = { source: published.source, as_of: published.as_of };
		for (const [path, median] of Object.entries(published.ratios)) if (out.ratios[path]) out.ratios[path] = { ...out.ratios[path], reference_median: median };
	}
	if (benchmark.peer_count >= MIN_PEERS) return out;
	out.basis = published ? "reference" : "none";
	for (const [path, entry] of Object.entries(out.ratios)) out.ratios[path] = { ...entry, median: entry.reference_median ?? null, percentile: null };
	return out;
}

export interface AnalysisInput {
	company_id: string;
	industry: string;
	company_name?: string | null;
	ticker?: string | null;
	/** The company's statements, annual and quarterly, in any order. */
	statements: StatementData[];
	/** The period to analyse (its annual statement, else its quarterly one); default: the latest annual, else the latest. */
	period_end?: string;
	/** The industry's peer group, for the benchmark; omitted: no benchmark. */
	peers?: PeerStats;
	/** Warnings stored with the analysed statement. */
	statement_warnings?: string[];
	/** The company's daily prices, oldest first: the close on or before a period end is its share price where a statement has none. */
	prices?: PriceRow[];
}

const byPeriodEnd = (a: StatementData, b: StatementData) => (a.period_end < b.period_end ? -1 : a.period_end > b.period_end ? 1 : 0);
/** Days of a lone quarter, for days-based ratios on its own figures. */
const QUARTER_DAYS = 365 / 4;

/** The statement an analysis is of: `period_end`'s annual statement, else its quarterly one; default the latest annual, else the latest. */
export function analysedStatement<T extends StatementData>(statements: T[], periodEnd?: string): T | undefined {
	const sorted = [...statements].sort(byPeriodEnd);
	const annual = sorted.filter(s => s.statement_type === "annual");
	if (periodEnd) return annual.find(s => s.period_end === periodEnd) ?? sorted.find(s => s.period_end === periodEnd);
	return annual[annual.length - 1] ?? sorted[sorted.length - 1];
}

function keyFiguresOf(f: Figures): Analysis["key_figures"] {
	const v = (x: Value | undefined) => x ?? null;
	return {
		revenue: v(f.revenue),
		// EBITDA = EBIT + depreciation and amortization
		ebitda: f.ebit != null && f.depreciation_and_amortization != null ? f.ebit + f.depreciation_and_amortization : null,
		net_income: v(f.net_income),
		total_assets: v(f.total_assets),
		total_liabilities: v(f.total_liabilities),
		total_equity: v(f.total_equity),
		cash_and_equivalents: v(f.cash_and_equivalents),
		debt: f.short_term_debt == null && f.long_term_debt == null ? null : (f.short_term_debt ?? 0) + (f.long_term_debt ?? 0),
		working_capital: f.total_current_assets != null && f.total_current_liabilities != null ? f.total_current_assets - f.total_current_liabilities : null,
	};
}

/** The full analysis; null when there is no statement to analyse. */
export function analyze(input: AnalysisInput): Analysis | null {
	const prices = input.prices ?? [];
	const statements = withClosePrices(input.statements, prices);
	const statement = analysedStatement(statements, input.period_end);
	if (!statement) return null;
	const all = [...statements].sort(byPeriodEnd);
	const isAnnual = statement.statement_type === "annual";
	const warnings = [...(input.statement_warnings ?? [])];

	// the figures the scores are computed on: the annual statement, or the quarter's trailing twelve months
	let scored: AnalysedPeriod | null = null;
	if (isAnnual) scored = { basis: "annual", period_end: statement.period_end, statement };
	else {
		const ttm = trailingTwelveMonths(all, statement);
		if (ttm.period) scored = ttm.period;
		else
			warnings.push(
				`scores need the trailing twelve months of a quarterly statement: the quarters ending about ${ttm.missing.join(", ")} are missing, so Altman, Piotroski and Beneish are null`,
			);
	}
	const own: Figures = { ...figuresOf(statement), period_days: isAnnual ? 365 : QUARTER_DAYS };
	const twelveMonths: Figures | null = scored ? { ...figuresOf(scored.statement), period_days: 365 } : null;
	const ownBasis = isAnnual ? "annual" : "quarterly";

	const p1 = scored ? periodBefore(all, scored, 12) : undefined;
	const p2 = scored ? periodBefore(all, scored, 24) : undefined;
	const f1 = p1 ? figuresOf(p1.statement) : null;
	const f2 = p2 ? figuresOf(p2.statement) : null;
	if (scored && !p1) warnings.push(`no statement twelve months before ${scored.period_end}: Piotroski's comparing signals and Beneish cannot be computed`);
	else if (scored && !p2) warnings.push(`no statement twenty-four months before ${scored.period_end}: Piotroski's F_DELTA_ROA and F_DELTA_TURN need it`);
	if (own.market_cap == null && input.industry === "manufacturing") warnings.push("no market data: Altman's primary score is z′ (book equity) instead of z");

	const details: RatioExplanations = {};
	// a quarter's flow/balance ratios on its trailing twelve months when they exist; everything else on its own figures
	const ratios = computeRatios(own, details, def =>
		def.kind === "flow_balance" && !isAnnual && twelveMonths ? { figures: twelveMonths, basis: "ttm" } : { figures: own, basis: ownBasis },
	);

	// the annual history up to the analysed period, for trends
	const history = all.filter(s => s.statement_type === "annual" && s.period_end <= statement.period_end).map(s => ({ period_end: s.period_end, figures: figuresOf(s) }));
	const published = industryModule(input.industry)?.benchmark_medians;
	const benchmark = input.peers ? withReference(benchmarkOf(ratios, input.peers, input.company_id), published) : null;
	if (benchmark && benchmark.basis !== "peers") {
		const peers = `${benchmark.peer_count === 0 ? "no other company" : `only ${benchmark.peer_count} other ${benchmark.peer_count === 1 ? "company" : "companies"}`} of the ${benchmark.industry} industry ${benchmark.peer_count === 1 ? "has" : "have"} an annual statement (a peer median needs ${MIN_PEERS})`;
		warnings.push(
			benchmark.basis === "reference"
				? `${peers}: benchmarked against the reference medians of ${benchmark.reference!.source} (as of ${benchmark.reference!.as_of})`
				: `${peers}: there is no benchmark`,
		);
	}

	return {
		company_id: input.company_id,
		company: { id: input.company_id, name: input.company_name ?? null, ticker: input.ticker ?? null, industry: input.industry },
		period_end: statement.period_end,
		statement_type: statement.statement_type,
		currency: statement.currency,
		period: {
			period_end: statement.period_end,
			statement_type: statement.statement_type,
			basis: ownBasis,
			scores_basis: scored ? (scored.basis === "ttm" ? "ttm" : "annual") : null,
			...(scored?.quarters ? { ttm_quarters: scored.quarters } : {}),
			compared_with: { t_minus_1: p1?.period_end ?? null, t_minus_2: p2?.period_end ?? null },
		},
		ratios,
		ratio_details: details,
		key_figures: keyFiguresOf(own),
		scores: {
			altman: twelveMonths ? altman(twelveMonths, input.industry) : null,
			piotroski: twelveMonths ? piotroski(twelveMonths, f1, f2) : null,
			beneish: twelveMonths ? beneish(twelveMonths, f1) : null,
			dupont: { ...dupont(twelveMonths ?? own), basis: twelveMonths ? (isAnnual ? "annual" : "ttm") : "quarterly" },
		},
		trends: trendsOf(history),
		benchmark,
		market: prices.length ? marketAt(statement, prices) : null,
		warnings,
	};
}

/** What an overview shows of an analysis: the period, the three scores with their scale, four headline ratios, the latest revenue growth. */
export interface AnalysisHighlights {
	period_end: string;
	statement_type: string;
	currency: string;
	altman: { variant: AltmanVariant; z: Value; zone: Zone | null } | null;
	piotroski: { score: number | null; of: number } | null;
	beneish: { m_score: Value; likely_manipulator: boolean | null } | null;
	ratios: { current_ratio: Value; debt_to_equity: Value; net_margin: Value; roe: Value };
	revenue_growth: PeriodValue | null;
	warnings: number;
}

export function analysisHighlights(a: Analysis): AnalysisHighlights {
	const { altman: z, piotroski: f, beneish: m } = a.scores;
	const growth = a.trends.growth.revenue ?? [];
	return {
		period_end: a.period_end,
		statement_type: a.statement_type,
		currency: a.currency,
		altman: z ? { variant: z.primary, z: z[z.primary], zone: z.zone } : null,
		piotroski: f ? { score: f.score, of: f.signals_available } : null,
		beneish: m ? { m_score: m.m_score, likely_manipulator: m.likely_manipulator } : null,
		ratios: {
			current_ratio: a.ratios.liquidity?.current_ratio ?? null,
			debt_to_equity: a.ratios.leverage?.debt_to_equity ?? null,
			net_margin: a.ratios.profitability?.net_margin ?? null,
			roe: a.ratios.profitability?.roe ?? null,
		},
		revenue_growth: growth.length ? growth[growth.length - 1] : null,
		warnings: a.warnings.length,
	};
}
