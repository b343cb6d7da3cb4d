/**
 * The company overview (docs/overview.md): a read model folded from the audit trail's entries, one company at
 * a time (the fold, which reads the events through their contracts, is lib/overview-fold.ts) (CQRS: Young, "CQRS Documents", 2010; the projection of an event-sourced log, Fowler, "Event
 * Sourcing", 2005). Folding the same entries in `seq` order always gives the same overview, so replaying the
 * log rebuilds it; an entry at or below the overview's `seq` is already in it and changes nothing.
 */
import type { AnalysisHighlights } from "../finance/analysis";
import { RISK_LEVELS } from "../risk/scoring";
import { isOverdue, type PlanDigest } from "../strategy/plan";

export interface RiskDigest {
	id: string;
	risk_type: string;
	method: "automatic" | "manual";
	title?: string;
	risk_score: number | null;
	level: string | null;
	assessed_at: string;
}

export interface WorkflowDigest {
	id: string;
	state: "running" | "succeeded" | "failed";
	trigger?: string;
	steps: Record<string, { state: string; attempts?: number }>;
	failed_step?: string;
	started_at: string;
	finished_at?: string;
}

/** The stored projection of one company. */
export interface CompanyOverview {
	company_id: string;
	/** The last audit entry folded in. */
	seq: number;
	company: { name: string; industry: string; ticker?: string | null } | null;
	deleted: boolean;
	statements: { latest_period_end: string | null; last_change_at: string | null };
	analysis: (AnalysisHighlights & { as_of: string }) | null;
	risks: Record<string, RiskDigest>;
	compliance: Record<string, { status: string; violations: number; assessed_at: string; next_review: string | null }>;
	plans: Record<string, PlanDigest>;
	workflow: WorkflowDigest | null;
	updated_at: string | null;
}

export function emptyOverview(companyId: string): CompanyOverview {
	return {
		company_id: companyId,
		seq: 0,
		company: null,
		deleted: false,
		statements: { latest_period_end: null, last_change_at: null },
		analysis: null,
		risks: {},
		compliance: {},
		plans: {},
		workflow: null,
		updated_at: null,
	};
}

const COMPLIANCE_ORDER = ["non_compliant", "partially_compliant", "not_assessed", "compliant"];
const LIVE_PLAN_STATUSES = new Set(["draft", "under_review", "approved", "active"]);

export type OverviewView = ReturnType<typeof overviewView>;

/** What the API answers: the stored overview with what depends on the day (overdue actions) and the worst levels. */
export function overviewView(o: CompanyOverview, today: string) {
	const risks = Object.values(o.risks);
	const ranked = risks.map(r => RISK_LEVELS.indexOf(r.level as (typeof RISK_LEVELS)[number])).filter(i => i >= 0);
	const statuses = Object.values(o.compliance).map(c => c.status);
	const plans = Object.values(o.plans).sort((a, b) => a.title.localeCompare(b.title));
	const openActions = plans
		.filter(p => LIVE_PLAN_STATUSES.has(p.status))
		.flatMap(p => p.open_actions.map(a => ({ ...a, plan_id: p.id, overdue: isOverdue(a, today) })))
		.sort((a, b) => (a.due_date ?? "9999").localeCompare(b.due_date ?? "9999"));
	return {
		company_id: o.company_id,
		company: o.company,
		statements: o.statements,
		analysis: o.analysis,
		risk: {
			level: ranked.length ? RISK_LEVELS[Math.max(...ranked)] : null,
			assessments: risks.sort((a, b) => a.risk_type.localeCompare(b.risk_type)),
		},
		compliance: {
			status: statuses.length ? (COMPLIANCE_ORDER.find(s => statuses.includes(s)) ?? statuses[0]) : null,
			regulations: o.compliance,
		},
		plans: {
			by_status: plans.reduce<Record<string, number>>((n, p) => ({ ...n, [p.status]: (n[p.status] ?? 0) + 1 }), {}),
			rows: plans.map(({ open_actions, ...p }) => ({ ...p, open_actions: open_actions.length })),
			open_actions: openActions,
			overdue_actions: openActions.filter(a => a.overdue).length,
		},
		workflow: o.workflow,
		as_of: { seq: o.seq, at: o.updated_at },
	};
}
