/**
 * Strategic plans (docs/strategy.md): the status workflow and who may move a plan along it, and the market
 * analysis's consistency. A plan is drafted and submitted by an analyst and approved by a domain_admin (the
 * four-eyes principle of COSO's Internal Control framework, 2013: who proposes does not approve).
 */
import type { Role } from "../../models/principal";

export const PLAN_STATUSES = ["draft", "under_review", "approved", "active", "completed", "archived"] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** From each status, where a plan may go and the least role that may send it there. */
export const PLAN_TRANSITIONS: Record<PlanStatus, Partial<Record<PlanStatus, Role>>> = {
	draft: { under_review: "analyst", archived: "analyst" },
	under_review: { approved: "domain_admin", draft: "domain_admin", archived: "domain_admin" },
	approved: { active: "domain_admin", archived: "domain_admin" },
	active: { completed: "domain_admin", archived: "domain_admin" },
	completed: { archived: "domain_admin" },
	archived: {},
};

/**
 * Who proposed a plan, and so may not approve it (four eyes, per person, not per role): who created it and who
 * last submitted it for review.
 */
export function proposersOf(plan: { created_by: string; transitions: Array<{ to: string; by: string }> }): string[] {
	const submitted = [...plan.transitions].reverse().find(t => t.to === "under_review")?.by;
	return [...new Set([plan.created_by, ...(submitted ? [submitted] : [])])];
}

/** Who may move a plan from `from` to `to`: the least role, or null when the move is not allowed at all. */
export function transitionRole(from: PlanStatus, to: PlanStatus): Role | null {
	return PLAN_TRANSITIONS[from][to] ?? null;
}

export const FORCE_RATINGS = ["low", "medium", "high"] as const;
export const FIVE_FORCES = ["competitive_rivalry", "supplier_power", "buyer_power", "threat_of_substitution", "threat_of_new_entry"] as const;

export interface MarketAnalysis {
	tam?: number;
	sam?: number;
	som?: number;
	growth_rate?: number;
	five_forces?: Partial<Record<(typeof FIVE_FORCES)[number], { rating: (typeof FORCE_RATINGS)[number]; factors?: string[] }>>;
	competitors?: Array<{ name: string; market_share?: number; strengths?: string[]; weaknesses?: string[] }>;
}

/** The total, serviceable and obtainable markets nest: TAM ≥ SAM ≥ SOM (each where given). */
export function marketIssues(m: MarketAnalysis): Array<{ field: string; message: string }> {
	const issues: Array<{ field: string; message: string }> = [];
	if (m.tam != null && m.sam != null && m.sam > m.tam)
		issues.push({ field: "market_analysis.sam", message: `market_analysis.sam (${m.sam}) exceeds tam (${m.tam}): the serviceable market is part of the total` });
	if (m.sam != null && m.som != null && m.som > m.sam)
		issues.push({ field: "market_analysis.som", message: `market_analysis.som (${m.som}) exceeds sam (${m.sam}): the obtainable market is part of the serviceable` });
	if (m.tam != null && m.som != null && m.sam == null && m.som > m.tam)
		issues.push({ field: "market_analysis.som", message: `market_analysis.som (${m.som}) exceeds tam (${m.tam})` });
	return issues;
}

/** Action items past their due date and not done. */
export function isOverdue(item: { due_date?: string; status: string }, today: string): boolean {
	return !!item.due_date && item.due_date < today && item.status !== "done" && item.status !== "cancelled";
}

/** An action item as plan events carry it. */
export interface PlanAction {
	id: string;
	title: string;
	owner: string;
	due_date?: string;
	status: string;
	objective_id?: string;
}

/** What a plan's events carry of it (the company overview is folded from them). */
export interface PlanDigest {
	id: string;
	title: string;
	status: string;
	review?: boolean;
	score: number | null;
	grade: string | null;
	open_actions: PlanAction[];
	updated_at: string;
}
