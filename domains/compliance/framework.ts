/**
 * Frameworks from a CISO Assistant library (its YAML: objects.framework with requirement_nodes, each with a
 * stable URN; source of the shape: intuitem/ciso-assistant-community, backend/library) made regulations of
 * the catalogue: each assessable node an attestation, or a computed rule when it carries a data rule
 * `{metric, op, threshold, period?}` (a bizops extension: metric is a KPI of the company's industry module,
 * period `latest` (the default) or the period_end of the metrics it holds for).
 */
import { isIsoDate } from "../../models/common";
import { parseLibraryYaml } from "../libraries/yaml";
import type { Regulation, Requirement } from "./catalogue";

export interface FrameworkProblem {
	field: string;
	message: string;
	type: string;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const slug = (s: string) =>
	s
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, "_")
		.replace(/^_|_$/g, "")
		.slice(0, 40);

/** The framework of a library as a regulation applying to `industries`, reviewed every `cadenceMonths`. */
export function parseFrameworkLibrary(text: string, industries: string[] | "all", cadenceMonths: number): { regulation?: Regulation; problems: FrameworkProblem[] } {
	const { doc, problem } = parseLibraryYaml(text);
	if (problem) return { problems: [problem] };
	const framework = isObject(doc) && isObject(doc.objects) ? doc.objects.framework : undefined;
	if (!isObject(framework)) return { problems: [{ field: "content", message: "no objects.framework in this library", type: "library" }] };
	const problems: FrameworkProblem[] = [];
	const urn = framework.urn;
	if (typeof urn !== "string" || !/^urn:[a-z0-9][a-z0-9-]*:[\w:.-]+$/i.test(urn)) problems.push({ field: "objects.framework.urn", message: "must be a URN", type: "urn" });
	const name = typeof framework.name === "string" ? framework.name : "";
	if (!name) problems.push({ field: "objects.framework.name", message: "is required", type: "string" });
	const id = slug(typeof framework.ref_id === "string" && framework.ref_id ? framework.ref_id : name);
	// the regulation's id in every record and URL: letters or digits it must have
	if (name && !id) problems.push({ field: "objects.framework.ref_id", message: "must contain letters or digits (the regulation's id is made of them)", type: "string" });
	const nodes = framework.requirement_nodes;
	if (!Array.isArray(nodes) || !nodes.length) problems.push({ field: "objects.framework.requirement_nodes", message: "must list the requirement nodes", type: "array" });
	const requirements: Requirement[] = [];
	const seen = new Set<string>();
	(Array.isArray(nodes) ? nodes : []).forEach((node, i) => {
		const at = `objects.framework.requirement_nodes[${i}]`;
		if (!isObject(node) || typeof node.urn !== "string") return void problems.push({ field: `${at}.urn`, message: "each node needs its URN", type: "urn" });
		if (node.assessable !== true) return; // headings and groups
		const reqId = slug(typeof node.ref_id === "string" && node.ref_id ? node.ref_id : node.urn.split(":").pop()!) || `node_${i}`;
		if (seen.has(reqId)) return void problems.push({ field: `${at}.ref_id`, message: `'${reqId}' appears twice`, type: "duplicate" });
		seen.add(reqId);
		const text = [node.ref_id, node.name ?? node.description].filter(x => typeof x === "string" && x).join(" ") || node.urn;
		const rule = node.data_rule;
		if (rule === undefined) return void requirements.push({ id: reqId, kind: "attestation", text: String(text), validity_months: cadenceMonths, urn: node.urn });
		const period = isObject(rule) ? rule.period : undefined;
		const periodOk = period === undefined || period === "latest" || isIsoDate(period);
		if (
			!isObject(rule) ||
			typeof rule.metric !== "string" ||
			(rule.op !== ">=" && rule.op !== "<=") ||
			typeof rule.threshold !== "number" ||
			!Number.isFinite(rule.threshold) ||
			!periodOk
		)
			return void problems.push({
				field: `${at}.data_rule`,
				message: "must be {metric: a KPI name, op: '>=' or '<=', threshold: a number, period?: 'latest' or a calendar date YYYY-MM-DD}",
				type: "dataRule",
			});
		requirements.push({
			id: reqId,
			kind: "rule",
			text: String(text),
			figure: { kpi: rule.metric, ...(typeof period === "string" && period !== "latest" ? { period_end: period } : {}) },
			op: rule.op,
			threshold: rule.threshold,
			severity: rule.severity === "high" || rule.severity === "low" ? rule.severity : "medium",
			source: `${name} (${node.urn})`,
			urn: node.urn,
		});
	});
	if (!problems.length && !requirements.length) problems.push({ field: "objects.framework.requirement_nodes", message: "no assessable node", type: "array" });
	if (problems.length) return { problems };
	return {
		regulation: { id, name, industries, cadence_months: cadenceMonths, requirements, source: `${name} (${urn}), imported from a CISO Assistant library`, urn: urn as string },
		problems,
	};
}
