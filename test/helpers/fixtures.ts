import type { StatementData } from "../../models/statement";

/** A complete annual statement for tests and benchmarks: every ratio of the analysis has its inputs. */
export const annualStatement = (period_end: string, over: { revenue?: number; net_income?: number } = {}) => ({
	statement_type: "annual",
	period_end,
	balance_sheet: {
		cash_and_equivalents: 100,
		accounts_receivable: 150,
		total_current_assets: 500,
		total_assets: 1500,
		total_current_liabilities: 250,
		total_liabilities: 700,
		retained_earnings: 300,
		total_equity: 800,
	},
	income_statement: { revenue: over.revenue ?? 2000, cost_of_revenue: 1200, operating_income: 400, interest_expense: 40, net_income: over.net_income ?? 270 },
	cash_flow: { operating_cash_flow: 350, capital_expenditure: 150 },
});

/** Deterministic pseudo-random statements: `companies` × `years`. */
export function syntheticStatements(companies: number, years: number): StatementData[][] {
	let seed = 42;
	const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
	const out: StatementData[][] = [];
	for (let c = 0; c < companies; c++) {
		const series: StatementData[] = [];
		let revenue = 500 + rnd() * 5000;
		for (let y = 0; y < years; y++) {
			revenue *= 0.9 + rnd() * 0.3;
			const assets = revenue * (0.8 + rnd());
			const equity = assets * (0.2 + rnd() * 0.5);
			series.push({
				statement_type: "annual",
				period_end: `${2015 + y}-12-31`,
				fiscal_year: 2015 + y,
				fiscal_period: "FY",
				currency: "USD",
				balance_sheet: {
					cash_and_equivalents: assets * 0.1,
					accounts_receivable: revenue * 0.12,
					inventory: revenue * 0.1,
					total_current_assets: assets * 0.4,
					property_plant_equipment_net: assets * 0.4,
					total_assets: assets,
					total_current_liabilities: assets * 0.25,
					long_term_debt: assets * 0.2,
					total_liabilities: assets - equity,
					retained_earnings: equity * 0.5,
					total_equity: equity,
					shares_outstanding: 1000,
				},
				income_statement: {
					revenue,
					cost_of_revenue: revenue * (0.5 + rnd() * 0.2),
					sga_expense: revenue * 0.15,
					depreciation_and_amortization: assets * 0.05,
					operating_income: revenue * (rnd() * 0.2),
					interest_expense: assets * 0.01,
					income_before_tax: revenue * 0.1,
					net_income: revenue * (rnd() * 0.15 - 0.03),
				},
				cash_flow: { operating_cash_flow: revenue * 0.12, capital_expenditure: revenue * 0.05 },
				market: { market_cap: equity * (1 + rnd() * 3) },
			});
		}
		out.push(series);
	}
	return out;
}

/** A CISO Assistant framework library (its YAML) with one data rule and one attestation, for the compliance tests. */
export const LIQUIDITY_POLICY_LIBRARY = [
	"urn: urn:example:risk:library:liquidity-policy",
	"name: Liquidity policy",
	"objects:",
	"  framework:",
	"    urn: urn:example:risk:framework:liquidity-policy",
	"    ref_id: liquidity-policy",
	"    name: Liquidity policy",
	"    requirement_nodes:",
	"      - { urn: 'urn:example:risk:req_node:liquidity-policy:1', assessable: false, depth: 1, ref_id: '1', name: Buffers }",
	"      - { urn: 'urn:example:risk:req_node:liquidity-policy:1.1', assessable: true, depth: 2, ref_id: '1.1', name: LCR above the internal floor, data_rule: { metric: lcr, op: '>=', threshold: 1.1 } }",
	"      - { urn: 'urn:example:risk:req_node:liquidity-policy:1.2', assessable: true, depth: 2, ref_id: '1.2', name: Contingency funding plan tested }",
].join("\n");

/**
 * A healthy manufacturer (issue 21, item 2): net margin 8 %, equity 60 % of assets, current ratio 2, positive
 * cash flow. `everyInput`: with the line items every distress ratio needs; without, 13 of the 36 lack theirs.
 */
export function healthyManufacturerStatement(period_end: string, revenue = 1000, everyInput = true) {
	const balance_sheet: Record<string, number> = {
		total_assets: 1000,
		total_current_assets: 500,
		total_current_liabilities: 250,
		total_liabilities: 400,
		total_equity: 600,
		retained_earnings: 400,
	};
	const income_statement: Record<string, number> = { revenue, cost_of_revenue: revenue * 0.7, operating_income: 100, net_income: 80 };
	if (everyInput) {
		Object.assign(balance_sheet, { inventory: 150, accounts_receivable: 150, cash_and_equivalents: 100 });
		Object.assign(income_statement, { income_before_tax: 100, interest_expense: 5, depreciation_and_amortization: 30 });
	}
	return { statement_type: "annual", period_end, currency: "USD", balance_sheet, income_statement, cash_flow: { operating_cash_flow: 120 } };
}

/** A framework library (CISO Assistant's YAML) of `requirements` assessable requirements: about 140 bytes each. */
export function bigFrameworkLibrary(requirements: number): string {
	const nodes = Array.from(
		{ length: requirements },
		(_, i) =>
			`      - urn: urn:example:risk:req_node:big:${i}\n        assessable: true\n        ref_id: 'R${i}'\n        name: Requirement number ${i}, attested yearly with evidence`,
	);
	return [
		"urn: urn:example:risk:library:big",
		"name: Big",
		"objects:",
		"  framework:",
		"    urn: urn:example:risk:framework:big",
		"    ref_id: big",
		"    name: Big",
		"    requirement_nodes:",
		...nodes,
	].join("\n");
}

/** A small separable data set: `distress` is 1 when leverage is high and margin low (with noise, and gaps). */
export function syntheticCsv(rows = 400, seed = 7): string {
	let s = seed;
	const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
	const lines = ["leverage,margin,size,distress"];
	for (let i = 0; i < rows; i++) {
		const leverage = rnd() * 2;
		const margin = rnd() * 0.4 - 0.1;
		const risk = leverage - 4 * margin + (rnd() - 0.5) * 0.6;
		const label = risk > 1.2 ? 1 : 0;
		const size = i % 17 === 0 ? "?" : (rnd() * 100).toFixed(2);
		lines.push(`${leverage.toFixed(4)},${i % 23 === 0 ? "" : margin.toFixed(4)},${size},${label}`);
	}
	return lines.join("\n");
}
