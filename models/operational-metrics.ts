/** A company's operational metrics for one period (docs/domains.md): names and meanings come from its industry module. */
import type { Entity } from "./common";

export interface OperationalMetrics extends Entity {
	company_id: string;
	/** The company's industry when recorded: the module the metrics were checked against. */
	industry: string;
	period_end: string;
	/** Days the period covers (365 for a year, about 91 for a quarter); KPIs per day use it. */
	period_days: number;
	metrics: Record<string, number>;
}
