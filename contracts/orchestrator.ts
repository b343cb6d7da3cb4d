/** orchestrator (services/orchestrator.service.ts): the company review, a workflow run on every change of a company's figures. */
import type { AnalysisHighlights } from "../domains/finance/analysis";
import type { ReviewStep, StepRun, WorkflowState } from "../domains/orchestration/workflow";
import type { Page } from "../models/common";
import { action, event } from "./contract";

export interface Workflow {
	id: string;
	type: "company_review";
	company_id: string;
	industry: string;
	trigger: { source: string; change_id: string; period_end?: string };
	state: WorkflowState;
	steps: StepRun[];
	failed_step?: ReviewStep;
	node?: string;
	lease_until?: string;
	started_at: string;
	finished_at?: string;
	created_at: string;
	updated_at: string;
}

/** What the analysis step keeps of the analysis (the company overview shows its highlights). */
export interface AnalysisStepResult {
	period_end: string;
	highlights: AnalysisHighlights;
}

/** A step's result: the analysis step's is read by the company overview. */
export type StepOutcome = { step: "analysis"; result: AnalysisStepResult } | { step: Exclude<ReviewStep, "analysis">; result: unknown };

/** Every workflow event names its run, when it started (the later run wins in the overview) and its company. */
interface RunEvent {
	workflow_id: string;
	started_at: string;
	company_id: string;
}
const ofRun = { entity: "orchestrator.workflow", id: (p: RunEvent) => p.workflow_id, company: (p: RunEvent) => p.company_id };

export const Orchestrator = {
	events: {
		workflowStarted: event<RunEvent & { trigger: string; change_id?: string; steps: ReviewStep[] }>()("orchestrator.workflow.started", ofRun),
		stepSucceeded: event<RunEvent & { attempts: number } & StepOutcome>()("orchestrator.step.succeeded", { ...ofRun, entity: "orchestrator.step" }),
		workflowFailed: event<RunEvent & { step: ReviewStep; attempts: number; error?: string }>()("orchestrator.workflow.failed", ofRun),
		workflowCompleted: event<RunEvent & { steps: ReviewStep[] }>()("orchestrator.workflow.completed", ofRun),
	},
	actions: {
		list: action<{ company_id?: string; state?: WorkflowState; page?: number; page_size?: number }, Page<Workflow>>()("orchestrator.list"),
	},
} as const;
