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
