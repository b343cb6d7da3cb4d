/** strategy (services/strategy.service.ts): strategic plans with their SWOT, OKRs, action items and approval flow. */
import type { KeyResultBinding } from "../domains/strategy/bindings";
import type { MarketAnalysis, PlanDigest, PlanStatus } from "../domains/strategy/plan";
import type { Page } from "../models/common";
import { action, event } from "./contract";

export const ACTION_STATUSES = ["open", "in_progress", "done", "cancelled"] as const;

export interface CheckIn {
	/** Its row in the check-in store (every check-in is there; the plan keeps the last few). */
	id?: string;
	value: number;
	note?: string;
	by: string;
	at: string;
}
export interface StoredKeyResult {
	id: string;
	/** Bound to a platform figure: checks itself in when the figure changes. */
	binding?: KeyResultBinding;
	description: string;
	unit?: string;
	start: number;
	target: number;
	current: number;
	weight?: number;
	check_ins: CheckIn[];
}
export interface StoredObjective {
	id: string;
	title: string;
	key_results: StoredKeyResult[];
}
export interface ActionItem {
	id: string;
	title: string;
	owner: string;
	due_date?: string;
	status: (typeof ACTION_STATUSES)[number];
	objective_id?: string;
}
export interface StrategicPlan {
	id: string;
	company_id: string;
	/** The company's industry when the plan was made: the domain key its encrypted fields are under. */
	industry?: string;
	title: string;
	status: PlanStatus;
	swot_analysis: Record<"strengths" | "weaknesses" | "opportunities" | "threats", Array<Record<string, unknown>>>;
	market_analysis: MarketAnalysis;
	objectives: StoredObjective[];
	action_plan: ActionItem[];
	transitions: Array<{ from: PlanStatus; to: PlanStatus; by: string; role: string; reason?: string; at: string }>;
	/** The company review's draft (one per company, updated by each review). */
	review?: boolean;
	/** A drafted plan: what its SWOT was drafted from. */
	drafted_from?: { analysis_period: string | null; kpi_period: string | null; risk_assessments: number; compliance_records: number; missing: string[] };
	created_by: string;
	created_at: string;
	updated_at: string;
}

/** A plan as the API answers it: with its score, grade and action counts, and where it may go next. */
export type PlanView = StrategicPlan & {
	summary: { score: number | null; grade: string | null; open_actions: number; overdue_actions: number };
	next_statuses: PlanStatus[];
};

/** Every plan event carries the plan's digest (what the company overview shows of it). */
interface PlanEvent {
	id: string;
	company_id: string;
	plan: PlanDigest;
	/** The user; absent when the platform did it (the company review's draft, a bound key result). */
	by?: string;
}
const ofPlan = { entity: "strategy.plan", id: (p: PlanEvent) => p.id, company: (p: PlanEvent) => p.company_id };

export const Strategy = {
	events: {
		planCreated: event<PlanEvent & { drafted?: boolean; changed?: string[] }>()("strategy.plan.created", ofPlan),
		planUpdated: event<PlanEvent & { drafted?: boolean; changed: string[] }>()("strategy.plan.updated", ofPlan),
		planTransitioned: event<PlanEvent & { from: PlanStatus; to: PlanStatus; by: string }>()("strategy.plan.transitioned", ofPlan),
		keyResultCheckedIn: event<PlanEvent & { objective: string; key_result: string; value: number; automatic?: boolean }>()("strategy.key_result.checked_in", {
			...ofPlan,
			entity: "strategy.key_result",
		}),
	},
	actions: {
		/** The company review's step: the company's review draft, its SWOT drafted again. */
		/** A company's plans as the caller may read them. */
		list: action<{ id: string; status?: PlanStatus; sort?: string; page?: number; page_size?: number }, Page<PlanView>>()("strategy.list"),
		reviewDraft: action<{ company_id: string }, { plan_id: string; swot: Record<string, number>; drafted_from: StrategicPlan["drafted_from"] }>()("strategy.reviewDraft"),
	},
} as const;
