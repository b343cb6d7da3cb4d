/** Software and subscription businesses: recurring revenue, retention and unit economics. */
import { add, div, mul, sub } from "../../finance/math";
import { notAbove, SP500_SECTOR_MEDIANS, type IndustryModule } from "../module";

const DAYS_PER_MONTH = 365.25 / 12;

const technology: IndustryModule = {
	id: "technology",
	name: "Technology",
	metrics: {
		mrr: { unit: "currency", description: "Monthly recurring revenue at the end of the period" },
		starting_mrr: { unit: "currency", description: "MRR at the start of the period" },
		expansion_mrr: { unit: "currency", description: "MRR added by existing customers over the period" },
		contraction_mrr: { unit: "currency", description: "MRR lost to downgrades over the period" },
		churned_mrr: { unit: "currency", description: "MRR lost to cancellations over the period" },
		customers: { unit: "count", description: "Customers at the end of the period", integer: true },
		starting_customers: { unit: "count", description: "Customers at the start of the period", integer: true },
		churned_customers: { unit: "count", description: "Customers lost over the period", integer: true },
		cac: { unit: "currency", description: "Customer acquisition cost per new customer" },
		arpa: { unit: "currency", description: "Average monthly revenue per account" },
		gross_margin: { unit: "fraction", description: "Gross margin on recurring revenue (0–1)", max: 1 },
	},
	consistency: m => notAbove(m, "churned_customers", "starting_customers"),
	kpis: [
		{
			name: "arr",
			unit: "currency",
			formula: "mrr × 12",
			inputs: ["mrr"],
			compute: ({ metrics: m }) => mul(m.mrr, 12),
			threshold: null,
			source: "informational",
		},
		{
			name: "net_revenue_retention",
			unit: "fraction",
			formula: "(starting_mrr + expansion_mrr − contraction_mrr − churned_mrr) / starting_mrr",
			inputs: ["starting_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"],
			compute: ({ metrics: m }) => div(sub(add(m.starting_mrr, m.expansion_mrr), add(m.contraction_mrr, m.churned_mrr)), m.starting_mrr),
			threshold: { direction: "higher", good: 1, watch: 0.9 },
			source: "convention: SaaS investors' benchmark of 100 %",
		},
		{
			name: "gross_revenue_retention",
			unit: "fraction",
			formula: "(starting_mrr − contraction_mrr − churned_mrr) / starting_mrr",
			inputs: ["starting_mrr", "contraction_mrr", "churned_mrr"],
			compute: ({ metrics: m }) => div(sub(m.starting_mrr, add(m.contraction_mrr, m.churned_mrr)), m.starting_mrr),
			threshold: null,
			source: "informational",
		},
		{
			name: "logo_churn",
			unit: "fraction",
			formula: "churned_customers / starting_customers",
			inputs: ["churned_customers", "starting_customers"],
			compute: ({ metrics: m }) => div(m.churned_customers, m.starting_customers),
			threshold: null,
			source: "informational",
		},
		{
			name: "ltv_to_cac",
			unit: "times",
			formula: "(arpa × gross_margin / monthly logo churn) / cac; monthly churn = logo_churn / months in period",
			inputs: ["arpa", "gross_margin", "churned_customers", "starting_customers", "cac"],
			compute: ({ metrics: m, period_days }) =>
				div(div(mul(m.arpa, m.gross_margin), div(div(m.churned_customers, m.starting_customers), period_days / DAYS_PER_MONTH)), m.cac),
			threshold: { direction: "higher", good: 3, watch: 1 },
			source: "convention: LTV at least 3× CAC (Skok, SaaS Metrics 2.0)",
		},
		{
			name: "cac_payback_months",
			unit: "months",
			formula: "cac / (arpa × gross_margin)",
			inputs: ["cac", "arpa", "gross_margin"],
			compute: ({ metrics: m }) => div(m.cac, mul(m.arpa, m.gross_margin)),
			threshold: { direction: "lower", good: 12, watch: 24 },
			source: "convention: CAC recovered within 12 months (Skok, SaaS Metrics 2.0)",
		},
		{
			name: "rule_of_40",
			unit: "points",
			formula: "revenue growth % + FCF margin % (from the statements)",
			inputs: ["finance.revenue_growth", "finance.fcf_margin"],
			compute: ({ finance }) => mul(add(finance.revenue_growth, finance.fcf_margin), 100),
			threshold: { direction: "higher", good: 40, watch: 20 },
			source: "convention: growth plus profitability of at least 40 % (Feld, 2015)",
		},
	],
	regulations: ["soc2", "iso_27001", "sox", "gdpr"],
	benchmark_medians: {
		source: `${SP500_SECTOR_MEDIANS}, Information Technology`,
		as_of: "2012-03-31",
		ratios: { "profitability.net_margin": 0.136, "profitability.operating_margin": 0.184 },
	},
};

export default technology;
