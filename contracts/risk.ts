/** risk (services/risk.service.ts): a company's risk assessments, automatic and manual, and the risk matrices. */
import type { RiskMatrix } from "../domains/risk/matrix";
import type { Acceptance, RiskFactor } from "../domains/risk/scoring";
import type { Page } from "../models/common";
import { action, event } from "./contract";

export const TREATMENTS = ["mitigate", "accept", "transfer", "avoid"] as const;

export interface GridPosition {
	likelihood: number;
	impact: number;
	level: string;
	/** The level's rank in the matrix (0 lowest). */
	level_index: number;
}

/** A company's risks counted per cell of a matrix's grid (rows: likelihood, columns: impact), each cell's level named. */
export interface RiskMatrixView {
	company_id: string;
	matrix: { urn: string; name: string; impact_bands: RiskMatrix["impact_bands"] | null };
	/** Automatic risks placed by their score and exposure (a matrix with impact bands); null otherwise. */
	automatic: number[][] | null;
	probability: RiskMatrix["probability"];
	impact: RiskMatrix["impact"];
	risk: RiskMatrix["risk"];
	levels: string[][];
	residual: number[][];
	inherent: number[][];
	count: number;
}

export interface RiskAssessment {
	id: string;
	company_id: string;
	/** The company's industry when assessed: the domain key its encrypted fields are under. */
	industry?: string;
	risk_type: string;
	method: "automatic" | "manual";
	title?: string;
	risk_score: number | null;
	/** The risk level: low … critical for automatic ones, the matrix's level name for manual ones. */
	level: string | null;
	risk_factors: RiskFactor[];
	mitigation_strategies: string[];
	/** Manual: the matrix (its URN) the grid positions are on. */
	matrix?: string;
	/** Automatic: the money at stake and the measures impact bands are shares of (they place it on a matrix with bands). */
	exposure?: { formula: string; value: number | null };
	measures?: { equity: number | null; ebitda: number | null; cash: number | null };
	/** Manual: the grid, before and after mitigation. */
	inherent?: GridPosition;
	residual?: GridPosition;
	treatment?: { strategy: (typeof TREATMENTS)[number]; owner: string; due_date?: string };
	acceptance?: Acceptance & { status: "active" | "revoked"; reason?: string };
	/** Earlier acceptances, newest last (a new one is given only once the last has ended). */
	acceptance_history?: Acceptance[];
	/** Manual: who assessed it (who proposes a risk does not accept it). */
	created_by?: string;
	period_end?: string;
	/** Automatic: why it could not be scored. */
	reason?: string;
	assessed_at: string;
	expires_at: string;
	created_at: string;
	updated_at: string;
}

/** A risk matrix as stored and answered: an imported one says whose it is and who imported it. */
export type RiskMatrixEntry = RiskMatrix & { domain?: string; imported_by?: string; imported_at?: string };

/** What an event tells of an automatic assessment. */
export type AssessmentDigest = Pick<RiskAssessment, "id" | "risk_type" | "method" | "risk_score" | "level" | "assessed_at"> & { title?: string };

const ofAssessment = {
	entity: "risk.assessment",
	id: (p: { assessment: RiskAssessment }) => p.assessment.id,
	company: (p: { assessment: RiskAssessment }) => p.assessment.company_id,
};

/** One manual assessment written by a user, or the automatic ones scored again for a company. */
export type AssessmentsCreated = { assessment: RiskAssessment; by: string } | { company_id: string; automatic: AssessmentDigest[] };

export const Risk = {
	events: {
		assessmentCreated: event<AssessmentsCreated>()("risk.assessment.created", {
			entity: "risk.assessment",
			id: p => ("assessment" in p ? p.assessment.id : p.company_id),
			company: p => ("assessment" in p ? p.assessment.company_id : p.company_id),
		}),
		assessmentUpdated: event<{ assessment: RiskAssessment; by: string }>()("risk.assessment.updated", ofAssessment),
		assessmentAccepted: event<{ assessment: RiskAssessment; by: string }>()("risk.assessment.accepted", ofAssessment),
		matricesImported: event<{ urns: string[]; domain: string; by: string }>()("risk.matrices.imported", {
			entity: "risk.matrices",
			id: p => p.urns.join(",").slice(0, 200),
			domain: p => p.domain,
		}),
	},
	actions: {
		/** A company's assessments as the caller may read them. */
		list: action<{ id: string; page?: number; page_size?: number; sort?: string }, Page<RiskAssessment>>()("risk.list"),
		/** The company's risks on a matrix's grid (`GET /companies/:id/risk-matrix`). */
		matrix: action<{ id: string; matrix?: string }, RiskMatrixView>()("risk.matrix"),
		/** The automatic assessments scored now (the company review's risk step). */
		assessNow: action<{ id: string }, { rows: RiskAssessment[] }>()("risk.assessNow"),
	},
} as const;
