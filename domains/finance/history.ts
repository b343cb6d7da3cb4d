/**
 * Line items and ratios of a company over every period, annual and quarterly, for a chart or a spreadsheet in
 * one call. The ratios are the analysis's own (analysis.ts: a quarter's flow/balance ratios on its trailing
 * twelve months; formulas in docs/formulas.md).
 */
import { BALANCE_SHEET_ITEMS, CASH_FLOW_ITEMS, INCOME_STATEMENT_ITEMS, MARKET_ITEMS, type StatementData } from "../../models/statement";
import { analyze } from "./analysis";
import { figuresOf, RATIO_GROUPS } from "./ratios";
import { withClosePrices } from "../market/market";
import type { PriceRow } from "../market/prices";

export const LINE_ITEMS: readonly string[] = [...BALANCE_SHEET_ITEMS, ...INCOME_STATEMENT_ITEMS, ...CASH_FLOW_ITEMS, ...MARKET_ITEMS];
export const RATIO_PATHS: readonly string[] = Object.entries(RATIO_GROUPS).flatMap(([group, defs]) => defs.map(d => `${group}.${d.name}`));

export interface HistoryPoint {
	period_end: string;
	statement_type: string;
	fiscal_period: string;
	value: number | null;
}

const chronological = (a: StatementData, b: StatementData) =>
	a.period_end < b.period_end ? -1 : a.period_end > b.period_end ? 1 : a.statement_type === b.statement_type ? 0 : a.statement_type === "quarterly" ? -1 : 1;

const pointOf = (s: StatementData, value: number | null | undefined): HistoryPoint => ({
	period_end: s.period_end,
	statement_type: s.statement_type,
	fiscal_period: s.fiscal_period,
	value: value ?? null,
});

/** Each line item over the statements, oldest first (a quarter before the year that ends with it). */
export function lineItemHistory(statements: StatementData[], items: readonly string[]): Record<string, HistoryPoint[]> {
	const sorted = [...statements].sort(chronological);
	const figures = sorted.map(s => ({ s, f: figuresOf(s) as Record<string, number | null | undefined> }));
	return Object.fromEntries(items.map(item => [item, figures.map(({ s, f }) => pointOf(s, f[item]))]));
}

/** Each ratio (`group.name`) over the statements, as the analysis of each period computes it (with the close on or before each period end as its share price, from `prices`). */
export function ratioHistory(companyId: string, industry: string, statements: StatementData[], paths: readonly string[], prices: PriceRow[] = []): Record<string, HistoryPoint[]> {
	const sorted = [...withClosePrices(statements, prices)].sort(chronological);
	const out: Record<string, HistoryPoint[]> = Object.fromEntries(paths.map(p => [p, []]));
	for (const s of sorted) {
		// a quarter ending with its fiscal year is analysed as the quarter, not as the year
		const pool = s.statement_type === "quarterly" ? sorted.filter(x => !(x.statement_type === "annual" && x.period_end === s.period_end)) : sorted;
		const ratios = analyze({ company_id: companyId, industry, statements: pool, period_end: s.period_end })?.ratios ?? {};
		for (const path of paths) {
			const [group, name] = path.split(".");
			out[path].push(pointOf(s, ratios[group]?.[name]));
		}
	}
	return out;
}
