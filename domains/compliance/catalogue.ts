/**
 * The regulation catalogue (docs/compliance.md): per regulation, the industries it applies to, its review
 * cadence, and its requirements: quantitative rules evaluated on the company's KPIs and analysis (threshold
 * and source cited), and attestations a user answers with evidence that expires.
 */

/**
 * Where a rule's observed value comes from: a KPI of the company's industry module (of its latest metrics, or of
 * the period `period_end` when given), or its finance analysis.
 */
export type Figure = { kpi: string; period_end?: string } | { analysis: "beneish_m_score" };

export interface RuleRequirement {
	id: string;
	kind: "rule";
	text: string;
	figure: Figure;
	/** `>=`: met at or above `threshold`; `<=`: met at or below it. */
	op: ">=" | "<=";
	threshold: number;
	/**
	 * A stricter level: between `threshold` and `full` the requirement is partially met (e.g. above a capital
	 * minimum but inside the conservation buffer). Absent: met or not.
	 */
	full?: number;
	severity: "high" | "medium" | "low";
	/** A breach raises a review flag instead of a violation (e.g. SOX on the Beneish M-score). */
	flag_only?: boolean;
	source: string;
	/** The stable URN of the framework node it came from (imported frameworks). */
	urn?: string;
}

export interface AttestationRequirement {
	id: string;
	kind: "attestation";
	text: string;
	/** Months an answer holds when no expiry is given. */
	validity_months: number;
	urn?: string;
}

export type Requirement = RuleRequirement | AttestationRequirement;

export interface Regulation {
	id: string;
	name: string;
	/** Industry ids, or "all". */
	industries: string[] | "all";
	cadence_months: number;
	requirements: Requirement[];
	source: string;
	/** Imported frameworks: the framework's URN. */
	urn?: string;
}

const attestation = (id: string, text: string, validity_months = 12): AttestationRequirement => ({ id, kind: "attestation", text, validity_months });
const BASEL = "BCBS, Basel III (2010, rev. 2011)";

export const REGULATIONS: Regulation[] = [
	{
		id: "basel_iii",
		name: "Basel III capital, leverage and liquidity",
		industries: ["financial_services"],
		cadence_months: 3,
		source: "BCBS Basel III framework; leverage ratio (2014); LCR (BCBS 238, 2013); NSFR (BCBS 295, 2014)",
		requirements: [
			{
				id: "cet1_minimum",
				kind: "rule",
				text: "CET1 ratio ≥ 4.5 % (7 % with the conservation buffer)",
				figure: { kpi: "cet1_ratio" },
				op: ">=",
				threshold: 0.045,
				full: 0.07,
				severity: "high",
				source: BASEL,
			},
			{
				id: "tier1_minimum",
				kind: "rule",
				text: "Tier 1 ratio ≥ 6 % (8.5 % with the buffer)",
				figure: { kpi: "tier1_ratio" },
				op: ">=",
				threshold: 0.06,
				full: 0.085,
				severity: "high",
				source: BASEL,
			},
			{
				id: "total_capital_minimum",
				kind: "rule",
				text: "Total capital ratio ≥ 8 % (10.5 % with the buffer)",
				figure: { kpi: "total_capital_ratio" },
				op: ">=",
				threshold: 0.08,
				full: 0.105,
				severity: "high",
				source: BASEL,
			},
			{
				id: "leverage_minimum",
				kind: "rule",
				text: "Leverage ratio ≥ 3 %",
				figure: { kpi: "leverage_ratio" },
				op: ">=",
				threshold: 0.03,
				severity: "high",
				source: "BCBS, Basel III leverage ratio framework (2014)",
			},
			{
				id: "lcr_minimum",
				kind: "rule",
				text: "Liquidity coverage ratio ≥ 100 %",
				figure: { kpi: "lcr" },
				op: ">=",
				threshold: 1,
				severity: "high",
				source: "BCBS 238 (2013)",
			},
			{
				id: "nsfr_minimum",
				kind: "rule",
				text: "Net stable funding ratio ≥ 100 %",
				figure: { kpi: "nsfr" },
				op: ">=",
				threshold: 1,
				severity: "high",
				source: "BCBS 295 (2014)",
			},
			attestation("capital_plan", "Capital plan approved by the board"),
		],
	},
	{
		id: "aml_kyc",
		name: "Anti-money laundering and know your customer",
		industries: ["financial_services"],
		cadence_months: 12,
		source: "FATF Recommendations (2012, updated); US Bank Secrecy Act; EU AMLD",
		requirements: [
			attestation("customer_due_diligence", "Customer due diligence programme in place"),
			attestation("sanctions_screening", "Sanctions screening of customers and transactions"),
			attestation("suspicious_activity_reporting", "Suspicious-activity reporting procedure"),
			attestation("independent_test", "Independent test of the programme within 12 months"),
		],
	},
	{
		id: "sox",
		name: "Sarbanes-Oxley internal control over financial reporting",
		industries: "all",
		cadence_months: 12,
		source: "Sarbanes-Oxley Act of 2002, sections 302 and 404",
		requirements: [
			{
				id: "earnings_manipulation_review",
				kind: "rule",
				text: "Beneish M-score ≤ −1.78; above it the statements are reviewed (a flag, not a violation)",
				figure: { analysis: "beneish_m_score" },
				op: "<=",
				threshold: -1.78,
				severity: "medium",
				flag_only: true,
				source: "Beneish (1999), Financial Analysts Journal 55(5)",
			},
			attestation("icfr_assessment", "Management's assessment of internal control over financial reporting (section 404(a))"),
			attestation("auditor_attestation", "Auditor's attestation of internal control (section 404(b))"),
			attestation("no_material_weakness", "No unremediated material weakness"),
		],
	},
	{
		id: "hipaa",
		name: "HIPAA privacy and security",
		industries: ["healthcare"],
		cadence_months: 12,
		source: "45 CFR Parts 160 and 164 (HIPAA Privacy, Security and Breach Notification Rules)",
		requirements: [
			attestation("security_risk_analysis", "Security risk analysis within 12 months (45 CFR 164.308(a)(1))"),
			attestation("workforce_training", "Workforce security awareness training"),
			attestation("business_associate_agreements", "Business associate agreements in place"),
			attestation("breach_notification", "Breach notification procedure (45 CFR 164.400–414)"),
		],
	},
	{
		id: "iso_9001",
		name: "ISO 9001 quality management",
		industries: ["manufacturing"],
		cadence_months: 12,
		source: "ISO 9001:2015",
		requirements: [
			attestation("quality_policy", "Quality policy established (clause 5.2)"),
			attestation("internal_audit", "Internal audit within 12 months (clause 9.2)"),
			attestation("management_review", "Management review (clause 9.3)"),
		],
	},
	{
		id: "osha",
		name: "OSHA injury and illness recordkeeping",
		industries: ["manufacturing"],
		cadence_months: 12,
		source: "29 CFR 1904",
		requirements: [
			{
				id: "trir_limit",
				kind: "rule",
				text: "Total recordable incident rate ≤ 5.0 (watch above 3.0)",
				figure: { kpi: "trir" },
				op: "<=",
				threshold: 5,
				full: 3,
				severity: "medium",
				source: "OSHA rate per 200,000 hours (29 CFR 1904); bands around the BLS manufacturing average (convention)",
			},
			attestation("injury_log", "OSHA 300 injury and illness log kept"),
			attestation("annual_summary_posted", "OSHA 300A annual summary posted (February to April)"),
		],
	},
	{
		id: "soc2",
		name: "SOC 2",
		industries: ["technology"],
		cadence_months: 12,
		source: "AICPA Trust Services Criteria (2017)",
		requirements: [
			attestation("type2_report", "SOC 2 Type II report covering the last 12 months"),
			attestation("exceptions_remediated", "Exceptions in the report remediated"),
		],
	},
	{
		id: "iso_27001",
		name: "ISO/IEC 27001 information security",
		industries: "all",
		cadence_months: 12,
		source: "ISO/IEC 27001:2022",
		requirements: [
			attestation("isms_scope", "ISMS scope defined (clause 4.3)"),
			attestation("risk_assessment", "Information security risk assessment (clause 6.1.2)"),
			attestation("statement_of_applicability", "Statement of applicability (clause 6.1.3 d)"),
			attestation("internal_audit", "Internal audit within 12 months (clause 9.2)"),
			attestation("certificate_valid", "Certificate valid", 36),
		],
	},
	{
		id: "gdpr",
		name: "GDPR",
		industries: "all",
		cadence_months: 12,
		source: "Regulation (EU) 2016/679",
		requirements: [
			attestation("records_of_processing", "Records of processing activities (Art. 30)"),
			attestation("dpia", "Data protection impact assessments where required (Art. 35)"),
			attestation("breach_notification_72h", "Breach notification within 72 hours (Art. 33)"),
			attestation("dpo", "Data protection officer where required (Art. 37)"),
		],
	},
];

export function regulationsFor(industry: string, all: Regulation[] = REGULATIONS): Regulation[] {
	return all.filter(r => r.industries === "all" || r.industries.includes(industry));
}

export function regulation(id: string, all: Regulation[] = REGULATIONS): Regulation | undefined {
	return all.find(r => r.id === id);
}
