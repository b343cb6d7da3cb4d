/**
 * The company review saga (docs/orchestrator.md): its steps in order, per industry from configuration, and
 * the state of a run. A step that succeeded is never run again for the same trigger; a step that fails after
 * its attempts fails the workflow, naming it, and the steps after it are skipped while the results before it
 * stay.
 */
export const REVIEW_STEPS = ["analysis", "risk", "compliance", "swot"] as const;
export type ReviewStep = (typeof REVIEW_STEPS)[number];
export type StepState = "pending" | "running" | "succeeded" | "failed" | "skipped";
export type WorkflowState = "running" | "succeeded" | "failed";

export interface StepRun {
	name: ReviewStep;
	state: StepState;
	attempts: number;
	started_at?: string;
	finished_at?: string;
	duration_ms?: number;
	result?: unknown;
	error?: string;
}

export interface WorkflowConfig {
	company_review: Record<string, ReviewStep[]>;
	max_attempts: number;
	retry_base_ms: number;
	/** ms a running workflow's lease lasts: a workflow whose node has not renewed it for this long is taken over. */
	lease_ms: number;
}

/** The steps for an industry: its own list, else `default`; unknown step names are refused when read. */
export function stepsFor(config: WorkflowConfig, industry: string): ReviewStep[] {
	return config.company_review[industry] ?? config.company_review.default ?? [...REVIEW_STEPS];
}

/** Checks a workflow configuration; the problems, empty when it is sound. */
export function configIssues(config: Partial<WorkflowConfig>): string[] {
	const issues: string[] = [];
	if (!config.company_review?.default) issues.push("company_review.default: the steps for industries not listed are required");
	for (const [industry, steps] of Object.entries(config.company_review ?? {})) {
		if (!Array.isArray(steps) || !steps.length) issues.push(`company_review.${industry}: a list of steps`);
		else
			for (const s of steps)
				if (!(REVIEW_STEPS as readonly string[]).includes(s)) issues.push(`company_review.${industry}: unknown step '${s}' (steps: ${REVIEW_STEPS.join(", ")})`);
	}
	if (!(Number(config.max_attempts) >= 1)) issues.push("max_attempts: at least 1");
	return issues;
}

/** The delay before attempt `attempt` (2, 3, …): base × 2^(attempt − 2). */
export function backoffMs(base: number, attempt: number): number {
	return base * 2 ** Math.max(0, attempt - 2);
}

/** The next step to run (the first not yet succeeded), or null when all have. */
export function nextStep(steps: StepRun[]): StepRun | null {
	return steps.find(s => s.state !== "succeeded") ?? null;
}
