/**
 * The company overview's fold (docs/overview.md): which audited events move a company's overview and what
 * each contributes, read through the events' contracts (contracts/), so a payload field renamed there is a
 * compile error here rather than an overview that silently stops changing. Folding the same entries in `seq`
 * order always gives the same overview (domains/overview/projection.ts holds its shape and its view).
 */
import { Companies, Compliance, Finance, Orchestrator, Risk, Strategy } from "../contracts";
import type { EventContract } from "../contracts/contract";
import { emptyOverview, type CompanyOverview, type WorkflowDigest } from "../domains/overview/projection";

/** What the fold reads of an audit entry. */
export interface OverviewEntry {
	seq: number;
	action: string;
	at: string;
	company_id?: string | null;
	payload: unknown;
}

const FOLDED = [
	Companies.events.created,
	Companies.events.updated,
	Companies.events.deleted,
	Finance.events.statementCreated,
	Finance.events.statementUpdated,
	Finance.events.statementDeleted,
	Finance.events.statementsImported,
	Orchestrator.events.workflowStarted,
	Orchestrator.events.stepSucceeded,
	Orchestrator.events.workflowFailed,
	Orchestrator.events.workflowCompleted,
	Risk.events.assessmentCreated,
	Risk.events.assessmentUpdated,
	Risk.events.assessmentAccepted,
	Compliance.events.recordUpdated,
	Strategy.events.planCreated,
	Strategy.events.planUpdated,
	Strategy.events.planTransitioned,
	Strategy.events.keyResultCheckedIn,
] as const;
const FOLDED_NAMES: ReadonlySet<string> = new Set(FOLDED.map(e => e.name));

/** An entry of one of the folded events, its payload as the event's contract declares it. */
type EntryOf<E> = E extends EventContract<infer N, infer P> ? { action: N; payload: P } : never;
type FoldedEntry = EntryOf<(typeof FOLDED)[number]>;

/** The overview after one entry (a new object; the one given is not changed). */
export function applyEntry(current: CompanyOverview, entry: OverviewEntry): CompanyOverview {
	return entry.seq <= current.seq ? current : applyOwned(structuredClone(current), entry);
}

/** The overview after one entry, changing `o` (a copy the caller owns) where it can. */
function applyOwned(o: CompanyOverview, entry: OverviewEntry): CompanyOverview {
	if (entry.seq <= o.seq) return o;
	o.seq = entry.seq;
	if (o.deleted || !FOLDED_NAMES.has(entry.action)) return o;
	// the trail holds each event's payload as its contract declared it when it was recorded
	const e = entry as unknown as FoldedEntry;
	const changed = (): CompanyOverview => ({ ...o, updated_at: entry.at });
	switch (e.action) {
		case Companies.events.created.name:
		case Companies.events.updated.name:
			o.company = { name: e.payload.company.name, industry: e.payload.company.industry, ticker: e.payload.company.ticker ?? null };
			return changed();
		case Companies.events.deleted.name:
			return { ...emptyOverview(o.company_id), seq: entry.seq, deleted: true, updated_at: entry.at };
		case Finance.events.statementCreated.name:
		case Finance.events.statementUpdated.name:
		case Finance.events.statementDeleted.name:
		case Finance.events.statementsImported.name: {
			const ends = "statement" in e.payload ? [e.payload.statement.period_end] : (e.payload.period_ends ?? []);
			const latest =
				[o.statements.latest_period_end, ...(e.action === Finance.events.statementDeleted.name ? [] : ends)]
					.filter((d): d is string => !!d)
					.sort()
					.pop() ?? null;
			o.statements = { latest_period_end: latest, last_change_at: entry.at };
			return changed();
		}
		case Orchestrator.events.workflowStarted.name:
		case Orchestrator.events.stepSucceeded.name:
		case Orchestrator.events.workflowFailed.name:
		case Orchestrator.events.workflowCompleted.name: {
			// the trail may hold a run's events out of order (audit replicas append concurrently): each only moves forward
			const wf = workflowOf(o, e.payload);
			if (!wf) return o; // an older run's late news
			if (e.action === Orchestrator.events.workflowStarted.name) {
				wf.trigger = e.payload.trigger;
				for (const step of e.payload.steps) wf.steps[step] ??= { state: "pending" };
			} else if (e.action === Orchestrator.events.stepSucceeded.name) {
				const p = e.payload;
				wf.steps[p.step] = { state: "succeeded", attempts: p.attempts };
				if (p.step === "analysis" && p.result?.highlights) o.analysis = { ...p.result.highlights, as_of: entry.at };
			} else if (e.action === Orchestrator.events.workflowFailed.name) {
				wf.steps[e.payload.step] = { state: "failed", attempts: e.payload.attempts };
				for (const step of Object.values(wf.steps)) if (step.state === "pending") step.state = "skipped";
				Object.assign(wf, { state: "failed", failed_step: e.payload.step, finished_at: entry.at });
			} else Object.assign(wf, { state: "succeeded", finished_at: entry.at });
			return changed();
		}
		case Risk.events.assessmentCreated.name:
		case Risk.events.assessmentUpdated.name:
		case Risk.events.assessmentAccepted.name: {
			const assessments = "assessment" in e.payload ? [e.payload.assessment] : (e.payload.automatic ?? []);
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
		case Compliance.events.recordUpdated.name: {
			const record = e.payload.record;
			if ((o.compliance[record.regulation_type]?.assessed_at ?? "") > (record.assessed_at ?? entry.at)) return o;
			o.compliance[record.regulation_type] = {
				status: record.compliance_status,
				violations: record.violations?.length ?? 0,
				assessed_at: record.assessed_at ?? entry.at,
				next_review: record.next_review ?? null,
			};
			return changed();
		}
		case Strategy.events.planCreated.name:
		case Strategy.events.planUpdated.name:
		case Strategy.events.planTransitioned.name:
		case Strategy.events.keyResultCheckedIn.name: {
			const plan = e.payload.plan;
			if (plan && !((o.plans[plan.id]?.updated_at ?? "") > plan.updated_at)) o.plans[plan.id] = plan;
			return changed();
		}
	}
}

/** The run an orchestrator event is about, made the overview's when it started after the one there; null for an older run. */
function workflowOf(o: CompanyOverview, p: { workflow_id: string; started_at: string }): WorkflowDigest | null {
	if (o.workflow?.id === p.workflow_id) return o.workflow;
	// the later run wins; two started in the same millisecond: the greater id, so the fold never flips between them
	if (o.workflow && (o.workflow.started_at > p.started_at || (o.workflow.started_at === p.started_at && o.workflow.id > p.workflow_id))) return null;
	o.workflow = { id: p.workflow_id, state: "running", steps: {}, started_at: p.started_at };
	return o.workflow;
}

/** Folds entries (in `seq` order) into an overview. */
export function foldEntries(current: CompanyOverview, entries: OverviewEntry[]): CompanyOverview {
	const sorted = [...entries].sort((a, b) => a.seq - b.seq);
	// one copy for the whole batch, not one per entry
	return sorted.some(e => e.seq > current.seq) ? sorted.reduce(applyOwned, structuredClone(current)) : current;
}
