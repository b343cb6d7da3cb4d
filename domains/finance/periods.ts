/**
 * Which periods an analysis compares, by date (never by position in a list): the statement twelve months
 * earlier, and for a quarterly statement its trailing twelve months (TTM: the four quarters ending at its
 * period_end, flows summed, balances at the end). Scores calibrated on annual figures (Altman, Piotroski,
 * Beneish) are computed on annual or TTM figures only (docs/formulas.md).
 */
import type { StatementData } from "../../models/statement";

/** How far a period end may fall from the date it is expected at (month ends, 52/53-week years). */
const TOLERANCE_DAYS = 15;
const DAY_MS = 24 * 3600 * 1000;

/** `date` moved by `months` (negative: back), kept at the month's end when it was at one (2024-02-29 − 12 → 2023-02-28). */
export function shiftMonths(date: string, months: number): string {
	const [y, m, d] = date.split("-").map(Number);
	const monthIndex = y * 12 + (m - 1) + months;
	const year = Math.floor(monthIndex / 12);
	const month = monthIndex - year * 12;
	const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
	const wasMonthEnd = d === new Date(Date.UTC(y, m, 0)).getUTCDate();
	const day = wasMonthEnd ? lastDay : Math.min(d, lastDay);
	return `${year}-${String(month + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

const daysBetween = (a: string, b: string) => Math.abs(Date.parse(a) - Date.parse(b)) / DAY_MS;

/** The statement of this type whose period ends nearest `date`, within the tolerance. */
export function statementNear<T extends StatementData>(statements: T[], type: StatementData["statement_type"], date: string): T | undefined {
	let best: T | undefined;
	for (const s of statements) {
		if (s.statement_type !== type) continue;
		const gap = daysBetween(s.period_end, date);
		if (gap <= TOLERANCE_DAYS && (!best || gap < daysBetween(best.period_end, date))) best = s;
	}
	return best;
}

export type PeriodBasis = "annual" | "quarterly" | "ttm";

/** Figures of a period as analysed: one statement, or the four quarters of a TTM merged into one. */
export interface AnalysedPeriod {
	basis: PeriodBasis;
	period_end: string;
	statement: StatementData;
	/** For a TTM: the period ends of its four quarters, oldest first. */
	quarters?: string[];
}

export type TtmResult = { period: AnalysedPeriod; missing?: undefined } | { period?: undefined; missing: string[] };

/**
 * The trailing twelve months ending with `quarter`: the quarterly statements ending about 3, 6 and 9 months
 * before it must exist; otherwise the expected period ends that are missing.
 */
export function trailingTwelveMonths(statements: StatementData[], quarter: StatementData): TtmResult {
	const quarters: StatementData[] = [quarter];
	const missing: string[] = [];
	for (const back of [3, 6, 9]) {
		const expected = shiftMonths(quarter.period_end, -back);
		const found = statementNear(statements, "quarterly", expected);
		if (found) quarters.push(found);
		else missing.push(expected);
	}
	if (missing.length) return { missing: missing.reverse() };
	quarters.reverse();
	return { period: { basis: "ttm", period_end: quarter.period_end, statement: sumOfQuarters(quarters), quarters: quarters.map(q => q.period_end) } };
}

/** Flows (income statement, cash flow) summed over the quarters where every quarter has the item; balances and market data of the last. */
function sumOfQuarters(quarters: StatementData[]): StatementData {
	const last = quarters[quarters.length - 1];
	const sum = (section: "income_statement" | "cash_flow") => {
		const out: Record<string, number> = {};
		for (const item of Object.keys(last[section])) {
			const values = quarters.map(q => (q[section] as Record<string, number | undefined>)[item]);
			if (values.every(v => typeof v === "number")) out[item] = (values as number[]).reduce((a, b) => a + b, 0);
		}
		return out;
	};
	return { ...last, income_statement: sum("income_statement"), cash_flow: sum("cash_flow") };
}

/**
 * The period to compare with, twelve months before `period`: for annual figures the annual statement ending
 * then; for a TTM the TTM ending then, else the annual statement ending then. Undefined when neither exists.
 */
export function periodBefore(statements: StatementData[], period: AnalysedPeriod, months = 12): AnalysedPeriod | undefined {
	const date = shiftMonths(period.period_end, -months);
	if (period.basis === "ttm") {
		const quarter = statementNear(statements, "quarterly", date);
		const ttm = quarter ? trailingTwelveMonths(statements, quarter) : undefined;
		if (ttm?.period) return ttm.period;
	}
	const annual = statementNear(statements, "annual", date);
	return annual ? { basis: "annual", period_end: annual.period_end, statement: annual } : undefined;
}
