/**
 * Banks and other lenders. Capital and liquidity minimums: BCBS, "Basel III: A global regulatory framework for
 * more resilient banks and banking systems" (2010, rev. 2011): CET1 4.5 %, Tier 1 6 %, total capital 8 %, plus
 * the 2.5 % capital conservation buffer; BCBS, "Basel III leverage ratio framework" (2014): 3 %; BCBS 238,
 * "The Liquidity Coverage Ratio" (2013) and BCBS 295, "The Net Stable Funding Ratio" (2014): 100 %.
 */
import { div } from "../../finance/math";
import { notAbove, SP500_SECTOR_MEDIANS, type IndustryModule } from "../module";

const BASEL = "BCBS Basel III (2010/2011): minimum plus 2.5 % conservation buffer = good, minimum = watch";

const financialServices: IndustryModule = {
	id: "financial_services",
	name: "Financial services",
	metrics: {
		cet1_capital: { unit: "currency", description: "Common Equity Tier 1 capital" },
		tier1_capital: { unit: "currency", description: "Tier 1 capital (CET1 + Additional Tier 1)" },
		total_capital: { unit: "currency", description: "Total regulatory capital (Tier 1 + Tier 2)" },
		risk_weighted_assets: { unit: "currency", description: "Risk-weighted assets" },
		leverage_exposure: { unit: "currency", description: "Leverage ratio exposure measure" },
		hqla: { unit: "currency", description: "Stock of high-quality liquid assets" },
		net_cash_outflows_30d: { unit: "currency", description: "Total net cash outflows over the next 30 calendar days" },
		available_stable_funding: { unit: "currency", description: "Available stable funding" },
		required_stable_funding: { unit: "currency", description: "Required stable funding" },
		gross_loans: { unit: "currency", description: "Gross loans" },
		non_performing_loans: { unit: "currency", description: "Non-performing loans (90+ days past due or unlikely to pay)" },
		loan_loss_reserves: { unit: "currency", description: "Allowance for loan losses" },
		net_interest_income: { unit: "currency", description: "Net interest income over the period" },
		average_earning_assets: { unit: "currency", description: "Average interest-earning assets over the period" },
		operating_expenses: { unit: "currency", description: "Non-interest operating expenses over the period" },
		operating_revenue: { unit: "currency", description: "Net operating revenue (net interest + non-interest income)" },
	},
	consistency: m => [...notAbove(m, "cet1_capital", "tier1_capital"), ...notAbove(m, "tier1_capital", "total_capital"), ...notAbove(m, "non_performing_loans", "gross_loans")],
	kpis: [
		{
			name: "cet1_ratio",
			unit: "fraction",
			formula: "cet1_capital / risk_weighted_assets",
			inputs: ["cet1_capital", "risk_weighted_assets"],
			compute: ({ metrics: m }) => div(m.cet1_capital, m.risk_weighted_assets),
			threshold: { direction: "higher", good: 0.07, watch: 0.045 },
			source: BASEL,
		},
		{
			name: "tier1_ratio",
			unit: "fraction",
			formula: "tier1_capital / risk_weighted_assets",
			inputs: ["tier1_capital", "risk_weighted_assets"],
			compute: ({ metrics: m }) => div(m.tier1_capital, m.risk_weighted_assets),
			threshold: { direction: "higher", good: 0.085, watch: 0.06 },
			source: BASEL,
		},
		{
			name: "total_capital_ratio",
			unit: "fraction",
			formula: "total_capital / risk_weighted_assets",
			inputs: ["total_capital", "risk_weighted_assets"],
			compute: ({ metrics: m }) => div(m.total_capital, m.risk_weighted_assets),
			threshold: { direction: "higher", good: 0.105, watch: 0.08 },
			source: BASEL,
		},
		{
			name: "leverage_ratio",
			unit: "fraction",
			formula: "tier1_capital / leverage_exposure",
			inputs: ["tier1_capital", "leverage_exposure"],
			compute: ({ metrics: m }) => div(m.tier1_capital, m.leverage_exposure),
			threshold: { direction: "higher", good: 0.03, watch: 0.03 },
			source: "BCBS, Basel III leverage ratio framework (2014): minimum 3 %, no watch band",
		},
		{
			name: "lcr",
			unit: "fraction",
			formula: "hqla / net_cash_outflows_30d",
			inputs: ["hqla", "net_cash_outflows_30d"],
			compute: ({ metrics: m }) => div(m.hqla, m.net_cash_outflows_30d),
			threshold: { direction: "higher", good: 1, watch: 1 },
			source: "BCBS 238, The Liquidity Coverage Ratio (2013): minimum 100 %",
		},
		{
			name: "nsfr",
			unit: "fraction",
			formula: "available_stable_funding / required_stable_funding",
			inputs: ["available_stable_funding", "required_stable_funding"],
			compute: ({ metrics: m }) => div(m.available_stable_funding, m.required_stable_funding),
			threshold: { direction: "higher", good: 1, watch: 1 },
			source: "BCBS 295, The Net Stable Funding Ratio (2014): minimum 100 %",
		},
		{
			name: "npl_ratio",
			unit: "fraction",
			formula: "non_performing_loans / gross_loans",
			inputs: ["non_performing_loans", "gross_loans"],
			compute: ({ metrics: m }) => div(m.non_performing_loans, m.gross_loans),
			threshold: { direction: "lower", good: 0.03, watch: 0.05 },
			source: "convention: supervisors treat NPL ratios above 5 % as high (ECB, Guidance to banks on non-performing loans, 2017)",
		},
		{
			name: "npl_coverage",
			unit: "fraction",
			formula: "loan_loss_reserves / non_performing_loans",
			inputs: ["loan_loss_reserves", "non_performing_loans"],
			compute: ({ metrics: m }) => div(m.loan_loss_reserves, m.non_performing_loans),
			threshold: null,
			source: "informational",
		},
		{
			name: "efficiency_ratio",
			unit: "fraction",
			formula: "operating_expenses / operating_revenue",
			inputs: ["operating_expenses", "operating_revenue"],
			compute: ({ metrics: m }) => div(m.operating_expenses, m.operating_revenue),
			threshold: { direction: "lower", good: 0.6, watch: 0.7 },
			source: "convention: banks aim for 60 % or less",
		},
		{
			name: "net_interest_margin",
			unit: "fraction",
			formula: "net_interest_income / average_earning_assets",
			inputs: ["net_interest_income", "average_earning_assets"],
			compute: ({ metrics: m }) => div(m.net_interest_income, m.average_earning_assets),
			threshold: null,
			source: "informational",
		},
	],
	regulations: ["basel_iii", "aml_kyc", "sox", "gdpr"],
	benchmark_medians: {
		source: `${SP500_SECTOR_MEDIANS}, Financials`,
		as_of: "2012-03-31",
		ratios: { "profitability.net_margin": 0.158, "profitability.operating_margin": 0.206 },
	},
};

export default financialServices;
