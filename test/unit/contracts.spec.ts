/**
 * The contracts between services (contracts/): every action a contract names exists in its service, the
 * docs list them as declared, and a renamed payload field is a compile error where it is read.
 */
import fs from "fs";
import path from "path";
import ts from "typescript";
import type { ServiceBroker } from "moleculer";
import { ARCHITECTURE_DOC } from "../../bin/docs";
import {
	Audit,
	Auth,
	Companies,
	Compliance,
	Domains,
	EVENTS,
	Finance,
	Flags,
	MlPrediction,
	MlRegistry,
	MlTraining,
	Orchestrator,
	Overview,
	Gateway,
	Risk,
	Strategy,
} from "../../contracts";
import type { ActionContract } from "../../contracts/contract";
import { withContracts } from "../../contracts/doc";
import { call, emit, sendToChannel } from "../../lib/contract-calls";

const ROOT = path.resolve(__dirname, "../..");
const SERVICES_DIR = path.join(ROOT, "services");

type Schema = { name: string; actions?: Record<string, unknown>; mixins?: Schema[] };
const schemas = new Map<string, Schema>(
	fs
		.readdirSync(SERVICES_DIR)
		.filter(f => f.endsWith(".service.ts"))
		.map(f => require(path.join(SERVICES_DIR, f)).default as Schema)
		.map(s => [s.name, s]),
);
const actionsOf = (s: Schema): string[] => [...Object.keys(s.actions ?? {}), ...(s.mixins ?? []).flatMap(actionsOf)];

describe("contracts between services", () => {
	it("name only actions their services define", () => {
		const contracts = [Audit, Auth, Companies, Compliance, Domains, Finance, Flags, MlPrediction, MlRegistry, MlTraining, Orchestrator, Overview, Gateway, Risk, Strategy];
		const declared = contracts.flatMap(c => Object.values(c.actions as Record<string, ActionContract>)).map(a => a.name);
		expect(declared.length).toBeGreaterThan(40);
		const missing = declared.filter(name => {
			const service = name.slice(0, name.lastIndexOf("."));
			const schema = schemas.get(service);
			return !schema || !actionsOf(schema).includes(name.slice(name.lastIndexOf(".") + 1));
		});
		expect(missing).toEqual([]);
	});

	it("give every event one declaration, and every recorded one an entity type", () => {
		const names = [...EVENTS.keys()];
		expect(new Set(names).size).toBe(names.length);
		for (const [name, contract] of EVENTS) {
			expect(contract.name).toBe(name);
			if (contract.subject) expect(contract.subject.entity).toMatch(/^[a-z_.]+$/);
		}
	});

	it("are listed in docs/architecture.md as declared (run `npm run docs` after changing them)", () => {
		const doc = fs.readFileSync(ARCHITECTURE_DOC, "utf8");
		expect(doc).toBe(withContracts(doc));
	});

	it("make a payload field renamed in a contract a compile error in the overview's fold that reads it", () => {
		const contractFile = path.join(ROOT, "contracts", "companies.ts");
		const original = fs.readFileSync(contractFile, "utf8");
		const renamed = original.replace(
			'created: event<{ company: Company; by: string }>()("companies.created", ofCompany)',
			'created: event<{ firm: Company; by: string }>()("companies.created", ofFirm)',
		);
		expect(renamed).not.toBe(original);
		const withFirm = renamed.replace("const ofCompany =", 'const ofFirm = { entity: "companies", id: (p: { firm: Company }) => p.firm.id };\nconst ofCompany =');
		const options: ts.CompilerOptions = {
			strict: true,
			noEmit: true,
			skipLibCheck: true,
			target: ts.ScriptTarget.ES2022,
			module: ts.ModuleKind.CommonJS,
			esModuleInterop: true,
			types: ["node"],
		};
		// the second compile reuses the first one's unchanged files
		let previous: ts.Program | undefined;
		const errorsIn = (source: string) => {
			const host = ts.createCompilerHost(options);
			const read = host.readFile.bind(host);
			host.readFile = file => (path.resolve(file) === contractFile ? source : read(file));
			const getSourceFile = host.getSourceFile.bind(host);
			host.getSourceFile = (file, lang, onError) => (path.resolve(file) === contractFile ? ts.createSourceFile(file, source, lang) : getSourceFile(file, lang, onError));
			const program = ts.createProgram([path.join(ROOT, "lib", "overview-fold.ts")], options, host, previous);
			previous = program;
			return ts
				.getPreEmitDiagnostics(program)
				.filter(d => d.file && path.resolve(d.file.fileName) === path.join(ROOT, "lib", "overview-fold.ts"))
				.map(d => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
		};
		expect(errorsIn(original)).toEqual([]);
		expect(errorsIn(withFirm).join("\n")).toMatch(/Property 'company' does not exist/);
	}, 60_000);
});

// Type-level: `npm run typecheck` fails when any of these compiles (the contracts stopped checking them).
export function typeChecks(broker: ServiceBroker) {
	const company = { id: "c", name: "n", industry: "technology", created_at: "", updated_at: "" };
	// @ts-expect-error a payload without its company
	void emit(broker, Companies.events.created, { by: "u" });
	// @ts-expect-error a misspelt payload field
	void emit(broker, Companies.events.updated, { company, fields: [], byy: "u" });
	// @ts-expect-error a channel message of the wrong shape
	void sendToChannel(broker, Companies.channels.dataChanged, { company_id: "c", source: "dividends" });
	// @ts-expect-error params the action does not take
	void call(broker, Finance.actions.computeAnalysis, { id: "c" });
	// the answer is typed: reading a field it does not have does not compile
	void call(broker, Companies.actions.get, { id: "c" }).then(c => {
		// @ts-expect-error Company has no `title`
		return c.title;
	});
}
