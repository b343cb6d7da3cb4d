/** Regulations evaluated on hand-made figures: thresholds exactly at the edge, buffers, flags, expiry, aggregation. */
import { regulation, regulationsFor, type RuleRequirement } from "../../domains/compliance/catalogue";
import { complianceStatusOf, evaluateRegulation, evaluateRule, FORMULA_VERSION, type Attestation } from "../../domains/compliance/evaluation";
import { parseFrameworkLibrary } from "../../domains/compliance/framework";
import { LIQUIDITY_POLICY_LIBRARY } from "../helpers/fixtures";

const basel = regulation("basel_iii")!;
const rule = (id: string) => basel.requirements.find(r => r.id === id) as RuleRequirement;
const now = new Date("2025-03-31T12:00:00Z");
const attested = (answer: boolean, expires_at = "2026-03-31T00:00:00Z"): Attestation => ({
	answer,
	evidence: "board minutes 2025-02-14",
	effective_date: "2025-02-14",
	expires_at,
	by: "u1",
	attested_at: "2025-02-14T10:00:00Z",
});
const kpis = (values: Record<string, number | null>) => (r: RuleRequirement) =>
	"kpi" in r.figure && r.figure.kpi in values ? { value: values[r.figure.kpi], period_end: "2024-12-31" } : undefined;

describe("a rule", () => {
	it("is met exactly at the minimum's edge only when there is no buffer; within the buffer it is partially met", () => {
		expect(evaluateRule(rule("leverage_minimum"), { value: 0.03, period_end: "2024-12-31" }).status).toBe("met");
		expect(evaluateRule(rule("leverage_minimum"), { value: 0.0299, period_end: "2024-12-31" }).status).toBe("not_met");
		expect(evaluateRule(rule("cet1_minimum"), { value: 0.045, period_end: "2024-12-31" }).status).toBe("partially_met");
		expect(evaluateRule(rule("cet1_minimum"), { value: 0.07, period_end: "2024-12-31" }).status).toBe("met");
		expect(evaluateRule(rule("cet1_minimum"), { value: 0.0449, period_end: "2024-12-31" }).status).toBe("not_met");
	});

	it("with no figure is not assessed, never a pass", () => {
		expect(evaluateRule(rule("lcr_minimum"), undefined)).toMatchObject({ status: "not_assessed", reason: "no value for kpi:lcr" });
		expect(evaluateRule(rule("lcr_minimum"), { value: null, period_end: null }).status).toBe("not_assessed");
	});

	it("carries its computation as evidence, with a hash that changes with the figure", () => {
		const a = evaluateRule(rule("lcr_minimum"), {
			value: 1.2,
			period_end: "2024-12-31",
			formula: "hqla / net_cash_outflows_30d",
			inputs: { hqla: 120, net_cash_outflows_30d: 100 },
		});
		const b = evaluateRule(rule("lcr_minimum"), {
			value: 1.3,
			period_end: "2024-12-31",
			formula: "hqla / net_cash_outflows_30d",
			inputs: { hqla: 130, net_cash_outflows_30d: 100 },
		});
		expect(a.evidence).toMatchObject({ figure: "kpi:lcr", period_end: "2024-12-31", inputs: { hqla: 120 }, rule: "lcr_minimum >= 1", formula_version: FORMULA_VERSION });
		expect(a.evidence!.sha256).toMatch(/^[0-9a-f]{64}$/);
		expect(a.evidence!.sha256).not.toBe(b.evidence!.sha256);
	});
});

describe("a regulation", () => {
	const healthyBank = { cet1_ratio: 0.08, tier1_ratio: 0.09, total_capital_ratio: 0.11, leverage_ratio: 0.05, lcr: 1.2, nsfr: 1.1 };

	it("is compliant when every requirement is met, with the cadence as the next review", () => {
		const e = evaluateRegulation(basel, kpis(healthyBank), { capital_plan: attested(true) }, now);
		expect(e.compliance_status).toBe("compliant");
		expect(e.violations).toEqual([]);
		expect(e.next_review).toBe("2025-06-30T12:00:00.000Z"); // quarterly
	});

	it("below CET1 4.5 %: non-compliant with the violation, and the next review halved", () => {
		const e = evaluateRegulation(basel, kpis({ ...healthyBank, cet1_ratio: 0.04 }), { capital_plan: attested(true) }, now);
		expect(e.compliance_status).toBe("non_compliant");
		expect(e.violations).toEqual([{ requirement: "cet1_minimum", observed: 0.04, threshold: 0.045, severity: "high" }]);
		expect(Date.parse(e.next_review) - now.getTime()).toBeLessThan(50 * 24 * 3600 * 1000); // about 1.5 months
	});

	it("inside a buffer: partially compliant, the buffer breach recorded as a low-severity violation", () => {
		const e = evaluateRegulation(basel, kpis({ ...healthyBank, cet1_ratio: 0.05 }), { capital_plan: attested(true) }, now);
		expect(e.compliance_status).toBe("partially_compliant");
		expect(e.violations).toEqual([{ requirement: "cet1_minimum", observed: 0.05, threshold: 0.07, severity: "low" }]);
	});

	it("missing figures and an expired attestation make it partially compliant, not compliant", () => {
		const e = evaluateRegulation(basel, kpis({ ...healthyBank, nsfr: null }), { capital_plan: attested(true, "2025-03-01T00:00:00Z") }, now);
		expect(e.requirements.find(r => r.id === "nsfr_minimum")!.status).toBe("not_assessed");
		expect(e.requirements.find(r => r.id === "capital_plan")).toMatchObject({ status: "not_assessed", reason: "the attestation expired on 2025-03-01T00:00:00Z" });
		expect(e.compliance_status).toBe("partially_compliant");
		expect(evaluateRegulation(basel, () => undefined, {}, now).compliance_status).toBe("not_assessed");
	});

	it("a SOX review flag is raised by the Beneish M-score, not a violation", () => {
		const sox = regulation("sox")!;
		const answers = { icfr_assessment: attested(true), auditor_attestation: attested(true), no_material_weakness: attested(true) };
		const flagged = evaluateRegulation(sox, () => ({ value: -1.5, period_end: "2024-12-31" }), answers, now);
		expect(flagged.compliance_status).toBe("compliant");
		expect(flagged.review_flags).toEqual([expect.objectContaining({ requirement: "earnings_manipulation_review", observed: -1.5, threshold: -1.78 })]);
		expect(evaluateRegulation(sox, () => ({ value: -2.5, period_end: "2024-12-31" }), answers, now).review_flags).toEqual([]);
	});

	it("an attestation answered no is a violation", () => {
		const e = evaluateRegulation(regulation("soc2")!, () => undefined, { type2_report: attested(false), exceptions_remediated: attested(true) }, now);
		expect(e.compliance_status).toBe("non_compliant");
		expect(e.violations[0].requirement).toBe("type2_report");
	});

	it("applies by industry", () => {
		expect(regulationsFor("financial_services").map(r => r.id)).toEqual(["basel_iii", "aml_kyc", "sox", "iso_27001", "gdpr"]);
		expect(regulationsFor("manufacturing").map(r => r.id)).toEqual(["sox", "iso_9001", "osha", "iso_27001", "gdpr"]);
		expect(complianceStatusOf(["met", "not_assessed"])).toBe("partially_compliant");
	});
});

describe("frameworks from a CISO Assistant library", () => {
	const library = LIQUIDITY_POLICY_LIBRARY;

	it("makes assessable nodes requirements with their URNs: a data rule computed, the rest attested", () => {
		const { regulation: framework, problems } = parseFrameworkLibrary(library, ["financial_services"], 6);
		expect(problems).toEqual([]);
		expect(framework).toMatchObject({ id: "liquidity_policy", urn: "urn:example:risk:framework:liquidity-policy", industries: ["financial_services"], cadence_months: 6 });
		expect(framework!.requirements).toEqual([
			expect.objectContaining({ id: "1_1", kind: "rule", figure: { kpi: "lcr" }, op: ">=", threshold: 1.1, urn: "urn:example:risk:req_node:liquidity-policy:1.1" }),
			expect.objectContaining({ id: "1_2", kind: "attestation", urn: "urn:example:risk:req_node:liquidity-policy:1.2" }),
		]);
		const e = evaluateRegulation(framework!, () => ({ value: 1.05, period_end: "2024-12-31" }), {}, now);
		expect(e.requirements[0]).toMatchObject({ urn: "urn:example:risk:req_node:liquidity-policy:1.1", status: "not_met" });
		expect(e.compliance_status).toBe("non_compliant");
	});

	it("a data rule may name the period it holds for", () => {
		const dated = parseFrameworkLibrary(library.replace("threshold: 1.1 }", "threshold: 1.1, period: '2024-12-31' }"), "all", 12);
		expect(dated.regulation!.requirements[0]).toMatchObject({ figure: { kpi: "lcr", period_end: "2024-12-31" } });
		expect(parseFrameworkLibrary(library.replace("threshold: 1.1 }", "threshold: 1.1, period: 'last year' }"), "all", 12).problems[0].type).toBe("dataRule");
	});

	it("names what is wrong", () => {
		expect(parseFrameworkLibrary("objects: {}", "all", 12).problems[0].message).toMatch(/no objects.framework/);
		expect(parseFrameworkLibrary(library.replace("op: '>='", "op: '=='"), "all", 12).problems[0]).toMatchObject({
			field: "objects.framework.requirement_nodes[1].data_rule",
			type: "dataRule",
		});
		expect(parseFrameworkLibrary(library.replace("urn: urn:example:risk:framework:liquidity-policy", "urn: nope"), "all", 12).problems[0].field).toBe("objects.framework.urn");
	});
});
