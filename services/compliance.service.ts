/**
 * compliance: the regulation catalogue per industry and a company's compliance records (docs/compliance.md).
 * A record is one regulation evaluated for one company: quantitative rules on its KPIs and analysis, and
 * attestations users answer with evidence that expires. Records re-evaluate themselves when the company's
 * figures change (the durable `companies.data.changed` channel).
 */
import type { Context } from "moleculer";
import { regulation, regulationsFor, REGULATIONS, type Regulation, type RuleRequirement } from "../domains/compliance/catalogue";
import { parseFrameworkLibrary } from "../domains/compliance/framework";
import { attestationWindow, evaluateRegulation, type Attestation, type ComplianceStatus, type ObservedFigure } from "../domains/compliance/evaluation";
import type { Analysis } from "../domains/finance/analysis";
import type { CompanyKpis } from "../domains/industries/module";
import { KeyedLock } from "../lib/keyed-lock";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { clientErrorOf, inlineOrInWorker, LIBRARY_PARSE_LIMITS } from "../lib/worker-thread";
import { ALL_DOMAINS, canChangeOwned } from "../domains/identity/rbac";
import { defineService, NOT_RETRIED } from "../lib/service";
import { createCacheCleanerMixin } from "../mixins/cache-cleaner.mixin";
import { COMPANY_SCOPE_KEYS, createCompanyScopedMixin } from "../mixins/company-scoped.mixin";
import { createDbMixin, createStoreMixin, naturalKey } from "../mixins/db.mixin";
import { createEncryptedStoresMixin } from "../mixins/encrypted-stores.mixin";
import { createPersonalDataMixin } from "../mixins/personal-data.mixin";
import { isoDateParam, isoDateTimeParam, listParams, nowIso, pageOf, pageOfAll, pageParams } from "../models/common";
import { conflict, forbidden, missing, notFound, unprocessable } from "../models/errors";
import { Companies, Compliance, Domains, Finance } from "../contracts";
import { REVIEWED_SOURCES } from "../contracts/companies";
import type { ComplianceRecord } from "../contracts/compliance";
import { call, emit } from "../lib/contract-calls";
import { industryParam } from "../models/industry";

type ComplianceContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

const idParam = { type: "string", min: 1, max: 64 } as const;
/** Worst first. */
const STATUS_ORDER: ComplianceStatus[] = ["non_compliant", "partially_compliant", "not_assessed", "compliant"];
const recordKey = (companyId: string, regulationType: string) => naturalKey(companyId, regulationType);
/** Calls made on the service's own behalf (a channel message has no caller). */
const AS_COMPLIANCE = { meta: { user: servicePrincipal("compliance") } };

const ComplianceService = defineService<{ locks: KeyedLock }>()({
	name: "compliance",
	metadata: { description: "Regulations and compliance records" },
	settings: { rest: "/" },
	mixins: [
		createStoreMixin("frameworks", "compliance_frameworks", [{ fields: { id: 1 }, unique: true }], { cachedAnswers: true }),
		createDbMixin("compliance_records", [{ fields: { record_key: 1 }, unique: true }, { fields: { company_id: 1 } }]),
		createEncryptedStoresMixin({ compliance_records: "store" }),
		// who attested (their id) is in the (encrypted) attestations: found and erased by a scan
		createPersonalDataMixin("compliance records", { mentions: { store: ["attestations.*.by", "requirements[].attestation.by"], frameworks: ["imported_by"] } }),
		createCompanyScopedMixin("compliance"),
		// records read the company's KPIs and analysis
		createCacheCleanerMixin(["domains", "finance"]),
	],

	methods: {
		/** The catalogue and the frameworks imported into it. */
		async allRegulations(): Promise<Regulation[]> {
			const imported = (await this.frameworks.find({ sort: ["id"] })).map(({ _id, ...f }) => f as unknown as Regulation);
			return [...REGULATIONS, ...imported];
		},

		async regulationFor(regulationType: string, industry: string): Promise<Regulation> {
			const all = await this.allRegulations();
			const found = regulation(regulationType, all);
			const applicable = regulationsFor(industry, all).map(r => r.id);
			if (!found)
				throw unprocessable(`Unknown regulation_type '${regulationType}'`, [
					{ field: "regulation_type", message: `must be one of ${applicable.join(", ")}`, type: "enumValue", actual: regulationType },
				]);
			if (!applicable.includes(found.id))
				throw unprocessable(`${found.name} does not apply to ${industry} companies`, [
					{ field: "regulation_type", message: `for ${industry}: one of ${applicable.join(", ")}`, type: "regulationIndustry", actual: regulationType },
				]);
			return found;
		},

		/** The figures the regulation's rules read: the company's latest KPIs and, when a rule needs it, its analysis. */
		async figuresFor(regulationToEvaluate: Regulation, companyId: string, industry: string): Promise<(rule: RuleRequirement) => ObservedFigure | undefined> {
			const rules = regulationToEvaluate.requirements.filter((r): r is RuleRequirement => r.kind === "rule");
			// KPIs per period the rules read: the latest metrics, and any period a rule names (read once each)
			const periods = [...new Set(rules.flatMap(r => ("kpi" in r.figure ? [r.figure.period_end ?? "latest"] : [])))];
			const kpisByPeriod = new Map<string, CompanyKpis | null>();
			for (const period of periods) {
				const params = { company_id: companyId, industry, ...(period === "latest" ? {} : { period_end: period }) };
				const kpis = await call(this.broker, Domains.actions.computeKpis, params, AS_COMPLIANCE).catch(err => {
					if ((err as { code?: number }).code === 404) return null; // no metrics for that period: not assessed
					throw err;
				});
				kpisByPeriod.set(period, kpis);
			}
			const needsAnalysis = rules.some(r => "analysis" in r.figure);
			let analysis: Analysis | null = null;
			if (needsAnalysis) {
				analysis = await call(this.broker, Finance.actions.computeAnalysis, { company_id: companyId, industry }, AS_COMPLIANCE).catch(err => {
					if ((err as { code?: number }).code === 404) return null; // no statements: not assessed
					throw err;
				});
			}
			return rule => {
				if ("kpi" in rule.figure) {
					const name = rule.figure.kpi;
					const kpis = kpisByPeriod.get(rule.figure.period_end ?? "latest");
					const kpi = kpis?.kpis.find(k => k.name === name);
					return kpi ? { value: kpi.value, period_end: kpis!.period_end, formula: kpi.formula, inputs: kpi.inputs } : undefined;
				}
				if (!analysis?.scores.beneish) return undefined;
				return {
					value: analysis.scores.beneish.m_score,
					period_end: analysis.period_end,
					formula: analysis.scores.beneish.definition.m_score,
					inputs: analysis.scores.beneish.indices,
				};
			};
		},

		/** Evaluates the regulation for the company and stores the record (its attestations kept). */
		async evaluateAndStore(companyId: string, industry: string, regulationToEvaluate: Regulation): Promise<ComplianceRecord> {
			const key = recordKey(companyId, regulationToEvaluate.id);
			return this.locks.run(key, async () => {
				const existing = await this.findEntity<ComplianceRecord>({ record_key: key });
				const attestations = existing?.attestations ?? {};
				const evaluation = evaluateRegulation(regulationToEvaluate, await this.figuresFor(regulationToEvaluate, companyId, industry), attestations, new Date());
				const now = nowIso();
				const fields = { ...evaluation, company_id: companyId, industry, attestations, record_key: key, updated_at: now };
				const saved = existing
					? await this.updateEntity<ComplianceRecord>(existing.id, fields)
					: await this.insertEntity<ComplianceRecord>({ _id: this.idForKey(key), ...fields, created_at: now });
				const record = this.publicRecord(saved!);
				emit(this.broker, Compliance.events.recordUpdated, { record });
				return record;
			});
		},

		publicRecord(doc: ComplianceRecord & { record_key?: string }): ComplianceRecord {
			const { record_key: _key, ...record } = doc;
			return record;
		},
	},

	actions: {
		listRegulations: {
			openapi: {
				summary: "List regulations",
				response: "Regulation",
				list: true,
				description: "The catalogue: each regulation's rules (threshold, source), attestations and review cadence; filter `industry` (docs/compliance.md).",
			},
			rest: "GET /regulations",
			role: "viewer",
			params: { $$strict: true, industry: industryParam(true), ...pageParams() },
			cache: { keys: ["industry", "page", "page_size"] },
			async handler(ctx: ComplianceContext<{ industry?: string; page?: number; page_size?: number }>) {
				const all = await this.allRegulations();
				return pageOfAll(ctx.params.industry ? regulationsFor(ctx.params.industry, all) : all, ctx.params.page ?? 1, ctx.params.page_size ?? 20);
			},
		},

		/**
		 * Imports the framework of a CISO Assistant library (its YAML) as a regulation for the given industries:
		 * assessable nodes become attestations, or rules when they carry a data rule. Importing the same framework
		 * again replaces it (its records keep their attestations where the requirement ids are the same).
		 */
		importFramework: {
			openapi: {
				summary: "Import a compliance framework",
				example: { content: "urn: urn:example:risk:library:policy\nname: …\nobjects:\n  framework: …", industries: ["financial_services"], cadence_months: 6 },
				response: "FrameworkImported",
				description: "A framework in the catalogue's format becomes a regulation.",
				errors: [409],
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /frameworks",
			permission: ["admin", "compliance_records"],
			params: {
				$$strict: true,
				content: { type: "string", min: 1, max: 5_000_000 },
				industries: [
					{ type: "equal", value: "all" },
					{ type: "array", min: 1, max: 50, items: industryParam() },
				],
				cadence_months: { type: "number", integer: true, min: 1, max: 60, optional: true, default: 12 },
			},
			async handler(ctx: ComplianceContext<{ content: string; industries: string[] | "all"; cadence_months: number }>) {
				const user = principalOf(ctx);
				const { industries } = ctx.params;
				// a framework applies where its importer may act: its own domains; every industry is a super_admin's call
				if (industries === "all" ? !canChangeOwned(user, ALL_DOMAINS) : industries.some(i => !canChangeOwned(user, i)))
					throw forbidden(
						industries === "all"
							? "A framework for every industry is a super_admin's to import: name your domains' industries"
							: `Not a member of domain ${industries.filter(i => !canChangeOwned(user, i)).join(", ")}: a framework applies to your domains' industries only`,
					);
				const { content, cadence_months } = ctx.params;
				const { regulation: imported, problems } = await inlineOrInWorker(
					content.length,
					"compliance.framework-library",
					{ text: content, industries, cadence_months },
					() => parseFrameworkLibrary(content, industries, cadence_months),
					LIBRARY_PARSE_LIMITS,
				).catch(err => {
					throw clientErrorOf(err, "content", "Parsing this library");
				});
				if (!imported) throw unprocessable(`Not an importable framework library: ${problems[0].field} ${problems[0].message}`, problems);
				if (REGULATIONS.some(r => r.id === imported.id)) throw conflict(`'${imported.id}' is a regulation of the shipped catalogue`, { field: "ref_id", id: imported.id });
				await this.locks.run(`framework|${imported.id}`, async () => {
					const existing = await this.frameworks.findOne({ id: imported.id });
					if (existing && existing.urn !== imported.urn)
						throw conflict(`Another framework (${existing.urn}) is imported as '${imported.id}'`, { field: "ref_id", id: imported.id });
					// replaced only by who may act for every industry it applies to now: no one takes another domain's framework away
					const before = existing?.industries as string[] | "all" | undefined;
					if (before && (before === "all" ? !canChangeOwned(user, ALL_DOMAINS) : before.some(i => !canChangeOwned(user, i))))
						throw conflict(`Framework '${imported.id}' applies to industries outside your domains: only who may act for all of them re-imports it`, {
							field: "ref_id",
							id: imported.id,
						});
					const doc = { ...imported, imported_by: user.username, imported_at: nowIso() };
					if (existing) await this.frameworks.updateById(existing._id, { $set: doc });
					else await this.frameworks.insert(doc);
				});
				emit(ctx, Compliance.events.frameworkImported, { id: imported.id, urn: imported.urn, industries: imported.industries, by: user.id });
				const rules = imported.requirements.filter(r => r.kind === "rule").length;
				return {
					id: imported.id,
					urn: imported.urn,
					name: imported.name,
					industries: imported.industries,
					requirements: imported.requirements.length,
					rules,
					attestations: imported.requirements.length - rules,
				};
			},
		},

		evaluate: {
			openapi: {
				summary: "Evaluate a regulation for a company",
				response: "ComplianceRecord",
				description:
					"Evaluates the regulation on the company's KPIs, analysis and attestations and stores the record; it is evaluated again by itself when its figures change.",
				errors: [409],
				example: { regulation_type: "iso_9001" },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/compliance/evaluate",
			permission: ["write", "compliance_records"],
			params: { $$strict: true, id: idParam, regulation_type: { type: "string", min: 1, max: 40 } },
			async handler(ctx: ComplianceContext<{ id: string; regulation_type: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const found = await this.regulationFor(ctx.params.regulation_type, company.industry);
				return this.evaluateAndStore(company.id, company.industry, found);
			},
		},

		listRecords: {
			openapi: { summary: "List a company's compliance records", response: "ComplianceRecord", list: true },
			rest: "GET /companies/:id/compliance-records",
			permission: ["read", "compliance_records"],
			params: { $$strict: true, id: idParam, ...listParams(["regulation_type", "assessed_at", "next_review", "compliance_status"]) },
			cache: { keys: ["id", "page", "page_size", "sort", ...COMPANY_SCOPE_KEYS], ttl: 60 },
			async handler(ctx: ComplianceContext<{ id: string; page?: number; page_size?: number; sort?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const { page = 1, page_size: pageSize = 20, sort = "regulation_type" } = ctx.params;
				const [records, total] = await Promise.all([
					this.findEntities<ComplianceRecord>({ query: { company_id: company.id }, sort: [sort], limit: pageSize, offset: (page - 1) * pageSize }),
					this.countEntities({ company_id: company.id }),
				]);
				const now = Date.now();
				const all = await this.allRegulations();
				const rows = await Promise.all(
					records.map(async r => {
						// an answer that expired since the record was assessed no longer counts: evaluated again
						const expired = r.requirements.some(q => q.status !== "not_assessed" && q.attestation && Date.parse(q.attestation.expires_at) <= now);
						const found = expired ? regulation(r.regulation_type, all) : undefined;
						return found ? this.evaluateAndStore(r.company_id, r.industry, found) : this.publicRecord(r);
					}),
				);
				return pageOf(rows, total, page, pageSize);
			},
		},

		/** For an officer: every company in the caller's domains with its records by status, worst first. */
		summary: {
			openapi: {
				summary: "Compliance across the portfolio",
				response: "ComplianceSummary",
				description:
					"Every company in the caller's domains by its worst compliance status, worst first (a company without records is `not_assessed`): `companies_by_status` counts companies, `records_by_status` records.",
			},
			rest: "GET /compliance/summary",
			permission: ["read", "compliance_records"],
			params: { $$strict: true, ...pageParams() },
			cache: { keys: ["page", "page_size", ...COMPANY_SCOPE_KEYS], ttl: 60 },
			async handler(ctx: ComplianceContext<{ page?: number; page_size?: number }>) {
				const { page = 1, page_size: pageSize = 20 } = ctx.params;
				const companies = await this.companiesInScope(ctx);
				const records = companies.length ? await this.findEntities<ComplianceRecord>({ query: { company_id: { $in: companies.map(c => c.id) } } }) : [];
				const now = Date.now();
				const none = (): Record<ComplianceStatus, number> => ({ non_compliant: 0, partially_compliant: 0, not_assessed: 0, compliant: 0 });
				// two different counts, each named for what it counts: companies (by their worst record) and records
				const companiesByStatus = none();
				const recordsByStatus = none();
				const rows = companies.map(c => {
					const own = records.filter(r => r.company_id === c.id);
					const byStatus = none();
					for (const r of own) {
						byStatus[r.compliance_status]++;
						recordsByStatus[r.compliance_status]++;
					}
					// a company with no record is not assessed, like one whose records could not be
					const worst = STATUS_ORDER.find(s => byStatus[s] > 0) ?? "not_assessed";
					companiesByStatus[worst]++;
					const overdue = own.filter(r => Date.parse(r.next_review) <= now).map(r => r.regulation_type);
					return { company_id: c.id, name: c.name, industry: c.industry, records: own.length, by_status: byStatus, worst_status: worst, overdue_reviews: overdue };
				});
				const rank = (s: ComplianceStatus) => STATUS_ORDER.indexOf(s);
				rows.sort((a, b) => rank(a.worst_status) - rank(b.worst_status) || b.by_status.non_compliant - a.by_status.non_compliant || a.name.localeCompare(b.name));
				return {
					companies: companies.length,
					companies_by_status: companiesByStatus,
					records: records.length,
					records_by_status: recordsByStatus,
					...pageOfAll(rows, page, pageSize),
				};
			},
		},

		/** Answers an attestation requirement of a record, with evidence and an expiry; the record is evaluated again. */
		attest: {
			openapi: {
				summary: "Attest a requirement",
				example: { answer: true, evidence: "Board minutes 2026-02-14, item 4", effective_date: "2026-02-14" },
				response: "ComplianceRecord",
				description: "Records an attestation (who, when, evidence, until when) and re-evaluates the record.",
			},
			retryPolicy: NOT_RETRIED,
			rest: "PATCH /compliance-records/:id/attestations/:requirement",
			permission: ["write", "compliance_records"],
			params: {
				$$strict: true,
				id: idParam,
				requirement: { type: "string", min: 1, max: 64 },
				answer: { type: "boolean" },
				evidence: { type: "string", min: 1, max: 2000 },
				effective_date: isoDateParam("effective_date", true),
				expires_at: isoDateTimeParam("expires_at", true),
			},
			async handler(ctx: ComplianceContext<{ id: string; requirement: string; answer: boolean; evidence: string; effective_date?: string; expires_at?: string }>) {
				const record = await this.ownedEntity<ComplianceRecord>(ctx, ctx.params.id, "Compliance record");
				const found = regulation(record.regulation_type, await this.allRegulations());
				const requirement = found?.requirements.find(r => r.id === ctx.params.requirement);
				if (!found || !requirement || requirement.kind !== "attestation") {
					const attestable = found?.requirements.filter(r => r.kind === "attestation").map(r => r.id) ?? [];
					throw missing(`No attestation '${ctx.params.requirement}' in ${record.regulation_type}; its attestations: ${attestable.join(", ") || "none"}`, {
						attestations: attestable,
					});
				}
				const now = new Date();
				const window = attestationWindow(ctx.params, requirement.validity_months, now);
				if ("problems" in window) throw unprocessable(window.problems[0].message, window.problems);
				const attestation: Attestation = {
					answer: ctx.params.answer,
					evidence: ctx.params.evidence,
					effective_date: window.effective_date,
					expires_at: window.expires_at,
					by: principalOf(ctx).id,
					attested_at: now.toISOString(),
				};
				await this.locks.run(recordKey(record.company_id, record.regulation_type), async () => {
					const current = await this.findEntityById<ComplianceRecord>(record.id);
					if (!current) throw notFound("Compliance record", record.id);
					await this.updateEntity(record.id, { attestations: { ...current.attestations, [requirement.id]: attestation } });
				});
				return this.evaluateAndStore(record.company_id, record.industry, found);
			},
		},
	},

	channels: {
		[Companies.channels.dataChanged.name]: {
			group: "compliance",
			/**
			 * The company's operational metrics changed: every record it has is evaluated again (idempotent: it
			 * recomputes). A statement or price change is the company review's (orchestrator): it re-evaluates the
			 * records after the analysis and the risk assessment, in that order, rather than both doing it.
			 */
			async handler(payload) {
				if (REVIEWED_SOURCES.includes(payload.source)) return;
				const records = await this.findEntities<ComplianceRecord>({ query: { company_id: payload.company_id } });
				const all = records.length ? await this.allRegulations() : [];
				for (const record of records) {
					const found = regulation(record.regulation_type, all);
					if (found) await this.evaluateAndStore(record.company_id, record.industry, found);
				}
			},
		},
	},

	created() {
		this.locks = new KeyedLock();
	},
});

export default ComplianceService;
