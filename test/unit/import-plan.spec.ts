/** The SEC import's plan per period (domains/finance/import-plan.ts), without a store. */
import { planPeriod, restoreOf, type PreparedPeriod } from "../../domains/finance/import-plan";
import type { Statement } from "../../models/statement";

/** The 2021 annual statement with the given balance sheet, as the document has it and as a store has it. */
const annual2021 = (bs: Record<string, number>) => ({
	statement_type: "annual" as const,
	period_end: "2021-12-31",
	fiscal_year: 2021,
	fiscal_period: "FY",
	currency: "USD",
	balance_sheet: bs,
	income_statement: {},
	cash_flow: {},
	warnings: [],
});
const prepared = (bs: Record<string, number>): PreparedPeriod => ({
	period: { period_end: "2021-12-31", statement: {} as never, found: Object.keys(bs), missing: [], tags: {} },
	data: { ...annual2021(bs), source: { type: "sec_companyfacts", cik: "1" } },
});
const existing = (bs: Record<string, number>, extra: Partial<Statement> = {}): Statement =>
	({ id: "s1", company_id: "c1", created_at: "", updated_at: "", ...annual2021(bs), ...extra }) as Statement;

describe("SEC import plan", () => {
	it("creates a period that is not there", () => {
		expect(planPeriod(prepared({ total_assets: 10 }), null)).toMatchObject({ action: "create", data: { balance_sheet: { total_assets: 10 } } });
	});

	it("leaves a period alone when the filing changes none of its figures, whatever the key order", () => {
		expect(planPeriod(prepared({ total_assets: 10, inventory: 2 }), existing({ inventory: 2, total_assets: 10 })).action).toBe("unchanged");
	});

	it("lets imported figures win and keeps items entered by hand that the filing lacks, with warnings recomputed", () => {
		const step = planPeriod(prepared({ total_assets: 100, total_liabilities: 30, total_equity: 40 }), existing({ total_assets: 90, inventory: 5 }));
		expect(step.action).toBe("update");
		if (step.action !== "update") return;
		expect(step.set.balance_sheet).toEqual({ total_assets: 100, total_liabilities: 30, total_equity: 40, inventory: 5 });
		expect(step.set.source).toEqual({ type: "sec_companyfacts", cik: "1" });
		expect(step.set.warnings.join(" ")).toMatch(/total_assets/);
	});

	it("restores a statement exactly, taking away a source it did not have", () => {
		expect(restoreOf(existing({ total_assets: 1 }))).toMatchObject({ $unset: { source: "" } });
		expect(restoreOf(existing({ total_assets: 1 }, { source: { type: "manual" } })).$unset).toBeUndefined();
	});
});
