/**
 * Checks on a statement beyond its schema (docs/api.md): field problems that reject it, and accounting
 * identities that do not hold, which are stored and reported as warnings (real filings break them,
 * e.g. through minority interests).
 */
import type { StatementData } from "../../models/statement";
import { isIsoDate } from "../../models/common";

export interface FieldProblem {
	field: string;
	message: string;
	type: string;
	actual?: unknown;
}

export { isIsoDate };

/** Fills what follows from the rest (fiscal_year from period_end, fiscal_period FY for annual) and lists what contradicts it. */
export function normalizeStatement<T extends Partial<StatementData>>(input: T, defaultCurrency = "USD"): { statement: T & StatementData; problems: FieldProblem[] } {
	const problems: FieldProblem[] = [];
	const s = { ...input } as T & StatementData;
	if (!s.period_end || !isIsoDate(s.period_end)) {
		problems.push({ field: "period_end", message: "period_end must be a real calendar date YYYY-MM-DD", type: "date", actual: s.period_end });
	} else {
		const year = Number(s.period_end.slice(0, 4));
		if (s.fiscal_year == null) s.fiscal_year = year;
		else if (s.fiscal_year !== year)
			problems.push({ field: "fiscal_year", message: `fiscal_year is the calendar year of period_end (${year})`, type: "fiscalYear", actual: s.fiscal_year });
	}
	if (s.statement_type === "annual") {
		if (s.fiscal_period == null) s.fiscal_period = "FY";
		else if (s.fiscal_period !== "FY")
			problems.push({ field: "fiscal_period", message: "an annual statement's fiscal_period is FY", type: "fiscalPeriod", actual: s.fiscal_period });
	} else if (s.statement_type === "quarterly") {
		if (s.fiscal_period == null || s.fiscal_period === "FY")
			problems.push({ field: "fiscal_period", message: "a quarterly statement needs fiscal_period Q1-Q4", type: "fiscalPeriod", actual: s.fiscal_period });
	}
	s.currency ??= defaultCurrency;
	s.balance_sheet ??= {};
	s.income_statement ??= {};
	s.cash_flow ??= {};
	return { statement: s, problems };
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1);

/** Identities that should hold; each one that does not (beyond 1 %) becomes a warning. */
export function identityWarnings(s: StatementData): string[] {
	const warnings: string[] = [];
	const bs = s.balance_sheet;
	const is = s.income_statement;
	const items = [bs, is, s.cash_flow, s.market ?? {}].reduce((n, section) => n + Object.keys(section ?? {}).length, 0);
	if (items === 0) warnings.push("the statement has no line items: its analysis has no values, and as the latest period it is what the analysis shows by default");
	if (bs.total_assets != null && bs.total_liabilities != null && bs.total_equity != null) {
		const sum = bs.total_liabilities + bs.total_equity;
		if (relDiff(bs.total_assets, sum) > 0.01) {
			warnings.push(`total_assets (${bs.total_assets}) differs from total_liabilities + total_equity (${sum}) by more than 1 % (minority interests or mezzanine equity?)`);
		}
	}
	if (bs.total_current_assets != null && bs.total_assets != null && bs.total_current_assets > bs.total_assets * 1.01) {
		warnings.push(`total_current_assets (${bs.total_current_assets}) exceeds total_assets (${bs.total_assets})`);
	}
	if (bs.total_current_liabilities != null && bs.total_liabilities != null && bs.total_current_liabilities > bs.total_liabilities * 1.01) {
		warnings.push(`total_current_liabilities (${bs.total_current_liabilities}) exceeds total_liabilities (${bs.total_liabilities})`);
	}
	if (is.gross_profit != null && is.revenue != null && is.cost_of_revenue != null) {
		const derived = is.revenue - is.cost_of_revenue;
		if (relDiff(is.gross_profit, derived) > 0.01) warnings.push(`gross_profit (${is.gross_profit}) differs from revenue − cost_of_revenue (${derived}) by more than 1 %`);
	}
	return warnings;
}
