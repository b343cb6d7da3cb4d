/**
 * Key results bound to a figure the platform computes (docs/strategy.md): a financial ratio of the latest
 * analysis, an industry KPI, a risk assessment's score, a compliance record's status. Such a key result checks
 * itself in whenever the figure changes. A compliance status counts as compliant 1, partially compliant 0.5,
 * non-compliant 0 (a convention, so "reach compliance" is a key result from 0 to 1).
 */
import type { Analysis } from "../finance/analysis";
import type { KpiResult } from "../industries/module";

export const BINDING_KINDS = ["ratio", "kpi", "risk_score", "compliance"] as const;
export type BindingKind = (typeof BINDING_KINDS)[number];

export interface KeyResultBinding {
	kind: BindingKind;
	/** ratio: `group.name` (profitability.net_margin); kpi: its name; risk_score: the risk type; compliance: the regulation type. */
	metric: string;
}

export interface BindingSources {
	analysis?: Analysis | null;
	kpis?: { period_end: string | null; kpis: KpiResult[] } | null;
	risks?: Array<{ risk_type: string; risk_score: number | null; period_end?: string; assessed_at?: string }>;
	compliance?: Array<{ regulation_type: string; compliance_status: string; assessed_at?: string }>;
}

export const COMPLIANCE_VALUES: Record<string, number> = { compliant: 1, partially_compliant: 0.5, non_compliant: 0 };

/** The figure's value now, where it comes from, and for what period; value null when there is none. */
export function boundValue(binding: KeyResultBinding, sources: BindingSources): { value: number | null; source: string; period: string | null } {
	switch (binding.kind) {
		case "ratio": {
			const [group, name] = binding.metric.split(".");
			const ratios = sources.analysis?.ratios as unknown as Record<string, Record<string, number | null>> | undefined;
			return { value: ratios?.[group]?.[name] ?? null, source: `analysis ${binding.metric}`, period: sources.analysis?.period_end ?? null };
		}
		case "kpi": {
			const kpi = sources.kpis?.kpis.find(k => k.name === binding.metric);
			return { value: kpi?.value ?? null, source: `KPI ${binding.metric}`, period: sources.kpis?.period_end ?? null };
		}
		case "risk_score": {
			const risk = sources.risks?.find(r => r.risk_type === binding.metric);
			return { value: risk?.risk_score ?? null, source: `risk ${binding.metric}`, period: risk?.period_end ?? risk?.assessed_at?.slice(0, 10) ?? null };
		}
		case "compliance": {
			const record = sources.compliance?.find(c => c.regulation_type === binding.metric);
			return {
				value: record ? (COMPLIANCE_VALUES[record.compliance_status] ?? null) : null,
				source: `compliance ${binding.metric}`,
				period: record?.assessed_at?.slice(0, 10) ?? null,
			};
		}
	}
}
