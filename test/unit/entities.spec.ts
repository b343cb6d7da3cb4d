/**
 * One shape per entity: each OpenAPI schema the API documents (models/openapi-schemas.ts) has exactly the
 * fields of the TypeScript type the services answer with, required where the type requires them, optional
 * where it does not. The types are read with the TypeScript compiler, so a field added to an entity and not
 * to its schema (or the other way round) fails here.
 */
import path from "path";
import ts from "typescript";
import { OPENAPI_SCHEMAS } from "../../models/openapi-schemas";

const ROOT = path.resolve(__dirname, "../..");

/** schema → the type the API answers with, and the file that declares it. */
const ENTITIES: Array<[schema: string, type: string, file: string]> = [
	["User", "User", "models/user.ts"],
	["Principal", "Principal", "models/principal.ts"],
	["ApiKey", "ApiKey", "models/user.ts"],
	["Company", "Company", "models/company.ts"],
	["Statement", "Statement", "models/statement.ts"],
	["OperationalMetrics", "OperationalMetrics", "models/operational-metrics.ts"],
	["Flag", "Flag", "contracts/flags.ts"],
	["Workflow", "Workflow", "contracts/orchestrator.ts"],
	["AuditEntry", "AuditEntryView", "contracts/audit.ts"],
	["AuditVerification", "AuditVerification", "contracts/audit.ts"],
	["ComplianceRecord", "ComplianceRecord", "contracts/compliance.ts"],
	["RiskAssessment", "RiskAssessment", "contracts/risk.ts"],
	["RiskMatrix", "RiskMatrixEntry", "contracts/risk.ts"],
	["StrategicPlan", "PlanView", "contracts/strategy.ts"],
	["MlDataset", "Dataset", "contracts/ml.datasets.ts"],
	["MlModel", "MlModel", "contracts/ml.registry.ts"],
	["MlVersion", "ModelVersionView", "contracts/ml.registry.ts"],
	["MlTransition", "AliasTransition", "contracts/ml.registry.ts"],
	["MlJob", "TrainingJob", "contracts/ml.training.ts"],
	["Readiness", "Readiness", "contracts/api.ts"],
];

describe("entities and their OpenAPI schemas", () => {
	const program = ts.createProgram(
		ENTITIES.map(([, , file]) => path.join(ROOT, file)),
		{ strict: true, noEmit: true, skipLibCheck: true, esModuleInterop: true, resolveJsonModule: true, types: ["node"] },
	);
	const checker = program.getTypeChecker();
	/** field → optional, of an exported type. */
	const fieldsOf = (typeName: string, file: string): Map<string, boolean> => {
		const source = program.getSourceFile(path.join(ROOT, file))!;
		const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find(s => s.name === typeName);
		if (!symbol) throw new Error(`${file} exports no ${typeName}`);
		return new Map(checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).map(p => [p.name, (p.flags & ts.SymbolFlags.Optional) !== 0]));
	};

	it.each(ENTITIES)("%s has the fields of %s, required alike", (schemaName, typeName, file) => {
		const schema = OPENAPI_SCHEMAS[schemaName] as { properties: Record<string, unknown>; required?: string[] };
		const documented = new Map(Object.keys(schema.properties).map(k => [k, !(schema.required ?? []).includes(k)]));
		const declared = fieldsOf(typeName, file);
		expect([...declared.keys()].filter(k => !documented.has(k))).toEqual([]);
		expect([...documented.keys()].filter(k => !declared.has(k))).toEqual([]);
		const optionality = (fields: Map<string, boolean>) =>
			[...fields].filter(([k]) => declared.has(k) && documented.has(k)).map(([k, optional]) => `${k}${optional ? "?" : ""}`);
		expect(optionality(documented).sort()).toEqual(optionality(declared).sort());
	});
});
