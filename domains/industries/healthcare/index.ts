/** Hospitals and care providers: liquidity, margin and capacity use, as rating agencies and hospital managers read them. */
import { div, mul, sub } from "../../finance/math";
import { notAbove, SP500_SECTOR_MEDIANS, type IndustryModule } from "../module";

const healthcare: IndustryModule = {
	id: "healthcare",
	name: "Healthcare",
	metrics: {
		patient_days: { unit: "days", description: "Inpatient days over the period", integer: true },
		staffed_beds: { unit: "count", description: "Staffed beds", integer: true },
		discharges: { unit: "count", description: "Inpatient discharges over the period", integer: true },
		unrestricted_cash: { unit: "currency", description: "Unrestricted cash and investments" },
		operating_expenses: { unit: "currency", description: "Operating expenses over the period" },
		depreciation: { unit: "currency", description: "Depreciation and amortization over the period" },
		operating_revenue: { unit: "currency", description: "Operating revenue over the period" },
	},
	consistency: m => notAbove(m, "depreciation", "operating_expenses"),
	kpis: [
		{
			name: "days_cash_on_hand",
			unit: "days",
			formula: "unrestricted_cash / ((operating_expenses − depreciation) / days in period)",
			inputs: ["unrestricted_cash", "operating_expenses", "depreciation"],
			compute: ({ metrics: m, period_days }) => div(m.unrestricted_cash, div(sub(m.operating_expenses, m.depreciation), period_days)),
			threshold: { direction: "higher", good: 150, watch: 90 },
			source: "convention: around the not-for-profit hospital medians of the rating agencies (Moody's, S&P, Fitch)",
		},
		{
			name: "operating_margin",
			unit: "fraction",
			formula: "operating_income / revenue (from the statements)",
			inputs: ["finance.operating_margin"],
			compute: ({ finance }) => finance.operating_margin ?? null,
			threshold: { direction: "higher", good: 0.03, watch: 0 },
			source: "convention: 3 % sustains reinvestment; below 0 % the operations lose money",
		},
		{
			name: "occupancy_rate",
			unit: "fraction",
			formula: "patient_days / (staffed_beds × days in period)",
			inputs: ["patient_days", "staffed_beds"],
			compute: ({ metrics: m, period_days }) => div(m.patient_days, mul(m.staffed_beds, period_days)),
			threshold: { direction: "range", good: [0.65, 0.85], watch: [0.5, 0.9] },
			source: "convention: 85 % is the usual ceiling for safe capacity; below 65 % beds stand idle",
		},
		{
			name: "average_length_of_stay",
			unit: "days",
			formula: "patient_days / discharges",
			inputs: ["patient_days", "discharges"],
			compute: ({ metrics: m }) => div(m.patient_days, m.discharges),
			threshold: null,
			source: "informational",
		},
	],
	regulations: ["hipaa", "sox", "gdpr"],
	benchmark_medians: {
		source: `${SP500_SECTOR_MEDIANS}, Health Care`,
		as_of: "2012-03-31",
		ratios: { "profitability.net_margin": 0.135, "profitability.operating_margin": 0.198 },
	},
};

export default healthcare;
