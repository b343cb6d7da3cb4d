/** domains (services/domains.service.ts): industry modules, operational metrics, KPIs and their appetite. */
import type { Appetite, CompanyKpis } from "../domains/industries/module";
import type { OperationalMetrics } from "../models/operational-metrics";
import { action, event } from "./contract";

export const Domains = {
	events: {
		metricsRecorded: event<{ record: OperationalMetrics; by: string }>()("domains.metrics.recorded", {
			entity: "domains.metrics",
			id: p => p.record.id,
			company: p => p.record.company_id,
			domain: p => p.record.industry,
		}),
		appetiteSet: event<{ company_id: string; kpi: string; appetite: Appetite; by: string }>()("domains.appetite.set", {
			entity: "domains.appetite",
			id: p => p.company_id,
			company: p => p.company_id,
		}),
	},
	actions: {
		/** A company's KPIs as the caller may read them. */
		kpis: action<{ id: string; period_end?: string }, CompanyKpis>()("domains.kpis"),
		/** A company's KPIs for a service. */
		computeKpis: action<{ company_id: string; industry: string; period_end?: string }, CompanyKpis>()("domains.computeKpis"),
	},
} as const;
