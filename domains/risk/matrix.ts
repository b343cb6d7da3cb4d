/**
 * Risk matrices as data, in CISO Assistant's library shape (`probability[]`, `impact[]`, `risk[]`, `grid`, where
 * `grid[p][i]` is the index of the risk level for probability p and impact i), importable from its library
 * YAML (objects.risk_matrix[]). Source of the shape: intuitem/ciso-assistant-community, backend/library.
 */
import { parseLibraryYaml } from "../libraries/yaml";
import { gridLevel, RISK_LEVELS } from "./scoring";

export interface MatrixLevel {
	abbreviation?: string;
	name: string;
	description?: string;
	hexcolor?: string;
}

/**
 * Numeric impact bands (a bizops extension of the library shape): the upper bound of each impact level but
 * the last, as a share of the company's equity, EBITDA or cash, so an automatic risk's money exposure lands
 * on the grid.
 */
export interface ImpactBands {
	measure: "equity" | "ebitda" | "cash";
	upper_bounds: number[];
}

export interface RiskMatrix {
	urn: string;
	impact_bands?: ImpactBands;
	ref_id?: string;
	name: string;
	description?: string;
	probability: MatrixLevel[];
	impact: MatrixLevel[];
	risk: MatrixLevel[];
	grid: number[][];
}

export interface MatrixProblem {
	field: string;
	message: string;
	type: string;
}

/** The platform's default: 5 × 5, ISO/IEC 27005-style levels by likelihood × impact (1–4 low, 5–9 medium, 10–16 high, 17–25 critical). */
export const DEFAULT_MATRIX: RiskMatrix = {
	urn: "urn:bizops:risk:matrix:default-5x5",
	ref_id: "default-5x5",
	name: "bizops 5×5",
	description: "Likelihood × impact 1–4 low, 5–9 medium, 10–16 high, 17–25 critical",
	probability: ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"].map(name => ({ name })),
	impact: ["Negligible", "Minor", "Moderate", "Major", "Severe"].map(name => ({ name })),
	risk: RISK_LEVELS.map(name => ({ name })),
	// convention: losses up to 1 %, 5 %, 10 % and 25 % of equity, and above
	impact_bands: { measure: "equity", upper_bounds: [0.01, 0.05, 0.1, 0.25] },
	grid: Array.from({ length: 5 }, (_, p) => Array.from({ length: 5 }, (_, i) => RISK_LEVELS.indexOf(gridLevel(p + 1, i + 1)))),
};

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function levels(raw: unknown, field: string, problems: MatrixProblem[]): MatrixLevel[] {
	if (!Array.isArray(raw) || raw.length < 2 || raw.length > 10) {
		problems.push({ field, message: "must be a list of 2 to 10 levels", type: "array" });
		return [];
	}
	return raw.map((level, i) => {
		if (!isObject(level) || typeof level.name !== "string" || !level.name) problems.push({ field: `${field}[${i}].name`, message: "each level needs a name", type: "string" });
		const l = (isObject(level) ? level : {}) as Record<string, unknown>;
		return {
			name: String(l.name ?? ""),
			...(typeof l.abbreviation === "string" ? { abbreviation: l.abbreviation } : {}),
			...(typeof l.description === "string" ? { description: l.description } : {}),
			...(typeof l.hexcolor === "string" ? { hexcolor: l.hexcolor } : {}),
		};
	});
}

/** One matrix checked: levels named, the grid probability × impact, every cell a risk level's index. */
export function checkMatrix(raw: unknown, field = "risk_matrix"): { matrix?: RiskMatrix; problems: MatrixProblem[] } {
	const problems: MatrixProblem[] = [];
	if (!isObject(raw)) return { problems: [{ field, message: "must be a risk matrix object", type: "object" }] };
	if (typeof raw.urn !== "string" || !/^urn:[a-z0-9][a-z0-9-]*:[\w:.-]+$/i.test(raw.urn))
		problems.push({ field: `${field}.urn`, message: "must be a URN (urn:<namespace>:…)", type: "urn" });
	if (typeof raw.name !== "string" || !raw.name) problems.push({ field: `${field}.name`, message: "is required", type: "string" });
	const probability = levels(raw.probability, `${field}.probability`, problems);
	const impact = levels(raw.impact, `${field}.impact`, problems);
	const risk = levels(raw.risk, `${field}.risk`, problems);
	const grid = raw.grid;
	if (!Array.isArray(grid) || grid.length !== probability.length)
		problems.push({ field: `${field}.grid`, message: `must have one row per probability level (${probability.length})`, type: "grid" });
	else
		grid.forEach((row, p) => {
			if (!Array.isArray(row) || row.length !== impact.length)
				problems.push({ field: `${field}.grid[${p}]`, message: `must have one cell per impact level (${impact.length})`, type: "grid" });
			else
				row.forEach((cell, i) => {
					if (!Number.isInteger(cell) || cell < 0 || cell >= risk.length)
						problems.push({ field: `${field}.grid[${p}][${i}]`, message: `must be the index of a risk level (0–${risk.length - 1})`, type: "grid" });
				});
		});
	const bands = raw.impact_bands;
	if (bands !== undefined) {
		const ok =
			isObject(bands) &&
			["equity", "ebitda", "cash"].includes(String(bands.measure)) &&
			Array.isArray(bands.upper_bounds) &&
			bands.upper_bounds.length === impact.length - 1 &&
			bands.upper_bounds.every((b, k, all) => typeof b === "number" && b > 0 && (k === 0 || b > (all[k - 1] as number)));
		if (!ok)
			problems.push({
				field: `${field}.impact_bands`,
				message: `must be {measure: equity, ebitda or cash, upper_bounds: ${impact.length - 1} rising shares}`,
				type: "impactBands",
			});
	}
	if (problems.length) return { problems };
	return {
		matrix: {
			...(bands !== undefined ? { impact_bands: bands as unknown as ImpactBands } : {}),
			urn: raw.urn as string,
			...(typeof raw.ref_id === "string" ? { ref_id: raw.ref_id } : {}),
			name: raw.name as string,
			...(typeof raw.description === "string" ? { description: raw.description } : {}),
			probability,
			impact,
			risk,
			grid: grid as number[][],
		},
		problems,
	};
}

/** The risk matrices of a CISO Assistant library (YAML text), each checked. */
export function parseMatrixLibrary(text: string): { matrices: RiskMatrix[]; problems: MatrixProblem[] } {
	const { doc, problem } = parseLibraryYaml(text);
	if (problem) return { matrices: [], problems: [problem] };
	const list = isObject(doc) && isObject(doc.objects) ? doc.objects.risk_matrix : undefined;
	if (!Array.isArray(list) || !list.length) return { matrices: [], problems: [{ field: "content", message: "no objects.risk_matrix in this library", type: "library" }] };
	const matrices: RiskMatrix[] = [];
	const problems: MatrixProblem[] = [];
	list.forEach((raw, k) => {
		const checked = checkMatrix(raw, `objects.risk_matrix[${k}]`);
		if (checked.matrix) matrices.push(checked.matrix);
		problems.push(...checked.problems);
	});
	return { matrices, problems };
}

/** The risk level of a grid position (1-based likelihood and impact) in a matrix. */
export function matrixLevel(matrix: RiskMatrix, likelihood: number, impact: number): { index: number; name: string } {
	const index = matrix.grid[likelihood - 1][impact - 1];
	return { index, name: matrix.risk[index].name };
}

/** The impact level (1-based) of a money exposure on a matrix with bands; null without bands or a usable measure. */
export function impactOfExposure(matrix: RiskMatrix, exposure: number, measure: number | null): number | null {
	if (!matrix.impact_bands || measure == null || measure <= 0) return null;
	const share = Math.max(0, exposure) / measure;
	const index = matrix.impact_bands.upper_bounds.findIndex(bound => share <= bound);
	return (index < 0 ? matrix.impact_bands.upper_bounds.length : index) + 1;
}

/** The likelihood level (1-based) of a 0–100 score, in even bands over the matrix's probability levels. */
export function likelihoodOfScore(matrix: RiskMatrix, score: number): number {
	const levels = matrix.probability.length;
	return Math.min(levels, Math.floor((Math.max(0, score) / 100) * levels) + 1);
}

/** The grid positions (1-based likelihood × impact) in use that a matrix does not have: what replacing a matrix by it would strand. */
export function positionsOutside(matrix: RiskMatrix, positions: Array<{ likelihood: number; impact: number }>): Array<{ likelihood: number; impact: number }> {
	const seen = new Set<string>();
	const outside: Array<{ likelihood: number; impact: number }> = [];
	for (const { likelihood, impact } of positions) {
		const key = `${likelihood}×${impact}`;
		if (seen.has(key)) continue;
		seen.add(key);
		if (likelihood > matrix.probability.length || impact > matrix.impact.length) outside.push({ likelihood, impact });
	}
	return outside.sort((a, b) => a.likelihood - b.likelihood || a.impact - b.impact);
}
