/**
 * A company's market figures at each period end: the close on or before it (a weekend or holiday at most ten
 * days back), market capitalisation = that close × the statement's shares outstanding, the past year's
 * volatility, drawdown and return, and the Merton distance to default (risk.ts). The statements take the
 * close as their share price where they have no market data of their own, so the analysis's market-based
 * scores (Altman's original z for manufacturers) follow.
 */
import type { StatementData } from "../../models/statement";
import { closeOnOrBefore, type PriceRow } from "./prices";
import { annualisedVolatility, maxDrawdown, mertonDistanceToDefault, type DistanceToDefault } from "./risk";

export interface MarketAtPeriod extends DistanceToDefault {
	period_end: string;
	statement_type: string;
	price_date: string | null;
	close: number | null;
	shares_outstanding: number | null;
	market_cap: number | null;
	/** Over the year to the period end. */
	volatility: number | null;
	max_drawdown: number | null;
	past_year_return: number | null;
}

const YEAR_MS = 365 * 86_400_000;

/** The day a year before `date`: where the year of prices a period end's volatility and return need begins. */
export const yearBefore = (date: string): string => new Date(Date.parse(date) - YEAR_MS).toISOString().slice(0, 10);

export function marketAt(statement: StatementData, rows: PriceRow[]): MarketAtPeriod {
	const end = statement.period_end;
	const at = closeOnOrBefore(rows, end);
	const from = yearBefore(end);
	// the year's closes, adjusted where the source adjusts them (returns across a dividend or split)
	const year = rows.filter(r => r.date > from && r.date <= end).map(r => r.adj_close ?? r.close);
	const shares = statement.balance_sheet?.shares_outstanding ?? null;
	const marketCap = statement.market?.market_cap ?? (at && shares != null ? at.close * shares : null);
	const volatility = annualisedVolatility(year);
	const pastYearReturn = year.length > 1 && year[0] > 0 ? year[year.length - 1] / year[0] - 1 : null;
	const merton = mertonDistanceToDefault({
		equity: marketCap,
		equityVolatility: volatility,
		shortTermDebt: statement.balance_sheet?.short_term_debt,
		longTermDebt: statement.balance_sheet?.long_term_debt,
		pastYearReturn,
	});
	// the market value is missing because the prices do not reach the period end: say so, with their span
	if (marketCap == null && !at && rows.length)
		merton.null_reason = `no close on or up to ten days before ${end} (the prices run from ${rows[0].date} to ${rows[rows.length - 1].date})`;
	return {
		period_end: end,
		statement_type: statement.statement_type,
		price_date: at?.date ?? null,
		close: at?.close ?? null,
		shares_outstanding: shares,
		market_cap: marketCap,
		volatility,
		max_drawdown: maxDrawdown(year),
		past_year_return: pastYearReturn,
		...merton,
	};
}

/** The statements, each without market data of its own given the close on or before its end as its share price. */
export function withClosePrices<T extends StatementData>(statements: T[], rows: PriceRow[]): T[] {
	if (!rows.length) return statements;
	return statements.map(s => {
		if (s.market?.share_price != null || s.market?.market_cap != null) return s;
		const at = closeOnOrBefore(rows, s.period_end);
		return at ? { ...s, market: { ...s.market, share_price: at.close } } : s;
	});
}
