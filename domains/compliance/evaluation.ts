/**
 * A regulation evaluated for one company (docs/compliance.md): each requirement met, partially met, not met
 * or not assessed (missing data or an expired answer is never a pass), the violations, the review flags, the
 * record's status and its next review (the cadence, halved when something is violated).
 */
import crypto from "crypto";
import type { Value } from "../finance/math";
import type { AttestationRequirement, Regulation, RuleRequirement } from "./catalogue";

/**
 * The version of the KPI formulas and rule semantics an evidence was computed with: changed whenever a formula
 * or a rule's meaning changes, so an old evidence is recognisable as such (it is part of the hash).
 */
export const FORMULA_VERSION = "2026-11-27";

export type RequirementStatus = "met" | "partially_met" | "not_met" | "not_assessed";
export type ComplianceStatus = "compliant" | "partially_compliant" | "non_compliant" | "not_assessed";

/** A figure a rule reads, with what it was computed from (the evidence of a computed requirement). */
export interface ObservedFigure {
	value: Value;
	/** The period the figure holds for. */
	period_end: string | null;
	formula?: string;
	inputs?: Record<string, Value>;
}

export interface Attestation {
	answer: boolean;
	evidence: string;
	/** When what is attested took effect (default: when it was answered). */
	effective_date: string;
	expires_at: string;
	by: string;
	attested_at: string;
}

export interface RequirementResult {
	id: string;
	/** The framework node's stable URN (imported frameworks). */
	urn?: string;
	kind: "rule" | "attestation";
	text: string;
	status: RequirementStatus;
	observed?: Value;
	threshold?: number;
	/** For a rule: the computation itself (figure, inputs, formula, period, rule version) and its hash. */
	evidence?: { figure: string; period_end: string | null; formula?: string; inputs?: Record<string, Value>; rule: string; formula_version: string; sha256: string };
	attestation?: Attestation;
	reason?: string;
}

export interface Violation {
	requirement: string;
	observed: Value;
	threshold: number;
	severity: "high" | "medium" | "low";
}

export interface Evaluation {
	regulation_type: string;
	compliance_status: ComplianceStatus;
	requirements: RequirementResult[];
	violations: Violation[];
	review_flags: Array<{ requirement: string; observed: Value; threshold: number; message: string }>;
	assessed_at: string;
	next_review: string;
}

const figureName = (rule: RuleRequirement) => ("kpi" in rule.figure ? `kpi:${rule.figure.kpi}` : `analysis:${rule.figure.analysis}`);
const ruleText = (rule: RuleRequirement) => `${rule.id} ${rule.op} ${rule.threshold}${rule.full != null ? ` (full ${rule.full})` : ""}`;
const passes = (value: number, op: RuleRequirement["op"], level: number) => (op === ">=" ? value >= level : value <= level);

/** One rule on its observed figure; exactly at the threshold is met. */
export function evaluateRule(rule: RuleRequirement, observed: ObservedFigure | undefined): RequirementResult {
	const base = { id: rule.id, kind: "rule" as const, text: rule.text, threshold: rule.threshold };
	if (observed?.value == null) return { ...base, status: "not_assessed", observed: null, reason: `no value for ${figureName(rule)}` };
	const value = observed.value;
	const status: RequirementStatus = !passes(value, rule.op, rule.threshold) ? "not_met" : rule.full != null && !passes(value, rule.op, rule.full) ? "partially_met" : "met";
	const evidence = {
		figure: figureName(rule),
		period_end: observed.period_end,
		formula: observed.formula,
		inputs: observed.inputs,
		rule: ruleText(rule),
		formula_version: FORMULA_VERSION,
	};
	const sha256 = crypto
		.createHash("sha256")
		.update(JSON.stringify({ ...evidence, value }))
		.digest("hex");
	return { ...base, status, observed: value, evidence: { ...evidence, sha256 } };
}

/** An attestation: met or not met as answered, not assessed when unanswered or expired. */
export function evaluateAttestation(requirement: AttestationRequirement, attestation: Attestation | undefined, now: Date): RequirementResult {
	const base = { id: requirement.id, kind: "attestation" as const, text: requirement.text };
	if (!attestation) return { ...base, status: "not_assessed", reason: "not attested" };
	if (Date.parse(attestation.expires_at) <= now.getTime())
		return { ...base, status: "not_assessed", attestation, reason: `the attestation expired on ${attestation.expires_at}` };
	// what takes effect later does not hold yet (refused at the input; kept here for records written before)
	if (attestation.effective_date > now.toISOString().slice(0, 10))
		return { ...base, status: "not_assessed", attestation, reason: `the attestation takes effect on ${attestation.effective_date}` };
	return { ...base, status: attestation.answer ? "met" : "not_met", attestation };
}

/**
 * When an attestation holds: from its effective date (today by default; never later than today, or it would
 * count as met before it holds) until `expires_at`, which may not pass the requirement's validity counted from
 * the effective date (by default it is that). The problems, or the window.
 */
export function attestationWindow(
	input: { effective_date?: string; expires_at?: string },
	validityMonths: number,
	now: Date,
): { effective_date: string; expires_at: string } | { problems: Array<{ field: string; message: string; type: string; actual?: string }> } {
	const today = now.toISOString().slice(0, 10);
	const effective = input.effective_date ?? today;
	if (effective > today)
		return {
			problems: [
				{ field: "effective_date", message: `effective_date: cannot be after today (${today}): it would count as met before it holds`, type: "dateMax", actual: effective },
			],
		};
	const latest = addMonths(new Date(`${effective}T00:00:00Z`), validityMonths);
	const expires = input.expires_at ? new Date(input.expires_at).toISOString() : latest;
	if (Date.parse(expires) <= now.getTime())
		return {
			problems: [
				{
					field: "expires_at",
					message: input.expires_at
						? "expires_at: must be in the future"
						: `expires_at: the attestation's validity (${validityMonths} months from ${effective}) has passed`,
					type: "dateMin",
					actual: input.expires_at,
				},
			],
		};
	if (Date.parse(expires) > Date.parse(latest))
		return {
			problems: [
				{
					field: "expires_at",
					message: `expires_at: at most ${latest} (the requirement's validity of ${validityMonths} months from its effective date ${effective})`,
					type: "dateMax",
					actual: input.expires_at,
				},
			],
		};
	return { effective_date: effective, expires_at: expires };
}

/** `from` moved by `months`, kept within the month (31 March + 3 months = 30 June); a half month counts as 15 days. */
export function addMonths(from: Date, months: number): string {
	const whole = Math.floor(months);
	const monthIndex = from.getUTCFullYear() * 12 + from.getUTCMonth() + whole;
	const year = Math.floor(monthIndex / 12);
	const month = monthIndex - year * 12;
	const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
	const d = new Date(from.getTime());
	d.setUTCFullYear(year, month, Math.min(from.getUTCDate(), lastDay));
	if (months > whole) d.setUTCDate(d.getUTCDate() + Math.round((months - whole) * 30.4375));
	return d.toISOString();
}

/** The status of a record from its requirements' statuses. */
export function complianceStatusOf(statuses: RequirementStatus[]): ComplianceStatus {
	if (statuses.includes("not_met")) return "non_compliant";
	if (statuses.every(s => s === "not_assessed")) return "not_assessed";
	if (statuses.every(s => s === "met")) return "compliant";
	return "partially_compliant"; // something partially met, or not assessed beside what is met: never a full pass
}

export function evaluateRegulation(
	regulation: Regulation,
	figures: (rule: RuleRequirement) => ObservedFigure | undefined,
	attestations: Record<string, Attestation>,
	now: Date,
): Evaluation {
	const requirements = regulation.requirements.map(r => {
		const result = r.kind === "rule" ? evaluateRule(r, figures(r)) : evaluateAttestation(r, attestations[r.id], now);
		return r.urn ? { ...result, urn: r.urn } : result;
	});
	const violations: Violation[] = [];
	const flags: Evaluation["review_flags"] = [];
	for (const result of requirements) {
		const requirement = regulation.requirements.find(r => r.id === result.id)!;
		if (requirement.kind === "rule" && requirement.flag_only) {
			if (result.status === "not_met" || result.status === "partially_met") {
				flags.push({ requirement: result.id, observed: result.observed ?? null, threshold: requirement.threshold, message: requirement.text });
				result.status = "met"; // a flag asks for a review; it is not a breach
			}
			continue;
		}
		if (result.status === "not_met")
			violations.push({
				requirement: result.id,
				observed: result.observed ?? null,
				threshold: requirement.kind === "rule" ? requirement.threshold : 1,
				severity: requirement.kind === "rule" ? requirement.severity : "high",
			});
		else if (result.status === "partially_met" && requirement.kind === "rule")
			violations.push({ requirement: result.id, observed: result.observed ?? null, threshold: requirement.full!, severity: "low" });
	}
	const status = complianceStatusOf(requirements.map(r => r.status));
	const breached = requirements.some(r => r.status === "not_met");
	return {
		regulation_type: regulation.id,
		compliance_status: status,
		requirements,
		violations,
		review_flags: flags,
		assessed_at: now.toISOString(),
		next_review: addMonths(now, breached ? regulation.cadence_months / 2 : regulation.cadence_months),
	};
}
