/**
 * The company overview (docs/overview.md): a read model folded from the audit trail's entries, one company at
 * a time (CQRS: Young, "CQRS Documents", 2010; the projection of an event-sourced log, Fowler, "Event
 * Sourcing", 2005). Folding the same entries in `seq` order always gives the same overview, so replaying the
 * log rebuilds it; an entry at or below the overview's `seq` is already in it and changes nothing.
 */
import type { AnalysisHighlights } from "../finance/analysis";
import { RISK_LEVELS } from "../risk/scoring";
import { isOverdue, type PlanDigest } from "../strategy/plan";

/** What the fold reads of an audit entry. */
export interface OverviewEntry {
	seq: number;
	action: string;
	at: string;
	company_id?: string | null;
	payload: unknown;
}

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

/** Event payloads, each read by its own shape below. */
type Payload = Record<string, any>;

/** The overview after one entry (a new object; the one given is not changed). */
export function applyEntry(current: CompanyOverview, entry: OverviewEntry): CompanyOverview {
	if (entry.seq <= current.seq) return current;
	const o: CompanyOverview = structuredClone(current);
	o.seq = entry.seq;
	if (o.deleted) return o;
	const p = (entry.payload ?? {}) as Payload;
	const changed = (): CompanyOverview => ({ ...o, updated_at: entry.at });
	switch (entry.action) {
		case "companies.created":
		case "companies.updated":
			o.company = { name: p.company.name, industry: p.company.industry, ticker: p.company.ticker ?? null };
			return changed();
		case "companies.deleted":
			return { ...emptyOverview(o.company_id), seq: entry.seq, deleted: true, updated_at: entry.at };
		case "finance.statement.created":
		case "finance.statement.updated":
		case "finance.statement.deleted":
		case "finance.statements.imported": {
			const ends: string[] = p.statement ? [p.statement.period_end] : (p.period_ends ?? []);
			const latest =
				[o.statements.latest_period_end, ...(entry.action.endsWith("deleted") ? [] : ends)]
					.filter((d): d is string => !!d)
					.sort()
					.pop() ?? null;
			o.statements = { latest_period_end: latest, last_change_at: entry.at };
			return changed();
		}
		case "orchestrator.workflow.started":
		case "orchestrator.step.succeeded":
		case "orchestrator.workflow.failed":
		case "orchestrator.workflow.completed": {
			// the trail may hold a run's events out of order (audit replicas append concurrently): each only moves forward
			const wf = workflowOf(o, p);
			if (!wf) return o; // an older run's late news
			if (entry.action === "orchestrator.workflow.started") {
				wf.trigger = p.trigger;
				for (const step of p.steps as string[]) wf.steps[step] ??= { state: "pending" };
			} else if (entry.action === "orchestrator.step.succeeded") {
				wf.steps[p.step] = { state: "succeeded", attempts: p.attempts };
				if (p.step === "analysis" && p.result?.highlights) o.analysis = { ...p.result.highlights, as_of: entry.at };
			} else if (entry.action === "orchestrator.workflow.failed") {
				wf.steps[p.step] = { state: "failed", attempts: p.attempts };
				for (const step of Object.values(wf.steps)) if (step.state === "pending") step.state = "skipped";
				Object.assign(wf, { state: "failed", failed_step: p.step, finished_at: entry.at });
			} else Object.assign(wf, { state: "succeeded", finished_at: entry.at });
			return changed();
		}
		case "risk.assessment.created":
		case "risk.assessment.updated":
		case "risk.assessment.accepted": {
			const assessments: Payload[] = p.assessment ? [p.assessment] : (p.automatic ?? []);
			for (const a of assessments) {
				const assessedAt = a.assessed_at ?? entry.at;
				if (o.risks[a.id] && o.risks[a.id].assessed_at > assessedAt) continue; // a newer assessment is in already
				o.risks[a.id] = {
					id: a.id,
					risk_type: a.risk_type,
					method: a.method ?? "automatic",
					...(a.title ? { title: a.title } : {}),
					risk_score: a.risk_score ?? null,
					level: a.level ?? null,
					assessed_at: assessedAt,
				};
			}
			return changed();
		}
		case "compliance.record.updated":
			if ((o.compliance[p.record.regulation_type]?.assessed_at ?? "") > (p.record.assessed_at ?? entry.at)) return o;
			o.compliance[p.record.regulation_type] = {
				status: p.record.compliance_status,
				violations: p.record.violations?.length ?? 0,
				assessed_at: p.record.assessed_at ?? entry.at,
				next_review: p.record.next_review ?? null,
			};
			return changed();
		case "strategy.plan.created":
		case "strategy.plan.updated":
		case "strategy.plan.transitioned":
		case "strategy.key_result.checked_in":
			if (p.plan && !((o.plans[p.plan.id]?.updated_at ?? "") > p.plan.updated_at)) o.plans[p.plan.id] = p.plan as PlanDigest;
			return changed();
		default:
			return o;
	}
}

/** The run an orchestrator event is about, made the overview's when it started after the one there; null for an older run. */
function workflowOf(o: CompanyOverview, p: Payload): WorkflowDigest | null {
	if (o.workflow?.id === p.workflow_id) return o.workflow;
	// the later run wins; two started in the same millisecond: the greater id, so the fold never flips between them
	if (o.workflow && (o.workflow.started_at > p.started_at || (o.workflow.started_at === p.started_at && o.workflow.id > p.workflow_id))) return null;
	o.workflow = { id: p.workflow_id, state: "running", steps: {}, started_at: p.started_at };
	return o.workflow;
}

/** Folds entries (in `seq` order) into an overview. */
export function foldEntries(current: CompanyOverview, entries: OverviewEntry[]): CompanyOverview {
	return [...entries].sort((a, b) => a.seq - b.seq).reduce(applyEntry, current);
}

const COMPLIANCE_ORDER = ["non_compliant", "partially_compliant", "not_assessed", "compliant"];
const LIVE_PLAN_STATUSES = new Set(["draft", "under_review", "approved", "active"]);

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
