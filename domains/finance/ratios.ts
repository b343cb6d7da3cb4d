/**
 * Financial ratios of docs/formulas.md, each with the inputs it used so a user can check it by hand.
 * Definitions: CFA Institute, "Financial Analysis Techniques" (CFA Program Curriculum, Level I), as fixed by docs/formulas.md.
 */
import { displayOf } from "../presentation/display";
import type { StatementData } from "../../models/statement";
import { add, div, sub, type Value } from "./math";

/** One statement's figures in one flat record, with the defaults docs/formulas.md allows. */
export interface Figures {
	[item: string]: Value;
}

export function figuresOf(s: StatementData): Figures {
	const f: Figures = { ...s.balance_sheet, ...s.income_statement, ...s.cash_flow, ...s.market } as Figures;
	// gross_profit defaults to revenue − cost_of_revenue
	if (f.gross_profit == null) f.gross_profit = sub(f.revenue, f.cost_of_revenue);
	// EBIT = operating_income, else income_before_tax + interest_expense
	f.ebit = f.operating_income ?? add(f.income_before_tax, f.interest_expense);
	// market_cap, else share_price × shares_outstanding
	if (f.market_cap == null && f.share_price != null && f.shares_outstanding != null) f.market_cap = f.share_price * f.shares_outstanding;
	return f;
}

/** A missing short_term_investments counts as 0 inside a sum whose other terms exist (docs/formulas.md). */
const sti = (f: Figures): number => f.short_term_investments ?? 0;

/** What a ratio's number is: a fraction (0.12 = 12 %), a multiple, a number of days, or an amount in the statement's currency. */
export type RatioUnit = "fraction" | "times" | "days" | "currency";

/**
 * What a ratio divides: balances only, flows only (the same period's), or a flow by a balance (ROA, ROE,
 * turnovers), which for a quarter is computed on trailing twelve months when they exist.
 */
export type RatioKind = "balance" | "flow" | "flow_balance";

export interface Explanation {
	formula: string;
	unit: RatioUnit;
	/** The value as a person reads it, rounded to what its unit can tell ("12.3 %", "1.85×"); null without a value. */
	display: string | null;
	/** annual, quarterly or ttm: the figures the ratio was computed on. */
	basis?: string;
	inputs: Record<string, Value>;
	/** Why the value is null: the inputs that are missing, or a zero denominator. */
	null_reason?: string;
}

interface RatioDef {
	name: string;
	formula: string;
	unit: RatioUnit;
	kind: RatioKind;
	inputs: string[];
	/** Inputs that count as 0 when missing (never the reason for a null). */
	optional?: string[];
	compute(f: Figures): Value;
}

export const RATIO_GROUPS: Record<string, RatioDef[]> = {
	liquidity: [
		{
			name: "current_ratio",
			unit: "times",
			kind: "balance",
			formula: "total_current_assets / total_current_liabilities",
			inputs: ["total_current_assets", "total_current_liabilities"],
			compute: f => div(f.total_current_assets, f.total_current_liabilities),
		},
		{
			name: "quick_ratio",
			unit: "times",
			kind: "balance",
			optional: ["short_term_investments"],
			formula: "(cash_and_equivalents + short_term_investments + accounts_receivable) / total_current_liabilities (a missing short_term_investments counts as 0)",
			inputs: ["cash_and_equivalents", "short_term_investments", "accounts_receivable", "total_current_liabilities"],
			compute: f => div(add(f.cash_and_equivalents, sti(f), f.accounts_receivable), f.total_current_liabilities),
		},
		{
			name: "cash_ratio",
			unit: "times",
			kind: "balance",
			optional: ["short_term_investments"],
			formula: "(cash_and_equivalents + short_term_investments) / total_current_liabilities (a missing short_term_investments counts as 0)",
			inputs: ["cash_and_equivalents", "short_term_investments", "total_current_liabilities"],
			compute: f => div(add(f.cash_and_equivalents, sti(f)), f.total_current_liabilities),
		},
		{
			name: "working_capital",
			unit: "currency",
			kind: "balance",
			formula: "total_current_assets − total_current_liabilities",
			inputs: ["total_current_assets", "total_current_liabilities"],
			compute: f => sub(f.total_current_assets, f.total_current_liabilities),
		},
	],
	profitability: [
		{
			name: "gross_margin",
			unit: "fraction",
			kind: "flow",
			formula: "gross_profit / revenue (gross_profit defaults to revenue − cost_of_revenue)",
			inputs: ["gross_profit", "revenue"],
			compute: f => div(f.gross_profit, f.revenue),
		},
		{
			name: "operating_margin",
			unit: "fraction",
			kind: "flow",
			formula: "operating_income / revenue",
			inputs: ["operating_income", "revenue"],
			compute: f => div(f.operating_income, f.revenue),
		},
		{ name: "net_margin", unit: "fraction", kind: "flow", formula: "net_income / revenue", inputs: ["net_income", "revenue"], compute: f => div(f.net_income, f.revenue) },
		{
			name: "roa",
			unit: "fraction",
			kind: "flow_balance",
			formula: "net_income / total_assets",
			inputs: ["net_income", "total_assets"],
			compute: f => div(f.net_income, f.total_assets),
		},
		{
			name: "roe",
			unit: "fraction",
			kind: "flow_balance",
			formula: "net_income / total_equity",
			inputs: ["net_income", "total_equity"],
			compute: f => div(f.net_income, f.total_equity),
		},
	],
	leverage: [
		{
			name: "debt_ratio",
			unit: "fraction",
			kind: "balance",
			formula: "total_liabilities / total_assets",
			inputs: ["total_liabilities", "total_assets"],
			compute: f => div(f.total_liabilities, f.total_assets),
		},
		{
			name: "debt_to_equity",
			unit: "times",
			kind: "balance",
			formula: "(short_term_debt + long_term_debt) / total_equity",
			inputs: ["short_term_debt", "long_term_debt", "total_equity"],
			compute: f => div(add(f.short_term_debt, f.long_term_debt), f.total_equity),
		},
		{
			name: "equity_multiplier",
			unit: "times",
			kind: "balance",
			formula: "total_assets / total_equity",
			inputs: ["total_assets", "total_equity"],
			compute: f => div(f.total_assets, f.total_equity),
		},
		{
			name: "interest_coverage",
			unit: "times",
			kind: "flow",
			formula: "operating_income / interest_expense",
			inputs: ["operating_income", "interest_expense"],
			compute: f => div(f.operating_income, f.interest_expense),
		},
	],
	efficiency: [
		{
			name: "asset_turnover",
			unit: "times",
			kind: "flow_balance",
			formula: "revenue / total_assets",
			inputs: ["revenue", "total_assets"],
			compute: f => div(f.revenue, f.total_assets),
		},
		{
			name: "inventory_turnover",
			unit: "times",
			kind: "flow_balance",
			formula: "cost_of_revenue / inventory",
			inputs: ["cost_of_revenue", "inventory"],
			compute: f => div(f.cost_of_revenue, f.inventory),
		},
		{
			name: "receivables_turnover",
			unit: "times",
			kind: "flow_balance",
			formula: "revenue / accounts_receivable",
			inputs: ["revenue", "accounts_receivable"],
			compute: f => div(f.revenue, f.accounts_receivable),
		},
		{
			name: "days_sales_outstanding",
			unit: "days",
			kind: "flow_balance",
			formula: "days of the period (365; a lone quarter: 91.25) / receivables_turnover",
			inputs: ["revenue", "accounts_receivable"],
			compute: f => div(f.period_days ?? 365, div(f.revenue, f.accounts_receivable)),
		},
	],
	cash_flow: [
		{
			name: "free_cash_flow",
			unit: "currency",
			kind: "flow",
			formula: "operating_cash_flow − capital_expenditure",
			inputs: ["operating_cash_flow", "capital_expenditure"],
			compute: f => sub(f.operating_cash_flow, f.capital_expenditure),
		},
		{
			name: "fcf_margin",
			unit: "fraction",
			kind: "flow",
			formula: "free_cash_flow / revenue",
			inputs: ["operating_cash_flow", "capital_expenditure", "revenue"],
			compute: f => div(sub(f.operating_cash_flow, f.capital_expenditure), f.revenue),
		},
	],
	// on the market value of equity: market_cap, or share_price × shares_outstanding (the close on or before the
	// period end where the company has prices; docs/formulas.md#market-figures). Damodaran, Investment Valuation,
	// 3rd ed., ch. 18–20 (earnings, book value and EBITDA multiples).
	valuation: [
		{
			name: "price_to_earnings",
			unit: "times",
			kind: "flow_balance",
			formula: "market_cap / net_income",
			inputs: ["market_cap", "net_income"],
			compute: f => div(f.market_cap, f.net_income),
		},
		{
			name: "price_to_book",
			unit: "times",
			kind: "balance",
			formula: "market_cap / total_equity",
			inputs: ["market_cap", "total_equity"],
			compute: f => div(f.market_cap, f.total_equity),
		},
		{
			name: "ev_to_ebitda",
			unit: "times",
			kind: "flow_balance",
			formula: "(market_cap + short_term_debt + long_term_debt − cash_and_equivalents) / (ebit + depreciation_and_amortization)",
			inputs: ["market_cap", "short_term_debt", "long_term_debt", "cash_and_equivalents", "ebit", "depreciation_and_amortization"],
			optional: ["short_term_debt", "long_term_debt", "cash_and_equivalents"],
			compute: f =>
				f.market_cap == null
					? null
					: div(f.market_cap + (f.short_term_debt ?? 0) + (f.long_term_debt ?? 0) - (f.cash_and_equivalents ?? 0), add(f.ebit, f.depreciation_and_amortization)),
		},
		{
			name: "dividend_yield",
			unit: "fraction",
			kind: "flow_balance",
			formula: "dividends_paid / market_cap",
			inputs: ["dividends_paid", "market_cap"],
			compute: f => div(f.dividends_paid, f.market_cap),
		},
	],
};

const RATIO_BY_NAME = new Map<string, RatioDef>(Object.values(RATIO_GROUPS).flatMap(defs => defs.map(d => [d.name, d] as [string, RatioDef])));

/** One ratio of docs/formulas.md by its name, for the scores and trends that are built on it. */
export function ratio(name: string, f: Figures): Value {
	const def = RATIO_BY_NAME.get(name);
	if (!def) throw new Error(`unknown ratio ${name}`);
	return def.compute(f);
}

export type RatioGroups = Record<string, Record<string, Value>>;
export type RatioExplanations = Record<string, Record<string, Explanation>>;

function inputsOf(f: Figures, names: string[]): Record<string, Value> {
	const out: Record<string, Value> = {};
	for (const n of names) out[n] = f[n] ?? null;
	return out;
}

/** Why a computation gave null: the inputs that are missing, else a zero denominator. */
export function nullReason(f: Figures, inputs: string[], optional: string[] = []): string {
	const missing = inputs.filter(n => f[n] == null && !optional.includes(n));
	return missing.length ? `missing ${missing.join(", ")}` : "a denominator is zero";
}

/** Ratio definitions by name, for callers that pick figures per ratio (a quarter's flow/balance ratios on TTM). */
export const RATIO_DEFS: ReadonlyMap<string, RatioDef> = RATIO_BY_NAME;

/**
 * Every ratio, by group; with `explain`, also the formula, unit, inputs and the reason for a null. `figuresFor`
 * picks the figures (and names their basis) per ratio; by default every ratio is on `f`.
 */
export function computeRatios(f: Figures, explain?: RatioExplanations, figuresFor?: (def: RatioDef) => { figures: Figures; basis: string }): RatioGroups {
	const out: RatioGroups = {};
	for (const group in RATIO_GROUPS) {
		const values: Record<string, Value> = {};
		const why: Record<string, Explanation> | undefined = explain ? (explain[group] = {}) : undefined;
		for (const def of RATIO_GROUPS[group]) {
			const picked = figuresFor?.(def);
			const figures = picked?.figures ?? f;
			const value = def.compute(figures);
			values[def.name] = value;
			if (why) {
				why[def.name] = {
					formula: def.formula,
					unit: def.unit,
					display: displayOf(value, def.unit),
					...(picked ? { basis: picked.basis } : {}),
					inputs: inputsOf(figures, def.inputs),
				};
				if (value == null) why[def.name].null_reason = nullReason(figures, def.inputs, def.optional);
			}
		}
		out[group] = values;
	}
	return out;
}
