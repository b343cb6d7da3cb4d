/**
 * Objectives and key results (docs/strategy.md). A key result's progress is (current − start) / (target −
 * start), clamped to [0, 1] (it works for "reduce" targets too, where target < start); an objective's score is
 * the weighted mean of its key results' progress; grades as Google's re:Work OKR guide reads them: 0.7 and
 * above green, 0.4 and above yellow, red below.
 */

export const GRADES = { green: 0.7, yellow: 0.4 } as const;
export type Grade = "green" | "yellow" | "red";

export interface KeyResult {
	id: string;
	description: string;
	start: number;
	target: number;
	current: number;
	/** Relative weight within its objective (default 1). */
	weight?: number;
}

export interface Objective {
	id: string;
	title: string;
	key_results: KeyResult[];
}

/** A key result's progress; a target equal to its start (hold a level) is met while current equals it. */
export function keyResultProgress(kr: Pick<KeyResult, "start" | "target" | "current">): number {
	if (kr.target === kr.start) return kr.current === kr.target ? 1 : 0;
	const p = (kr.current - kr.start) / (kr.target - kr.start);
	return Math.min(1, Math.max(0, p));
}

export function grade(score: number): Grade {
	return score >= GRADES.green ? "green" : score >= GRADES.yellow ? "yellow" : "red";
}

/** The objective's score (weighted mean of its key results' progress, null without key results) and grade. */
export function objectiveScore(objective: Pick<Objective, "key_results">): { score: number | null; grade: Grade | null } {
	const weights = objective.key_results.map(kr => kr.weight ?? 1);
	const total = weights.reduce((a, b) => a + b, 0);
	if (!objective.key_results.length || total <= 0) return { score: null, grade: null };
	const score = objective.key_results.reduce((sum, kr, i) => sum + weights[i] * keyResultProgress(kr), 0) / total;
	const rounded = Math.round(score * 1000) / 1000;
	return { score: rounded, grade: grade(rounded) };
}
