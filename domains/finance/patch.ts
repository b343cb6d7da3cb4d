/** PATCH of a statement (docs/api.md): the fields sent change; within a section item by item, `null` removing one. */
import type { StatementData } from "../../models/statement";

export type StatementPatch = Partial<Omit<StatementData, "balance_sheet" | "income_statement" | "cash_flow" | "market">> & {
	balance_sheet?: Record<string, number | null>;
	income_statement?: Record<string, number | null>;
	cash_flow?: Record<string, number | null>;
	market?: Record<string, number | null> | null;
};

const SECTIONS = ["balance_sheet", "income_statement", "cash_flow", "market"] as const;

/** The statement with the patch applied: sections merged item by item, `null` items (or a `null` market) removed. */
export function applyStatementPatch(current: StatementData, patch: StatementPatch): StatementData {
	const next: Record<string, unknown> = { ...current };
	for (const [key, value] of Object.entries(patch)) {
		if ((SECTIONS as readonly string[]).includes(key) || value === undefined) continue;
		next[key] = value;
	}
	// fiscal_year follows period_end (it is its calendar year) unless the patch sets both
	if (patch.period_end !== undefined && patch.fiscal_year === undefined) delete next.fiscal_year;
	for (const section of SECTIONS) {
		const change = patch[section];
		if (change === undefined) continue;
		if (change === null) {
			delete next[section];
			continue;
		}
		const merged: Record<string, number> = { ...((current[section] as Record<string, number> | undefined) ?? {}) };
		for (const [item, value] of Object.entries(change)) {
			if (value === null) delete merged[item];
			else merged[item] = value;
		}
		next[section] = merged;
	}
	return next as unknown as StatementData;
}
