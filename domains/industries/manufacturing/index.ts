/** Factories: equipment effectiveness, quality and safety. */
import { div, mul } from "../../finance/math";
import { notAbove, SP500_SECTOR_MEDIANS, type IndustryModule } from "../module";

const manufacturing: IndustryModule = {
	id: "manufacturing",
	name: "Manufacturing",
	metrics: {
		planned_production_time: { unit: "minutes", description: "Planned production time over the period" },
		run_time: { unit: "minutes", description: "Run time: planned production time less stops" },
		ideal_cycle_time: { unit: "minutes", description: "Ideal (fastest) time to make one unit" },
		total_count: { unit: "count", description: "Units made", integer: true },
		good_count: { unit: "count", description: "Units without defects", integer: true },
		first_pass_good_count: { unit: "count", description: "Units right the first time, without rework", integer: true },
		recordable_incidents: { unit: "count", description: "OSHA-recordable injuries and illnesses", integer: true },
		hours_worked: { unit: "hours", description: "Hours worked by all employees over the period" },
	},
	consistency: m => [...notAbove(m, "run_time", "planned_production_time"), ...notAbove(m, "good_count", "total_count"), ...notAbove(m, "first_pass_good_count", "good_count")],
	kpis: [
		{
			name: "oee",
			unit: "fraction",
			formula:
				"availability × performance × quality; availability = run_time / planned_production_time, performance = ideal_cycle_time × total_count / run_time, quality = good_count / total_count",
			inputs: ["run_time", "planned_production_time", "ideal_cycle_time", "total_count", "good_count"],
			compute: ({ metrics: m }) => mul(div(m.run_time, m.planned_production_time), div(mul(m.ideal_cycle_time, m.total_count), m.run_time), div(m.good_count, m.total_count)),
			threshold: { direction: "higher", good: 0.85, watch: 0.6 },
			source: "Nakajima (1988), Introduction to TPM: 85 % is world class",
		},
		{
			name: "first_pass_yield",
			unit: "fraction",
			formula: "first_pass_good_count / total_count",
			inputs: ["first_pass_good_count", "total_count"],
			compute: ({ metrics: m }) => div(m.first_pass_good_count, m.total_count),
			threshold: { direction: "higher", good: 0.95, watch: 0.85 },
			source: "convention",
		},
		{
			name: "trir",
			unit: "rate",
			per: "200,000 h",
			formula: "recordable_incidents × 200,000 / hours_worked",
			inputs: ["recordable_incidents", "hours_worked"],
			compute: ({ metrics: m }) => div(mul(m.recordable_incidents, 200000), m.hours_worked),
			threshold: { direction: "lower", good: 3, watch: 5 },
			source: "OSHA recordkeeping (29 CFR 1904) rate per 200,000 hours; bands around the BLS manufacturing average (convention)",
		},
		{
			name: "inventory_turnover",
			unit: "times",
			formula: "cost_of_revenue / inventory (from the statements)",
			inputs: ["finance.inventory_turnover"],
			compute: ({ finance }) => finance.inventory_turnover ?? null,
			threshold: null,
			source: "informational",
		},
	],
	regulations: ["iso_9001", "osha", "sox", "gdpr"],
	benchmark_medians: {
		source: `${SP500_SECTOR_MEDIANS}, Industrials`,
		as_of: "2012-03-31",
		ratios: { "profitability.net_margin": 0.075, "profitability.operating_margin": 0.128 },
	},
};

export default manufacturing;
