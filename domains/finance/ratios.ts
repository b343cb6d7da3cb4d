/**
 * Financial ratios of docs/formulas.md, each with the inputs it used so a user can check it by hand.
 * Definitions: CFA Institute, "Financial Analysis Techniques" (CFA Program Curriculum, Level I), as fixed by docs/formulas.md.
 */
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

export interface Explanation {
	formula: string;
	inputs: Record<string, Value>;
}

interface RatioDef {
	name: string;
	formula: string;
	inputs: string[];
	compute(f: Figures): Value;
}

export const RATIO_GROUPS: Record<string, RatioDef[]> = {
	liquidity: [
		{
			name: "current_ratio",
			formula: "total_current_assets / total_current_liabilities",
			inputs: ["total_current_assets", "total_current_liabilities"],
			compute: f => div(f.total_current_assets, f.total_current_liabilities),
		},
		{
			name: "quick_ratio",
			formula: "(cash_and_equivalents + short_term_investments + accounts_receivable) / total_current_liabilities (a missing short_term_investments counts as 0)",
			inputs: ["cash_and_equivalents", "short_term_investments", "accounts_receivable", "total_current_liabilities"],
			compute: f => div(add(f.cash_and_equivalents, sti(f), f.accounts_receivable), f.total_current_liabilities),
		},
		{
			name: "cash_ratio",
			formula: "(cash_and_equivalents + short_term_investments) / total_current_liabilities (a missing short_term_investments counts as 0)",
			inputs: ["cash_and_equivalents", "short_term_investments", "total_current_liabilities"],
			compute: f => div(add(f.cash_and_equivalents, sti(f)), f.total_current_liabilities),
		},
		{
			name: "working_capital",
			formula: "total_current_assets − total_current_liabilities",
			inputs: ["total_current_assets", "total_current_liabilities"],
			compute: f => sub(f.total_current_assets, f.total_current_liabilities),
		},
	],
	profitability: [
		{
			name: "gross_margin",
			formula: "gross_profit / revenue (gross_profit defaults to revenue − cost_of_revenue)",
			inputs: ["gross_profit", "revenue"],
			compute: f => div(f.gross_profit, f.revenue),
		},
		{ name: "operating_margin", formula: "operating_income / revenue", inputs: ["operating_income", "revenue"], compute: f => div(f.operating_income, f.revenue) },
		{ name: "net_margin", formula: "net_income / revenue", inputs: ["net_income", "revenue"], compute: f => div(f.net_income, f.revenue) },
		{ name: "roa", formula: "net_income / total_assets", inputs: ["net_income", "total_assets"], compute: f => div(f.net_income, f.total_assets) },
		{ name: "roe", formula: "net_income / total_equity", inputs: ["net_income", "total_equity"], compute: f => div(f.net_income, f.total_equity) },
	],
	leverage: [
		{ name: "debt_ratio", formula: "total_liabilities / total_assets", inputs: ["total_liabilities", "total_assets"], compute: f => div(f.total_liabilities, f.total_assets) },
		{
			name: "debt_to_equity",
			formula: "(short_term_debt + long_term_debt) / total_equity",
			inputs: ["short_term_debt", "long_term_debt", "total_equity"],
			compute: f => div(add(f.short_term_debt, f.long_term_debt), f.total_equity),
		},
		{ name: "equity_multiplier", formula: "total_assets / total_equity", inputs: ["total_assets", "total_equity"], compute: f => div(f.total_assets, f.total_equity) },
		{
			name: "interest_coverage",
			formula: "operating_income / interest_expense",
			inputs: ["operating_income", "interest_expense"],
			compute: f => div(f.operating_income, f.interest_expense),
		},
	],
	efficiency: [
		{ name: "asset_turnover", formula: "revenue / total_assets", inputs: ["revenue", "total_assets"], compute: f => div(f.revenue, f.total_assets) },
		{ name: "inventory_turnover", formula: "cost_of_revenue / inventory", inputs: ["cost_of_revenue", "inventory"], compute: f => div(f.cost_of_revenue, f.inventory) },
		{ name: "receivables_turnover", formula: "revenue / accounts_receivable", inputs: ["revenue", "accounts_receivable"], compute: f => div(f.revenue, f.accounts_receivable) },
		{
			name: "days_sales_outstanding",
			formula: "365 / receivables_turnover",
			inputs: ["revenue", "accounts_receivable"],
			compute: f => div(365, div(f.revenue, f.accounts_receivable)),
		},
	],
	cash_flow: [
		{
			name: "free_cash_flow",
			formula: "operating_cash_flow − capital_expenditure",
			inputs: ["operating_cash_flow", "capital_expenditure"],
			compute: f => sub(f.operating_cash_flow, f.capital_expenditure),
		},
		{
			name: "fcf_margin",
			formula: "free_cash_flow / revenue",
			inputs: ["operating_cash_flow", "capital_expenditure", "revenue"],
			compute: f => div(sub(f.operating_cash_flow, f.capital_expenditure), f.revenue),
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

/** Every ratio, by group; with `explain`, also the formula and inputs of each. */
export function computeRatios(f: Figures, explain?: RatioExplanations): RatioGroups {
	const out: RatioGroups = {};
	for (const group in RATIO_GROUPS) {
		const values: Record<string, Value> = {};
		const why: Record<string, Explanation> | undefined = explain ? (explain[group] = {}) : undefined;
		for (const def of RATIO_GROUPS[group]) {
			values[def.name] = def.compute(f);
			if (why) why[def.name] = { formula: def.formula, inputs: inputsOf(f, def.inputs) };
		}
		out[group] = values;
	}
	return out;
}
