/**
 * What an SEC import does to each period, decided without touching a store: the service looks up what is
 * there, asks here, and persists the answer (docs/api.md, SEC companyfacts import).
 * Rules: imported figures win; line items entered by hand that the filing lacks are kept; a period whose
 * figures would not change is left alone; warnings are recomputed on the merged statement.
 */
import type { Statement, StatementData } from "../../models/statement";
import { identityWarnings } from "./checks";
import type { ImportedPeriod } from "./sec";

/** One period of the document, validated: the statement to write and its warnings. */
export interface PreparedPeriod {
	period: ImportedPeriod;
	data: StatementData & { warnings: string[] };
}

export type ImportStep =
	| { action: "create"; data: PreparedPeriod["data"] }
	| { action: "update"; existing: Statement; set: Pick<Statement, "balance_sheet" | "income_statement" | "cash_flow" | "warnings"> & { source: StatementData["source"] } }
	| { action: "unchanged"; existing: Statement };

const SECTIONS = ["balance_sheet", "income_statement", "cash_flow"] as const;

export function planPeriod(prepared: PreparedPeriod, existing: Statement | null): ImportStep {
	if (!existing) return { action: "create", data: prepared.data };
	const merged = {
		balance_sheet: { ...existing.balance_sheet, ...prepared.data.balance_sheet },
		income_statement: { ...existing.income_statement, ...prepared.data.income_statement },
		cash_flow: { ...existing.cash_flow, ...prepared.data.cash_flow },
	};
	if (SECTIONS.every(section => sameFigures(merged[section], existing[section]))) return { action: "unchanged", existing };
	return { action: "update", existing, set: { ...merged, source: prepared.data.source, warnings: identityWarnings({ ...existing, ...merged }) } };
}

function sameFigures(a: object, b: object | undefined): boolean {
	const keys = Object.keys(a);
	if (keys.length !== Object.keys(b ?? {}).length) return false;
	return keys.every(k => (a as Record<string, unknown>)[k] === (b as Record<string, unknown> | undefined)?.[k]);
}

/** The update that puts a statement back as it was before an import changed it (the import sets `source`). */
export function restoreOf(before: Statement): { $set: Omit<Statement, "id">; $unset?: { source: "" } } {
	const { id: _id, ...restored } = before;
	return "source" in restored ? { $set: restored } : { $set: restored, $unset: { source: "" } };
}
