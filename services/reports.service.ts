/**
 * reports: company and portfolio reports as PDF or XLSX files (docs/reports.md). A report is a job stored
 * before anything runs: every reports node looks for queued jobs (at once when one is queued, and every few
 * seconds), claims one by a conditional update (one node wins) and renews its lease while it reads the
 * platform's answers as the report's owner and renders the file in a worker thread (kept while reports come). A node that dies stops
 * renewing; once the lease lapses another node takes the job over from the start. The file is stored as a
 * content-addressed blob (the ML registry's blob store) and removed with its report after the retention period.
 * Schedules fire on every reports node; the first to store a firing's report runs it.
 */
import { createPersonalDataMixin } from "../mixins/personal-data.mixin";
import { Readable } from "node:stream";
import type { Context } from "moleculer";
import { Cron } from "croner";
import { Auth, Companies, Compliance, Domains, Finance, Overview, Reports, Risk, Strategy } from "../contracts";
import type { PortfolioScope, Report, ReportFileFormat, ReportKind, ReportSchedule } from "../contracts/reports";
import { REPORT_FORMATS_LIST, REPORT_KINDS, REPORT_STATES } from "../contracts/reports";
import type { PlanView } from "../contracts/strategy";
import { packageVersion } from "../config/files";
import { ALL_DOMAINS, canSeeIndustry, roleCan, visibleIndustries, type Principal } from "../domains/identity/rbac";
import { companyReport, TREND_CHARTS, type CompanyReportData } from "../domains/reports/company-report";
import type { ReportDocument } from "../domains/reports/document";
import { portfolioReport, type PortfolioRow } from "../domains/reports/portfolio-report";
import { createBlobStore, type BlobStore } from "../lib/blob-store";
import { broadcast, call, emit } from "../lib/contract-calls";
import { principalOf, type AuthMeta } from "../lib/principal";
import { REPORT_FORMATS } from "../lib/report-render";
import { defineService, NOT_RETRIED } from "../lib/service";
import { ReportThreads } from "../lib/report-threads";
import { scheduleRetention } from "../lib/retention";
import { WorkerLimitError } from "../lib/worker-thread";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { createDbMixin, createStoreMixin, isDuplicateKeyError, naturalKey, SharedKeyringLease, type Doc } from "../mixins/db.mixin";
import { industries } from "../models/industry";
import { listParams, nowIso } from "../models/common";
import { conflict, forbidden, notFound, quotaExceeded, unprocessable } from "../models/errors";

type ReportsContext<P = Record<string, unknown>> = Context<P, AuthMeta & { $responseType?: string; $responseHeaders?: Record<string, string>; $statusCode?: number }>;

const idParam = { type: "string", min: 1, max: 64 } as const;
const POLL_MS = 2000;
const HEARTBEAT_MS = 2000;
/** Schedules are read again every this many polls (30 s). */
const SCHEDULE_RELOAD_POLLS = 15;
/** Plans in the order a report takes the current one from. */
const CURRENT_PLAN_ORDER = ["active", "approved", "under_review", "draft"];

const scopeParam = {
	type: "object",
	optional: true,
	strict: true,
	props: {
		industry: { type: "string", min: 1, max: 40, optional: true },
		company_ids: { type: "array", items: idParam, min: 1, max: 1000, unique: true, optional: true },
	},
} as const;

/** A report job's own state on the node that runs it. */
interface Running {
	report: Report;
	heartbeat?: NodeJS.Timeout;
	/** Taken over or removed meanwhile: the result is dropped. */
	lost: boolean;
	progress: { progress: number; stage: string };
}

/** The reads a report makes, as its owner. */
type AsOwner = { meta: { user: Principal } };

/** `domains` as one sortable key: what the store matches visibility on (every subset the caller sees). */
const domainKey = (domains: string[]) => [...new Set(domains)].sort().join(",");

/** Every non-empty subset of the caller's industries, as keys: the reports whose domains all lie among them. */
function visibleDomainKeys(p: Principal): string[] | null {
	const visible = visibleIndustries(p);
	if (!visible) return null;
	const own = [...new Set(visible)].filter(d => d !== ALL_DOMAINS).sort();
	const keys: string[] = [];
	for (let mask = 1; mask < 1 << Math.min(own.length, 12); mask++) keys.push(own.filter((_, i) => mask & (1 << i)).join(","));
	return keys;
}

const canSeeAll = (p: Principal, domains: string[]) => domains.every(d => (d === ALL_DOMAINS ? visibleIndustries(p) === null : canSeeIndustry(p, d)));

const is4xx = (err: unknown, codes = [404, 409, 422]) => codes.includes((err as { code?: number }).code ?? 0);

const ReportsService = defineService<{
	running: Map<string, Running>;
	pollTimer?: NodeJS.Timeout;
	sweepTimer?: NodeJS.Timeout;
	stopping: boolean;
	blobs: BlobStore;
	renderers: ReportThreads;
	crons: Map<string, Cron>;
}>()({
	name: "reports",
	metadata: { description: "Company and portfolio reports as PDF or XLSX: jobs, their files, their schedules" },
	settings: { rest: "/" },
	mixins: [
		ConfiguredMixin,
		createDbMixin("reports", [
			{ fields: { state: 1 } },
			{ fields: { domain_key: 1, created_at: -1 } },
			{ fields: { schedule_id: 1, created_at: -1 } },
			{ fields: { expires_at: 1 } },
			{ fields: { "file.sha256": 1 } },
			{ fields: { owner_id: 1, state: 1 } },
		]),
		createStoreMixin("schedules", "report_schedules", [{ fields: { owner_id: 1 } }, { fields: { domain_key: 1, created_at: -1 } }]),
		createPersonalDataMixin("reports", { username: ["created_by"], user_id: ["owner_id"] }),
	],

	methods: {
		publicReport(r: Report & { principal?: Principal; domain_key?: string }): Report & { download?: string } {
			const { lease_until: _lease, snapshot: _snapshot, principal: _principal, domain_key: _key, owner_id: _owner, ...rest } = r;
			return { ...rest, ...(r.state === "succeeded" && r.file ? { download: `/api/v1/reports/${r.id}/file` } : {}) } as Report;
		},

		publicSchedule(s: ReportSchedule & { domain_key?: string }): ReportSchedule {
			const { domain_key: _key, owner_id: _owner, ...rest } = s;
			return {
				...rest,
				next_run: this.crons.get(s.id)?.nextRun()?.toISOString() ?? new Cron(s.cron, { timezone: "UTC", paused: true }).nextRun()?.toISOString() ?? null,
			} as ReportSchedule;
		},

		/** The report, when the caller sees every domain of its contents (404 otherwise: its existence is not told). */
		async visibleReport(ctx: ReportsContext, id: string): Promise<Report> {
			const report = await this.findEntityById<Report>(id);
			if (!report || !canSeeAll(principalOf(ctx), report.domains)) throw notFound("Report", id);
			return report;
		},

		async visibleSchedule(ctx: ReportsContext, id: string): Promise<ReportSchedule> {
			const found = await this.schedules.findById(this.schedules.storedId(id));
			const schedule = this.schedules.entity<ReportSchedule>(found);
			if (!schedule || !canSeeAll(principalOf(ctx), schedule.domains)) throw notFound("Report schedule", id);
			return schedule;
		},

		/**
		 * What a report covers and the domains of its contents, checked with the caller's rights: a company the caller
		 * sees (404 otherwise); a portfolio of an industry or of companies the caller sees, or of every company the caller
		 * sees. 422 naming what is wrong.
		 */
		async coverage(
			as: AsOwner,
			kind: ReportKind,
			companyId: string | undefined,
			scope: PortfolioScope | undefined,
		): Promise<{ domains: string[]; company_id?: string; scope?: PortfolioScope }> {
			if (kind === "company") {
				if (!companyId)
					throw unprocessable("company_id: required for a company report", [{ field: "company_id", message: "required for a company report", type: "required" }]);
				if (scope) throw unprocessable("scope: only for a portfolio report", [{ field: "scope", message: "only for a portfolio report", type: "forbidden" }]);
				const company = await call(this.broker, Companies.actions.get, { id: companyId }, as);
				return { domains: [company.industry], company_id: company.id };
			}
			if (companyId)
				throw unprocessable("company_id: only for a company report (a portfolio takes scope)", [
					{ field: "company_id", message: "only for a company report", type: "forbidden" },
				]);
			const user = as.meta.user;
			if (scope?.industry && scope.company_ids)
				throw unprocessable("scope: an industry or company_ids, not both", [{ field: "scope", message: "an industry or company_ids, not both", type: "forbidden" }]);
			if (scope?.industry) {
				if (!industries().includes(scope.industry))
					throw unprocessable(`scope.industry: one of ${industries().join(", ")}`, [
						{ field: "scope.industry", message: `one of ${industries().join(", ")}`, type: "enumValue" },
					]);
				if (!canSeeIndustry(user, scope.industry)) throw forbidden(`Not a member of domain '${scope.industry}'`);
				return { domains: [scope.industry], scope: { industry: scope.industry } };
			}
			if (scope?.company_ids) {
				const found = await this.companiesOf(as, scope.company_ids);
				const missingIds = scope.company_ids.filter(id => !found.some(c => c.id === id));
				if (missingIds.length)
					throw unprocessable(
						`scope.company_ids: no company ${missingIds.slice(0, 5).join(", ")}${missingIds.length > 5 ? ` (and ${missingIds.length - 5} more)` : ""}`,
						[{ field: "scope.company_ids", message: `not companies of yours: ${missingIds.slice(0, 20).join(", ")}`, type: "notFound" }],
					);
				return { domains: [...new Set(found.map(c => c.industry))], scope: { company_ids: scope.company_ids } };
			}
			return { domains: visibleIndustries(user) ?? [ALL_DOMAINS], scope: {} };
		},

		/** Companies by id as the owner sees them (up to 100 per call, a few at a time). */
		async companiesOf(as: AsOwner, ids: string[]): Promise<Array<{ id: string; industry: string }>> {
			const found: Array<{ id: string; industry: string }> = [];
			for (let i = 0; i < ids.length; i += 100) {
				const overviews = await call(this.broker, Overview.actions.list, { company_ids: ids.slice(i, i + 100).join(",") }, as);
				for (const o of overviews.rows) if (o.company) found.push({ id: o.company_id, industry: o.company.industry });
			}
			return found;
		},

		/** Queues a report (the caller's rights checked already); every reports node hears of it. */
		async queueReport(
			fields: Omit<Report, "id" | "created_at" | "updated_at" | "state" | "progress" | "attempts" | "expires_at"> & { principal: Principal },
			key?: string,
		): Promise<Report | null> {
			const now = nowIso();
			const doc = {
				...fields,
				domain_key: domainKey(fields.domains),
				state: "queued",
				progress: 0,
				stage: "queued",
				attempts: 0,
				expires_at: new Date(Date.now() + this.config.reports.retention_days * 86_400_000).toISOString(),
				created_at: now,
				updated_at: now,
			};
			let report: Report;
			try {
				report = this.store.entity<Report>(key ? await this.store.insertKeyed(key, doc) : await this.store.insert(doc))!;
			} catch (err) {
				if (key && isDuplicateKeyError(err)) return null; // another node queued this firing
				throw err;
			}
			void broadcast(this.broker, Reports.events.reportQueued, {
				report_id: report.id,
				kind: report.kind,
				format: report.format,
				company_id: report.company_id,
				by: report.created_by,
			});
			return report;
		},

		/** Takes queued jobs, or ones whose node stopped renewing its lease, while this node has room. */
		async pump(): Promise<void> {
			if (this.stopping) return;
			while (this.running.size < this.config.reports.concurrency) {
				const now = nowIso();
				const lapsed = await this.findEntities<Report>({ query: { state: "running", lease_until: { $lt: now } }, sort: ["created_at"], limit: 5 });
				const candidates = lapsed.length ? lapsed : await this.findEntities<Report>({ query: { state: "queued" }, sort: ["created_at"], limit: 5 });
				let claimed: Report | null = null;
				for (const job of candidates) {
					const condition = job.state === "queued" ? { state: "queued" } : { state: "running", lease_until: job.lease_until };
					// a claim is bookkeeping: no cached answer is cleaned for it
					const won = await this.store.uncached().updateMany(
						{ _id: this.storedId(job.id), ...condition },
						{
							$set: { state: "running", stage: "starting", node: this.broker.nodeID, lease_until: this.leaseUntil(), started_at: now, updated_at: now, progress: 0 },
							$inc: { attempts: 1 },
						},
					);
					if (won === 1) {
						claimed = (await this.findEntityById<Report>(job.id))!;
						break;
					}
				}
				if (!claimed) return;
				if (claimed.attempts > this.config.reports.job_max_attempts) {
					await this.finish(claimed, { state: "failed", error: `gave up after ${claimed.attempts - 1} starts: the report's node stopped each time` });
					continue;
				}
				if (claimed.attempts > 1) this.logger.warn(`Report ${claimed.id} taken over (start ${claimed.attempts}): its node stopped renewing the lease`);
				void this.run(claimed);
			}
		},

		leaseUntil(): string {
			return new Date(Date.now() + this.config.reports.job_lease_ms).toISOString();
		},

		/** Records the job's end (only while this node still holds it) and its event. */
		async finish(report: Report, set: Partial<Report>): Promise<boolean> {
			const now = nowIso();
			const changed = await this.store.updateMany(
				{ _id: this.storedId(report.id), state: "running", node: this.broker.nodeID },
				{ $set: { ...set, stage: set.state === "succeeded" ? "done" : set.state, finished_at: now, updated_at: now }, $unset: { lease_until: "" } },
			);
			if (!changed) return false;
			if (set.state === "succeeded")
				void emit(this.broker, Reports.events.reportSucceeded, { report_id: report.id, company_id: report.company_id, sha256: set.file!.sha256, size: set.file!.size });
			else void emit(this.broker, Reports.events.reportFailed, { report_id: report.id, company_id: report.company_id, error: set.error ?? "failed" });
			return true;
		},

		async run(report: Report & { principal?: Principal }): Promise<void> {
			const entry: Running = { report, lost: false, progress: { progress: 0, stage: "starting" } };
			this.running.set(report.id, entry);
			entry.heartbeat = setInterval(() => void this.heartbeat(entry), HEARTBEAT_MS);
			const started = Date.now();
			try {
				if (!report.principal) throw new Error("the report has no owner to read as");
				const as: AsOwner = { meta: { user: report.principal } };
				const step = (progress: number, stage: string) => (entry.progress = { progress, stage });
				step(0.05, "reading");
				const { document, snapshot } =
					report.kind === "company" ? { document: await this.companyDocument(as, report), snapshot: undefined } : await this.portfolioDocument(as, report, step);
				if (entry.lost) return;
				step(0.6, "rendering");
				const bytes = await this.renderers.render(document, report.format).catch((err: Error) => {
					throw err instanceof WorkerLimitError ? new Error(`rendering ${err.message} (REPORTS_RENDER_MEMORY_MB, REPORTS_RENDER_TIMEOUT_MS)`) : err;
				});
				if (entry.lost) return;
				step(0.9, "storing");
				const { sha256, size } = await this.blobs.put(bytes);
				const file = { sha256, size, content_type: REPORT_FORMATS[report.format].type, filename: this.filenameOf(report, document) };
				const finished = await this.finish(report, { state: "succeeded", progress: 1, file, ...(snapshot ? { snapshot } : {}) });
				if (finished) this.logger.info(`Report ${report.id} (${report.kind}, ${report.format}) done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${size} bytes`);
			} catch (err) {
				const message = (err as Error).message;
				this.logger.warn(`Report ${report.id} failed: ${message}`);
				await this.finish(report, { state: "failed", error: message }).catch(() => undefined);
			} finally {
				clearInterval(entry.heartbeat);
				this.running.delete(report.id);
				setImmediate(() => this.pump().catch(err => this.logger.warn(`Report queue: ${(err as Error).message}`)));
			}
		},

		/** Renews the lease and records the progress; a job removed or taken over meanwhile is dropped. */
		async heartbeat(entry: Running): Promise<void> {
			try {
				const renewed = await this.store
					.uncached()
					.updateMany(
						{ _id: this.storedId(entry.report.id), state: "running", node: this.broker.nodeID },
						{ $set: { ...entry.progress, lease_until: this.leaseUntil(), updated_at: nowIso() } },
					);
				if (renewed === 0) entry.lost = true;
			} catch (err) {
				this.logger.warn(`Lease of report ${entry.report.id} not renewed: ${(err as Error).message}`);
			}
		},

		filenameOf(report: Report, document: ReportDocument): string {
			const slug = document.title
				.toLowerCase()
				.replace(/[^a-z0-9]+/g, "-")
				.replace(/^-|-$/g, "")
				.slice(0, 60);
			return `${slug || report.kind}-${report.created_at.slice(0, 10)}.${REPORT_FORMATS[report.format].extension}`;
		},

		/** A company report's contents, read as the owner: what the owner may not read is not in it. */
		async companyDocument(as: AsOwner, report: Report): Promise<ReportDocument> {
			const id = report.company_id!;
			const orNull = <T>(p: Promise<T>): Promise<T | null> => p.catch(err => (is4xx(err) ? null : Promise.reject(err)));
			const company = await call(this.broker, Companies.actions.get, { id }, as);
			const [analysis, history, kpis, risks, matrix, compliance, plans, statements] = await Promise.all([
				orNull(call(this.broker, Finance.actions.analysis, { id }, as)),
				orNull(call(this.broker, Finance.actions.ratioHistory, { id, ratios: TREND_CHARTS.flatMap(c => c.ratios).join(","), statement_type: "annual" }, as)),
				orNull(call(this.broker, Domains.actions.kpis, { id }, as)),
				call(this.broker, Risk.actions.list, { id, page_size: 100, sort: "-risk_score" }, as),
				orNull(call(this.broker, Risk.actions.matrix, { id }, as)),
				call(this.broker, Compliance.actions.listRecords, { id, page_size: 100 }, as),
				call(this.broker, Strategy.actions.list, { id, page_size: 100, sort: "-updated_at" }, as),
				call(this.broker, Finance.actions.listStatements, { id, page_size: 100, sort: "-period_end" }, as),
			]);
			const data: CompanyReportData = {
				company,
				analysis,
				ratio_history: history?.ratios ?? {},
				kpis,
				risks: risks.rows,
				matrix,
				compliance: compliance.rows,
				plan: this.currentPlan(plans.rows),
				statements: statements.rows,
				generated_at: nowIso(),
				generated_by: as.meta.user.username,
				platform_version: packageVersion(),
			};
			return companyReport(data);
		},

		/** The plan a reader means by "the plan": the active one, else approved, under review, a draft; the newest. */
		currentPlan(plans: PlanView[]): PlanView | null {
			for (const status of CURRENT_PLAN_ORDER) {
				const plan = plans.find(p => p.status === status);
				if (plan) return plan;
			}
			return null;
		},

		/** A portfolio report's contents: the overviews of every company in scope, read as the owner, 100 per call. */
		async portfolioDocument(as: AsOwner, report: Report, step: (progress: number, stage: string) => void): Promise<{ document: ReportDocument; snapshot: PortfolioRow[] }> {
			const scope = report.scope ?? {};
			let ids = scope.company_ids;
			if (!ids) {
				ids = [];
				for (let page = 1; ; page++) {
					const found = await call(this.broker, Companies.actions.list, { page, page_size: 100, ...(scope.industry ? { industry: scope.industry } : {}) }, {
						meta: { ...as.meta, $cache: false },
					} as AsOwner);
					ids.push(...found.rows.map(c => c.id));
					if (ids.length > this.config.reports.max_companies)
						throw new Error(`the scope holds more than ${this.config.reports.max_companies} companies (REPORTS_MAX_COMPANIES): choose an industry or companies`);
					if (page * 100 >= found.total) break;
				}
			}
			const rows: PortfolioRow[] = [];
			for (let i = 0; i < ids.length; i += 100) {
				const overviews = await call(this.broker, Overview.actions.list, { company_ids: ids.slice(i, i + 100).join(",") }, as);
				for (const o of overviews.rows)
					rows.push({
						company_id: o.company_id,
						name: o.company?.name ?? o.company_id,
						ticker: o.company?.ticker ?? null,
						industry: o.company?.industry ?? "",
						period_end: o.analysis?.period_end ?? null,
						altman_z: o.analysis?.altman?.z ?? null,
						zone: o.analysis?.altman?.zone ?? null,
						risk_level: o.risk.level,
						compliance_status: o.compliance.status,
						overdue_actions: o.plans.overdue_actions,
					});
				step(0.05 + 0.5 * Math.min(1, (i + 100) / ids.length), "reading");
			}
			const previous = await this.previousPortfolio(report);
			const scopeText = scope.industry ? `${scope.industry} companies` : scope.company_ids ? `${scope.company_ids.length} companies chosen` : "every company its owner sees";
			const document = portfolioReport({
				scope: scopeText,
				rows,
				previous: previous ? { generated_at: previous.finished_at ?? previous.created_at, rows: previous.snapshot ?? [] } : null,
				generated_at: nowIso(),
				generated_by: as.meta.user.username,
				platform_version: packageVersion(),
			});
			return { document, snapshot: rows };
		},

		/** The owner's last finished portfolio report of the same scope (what moved is counted from it). */
		async previousPortfolio(report: Report): Promise<Report | null> {
			const [previous] = await this.findEntities<Report>({
				query: {
					kind: "portfolio",
					owner_id: report.owner_id,
					state: "succeeded",
					"scope.industry": report.scope?.industry ?? { $exists: false },
					created_at: { $lt: report.created_at },
				},
				sort: ["-created_at"],
				limit: 20,
			}).then(found => found.filter(r => JSON.stringify(r.scope?.company_ids ?? null) === JSON.stringify(report.scope?.company_ids ?? null)));
			return previous ?? null;
		},

		/** Removes a report and, when no other report refers to it, its file. */
		async removeReport(report: Report, by?: string): Promise<void> {
			await this.store.removeById(this.storedId(report.id));
			if (report.file && !(await this.store.findOne({ "file.sha256": report.file.sha256 }))) await this.blobs.delete(report.file.sha256);
			void emit(this.broker, Reports.events.reportDeleted, { report_id: report.id, company_id: report.company_id, ...(by ? { by } : {}) });
		},

		/** Removes the reports past their retention (every node runs it; removing twice removes nothing more). */
		async sweep(): Promise<number> {
			const expired = await this.findEntities<Report>({ query: { expires_at: { $lt: nowIso() }, state: { $in: ["succeeded", "failed"] } }, limit: 500 });
			for (const report of expired) await this.removeReport(report);
			if (expired.length) this.logger.info(`${expired.length} reports past their ${this.config.reports.retention_days} days removed`);
			return expired.length;
		},

		/** Every enabled schedule gets a timer on this node; timers of removed schedules stop. */
		async loadSchedules(): Promise<void> {
			const schedules = (await this.schedules.find({ query: { enabled: true } })).map(d => this.schedules.entity<ReportSchedule>(d)!);
			const ids = new Set(schedules.map(s => s.id));
			for (const [id, cron] of this.crons)
				if (!ids.has(id)) {
					cron.stop();
					this.crons.delete(id);
				}
			for (const schedule of schedules.filter(s => !this.crons.has(s.id)))
				this.crons.set(
					schedule.id,
					new Cron(schedule.cron, { timezone: "UTC", protect: true }, (job: Cron) =>
						this.fire(schedule.id, job.currentRun() ?? new Date()).catch(err => this.logger.warn(`Report schedule ${schedule.id}: ${(err as Error).message}`)),
					),
				);
		},

		/**
		 * One firing of a schedule: its report queued under a key of the schedule and the firing's time, so one
		 * node's insert wins and the others' collide. The owner's role and domains are read now: a report never
		 * shows what its owner may no longer see.
		 */
		async fire(scheduleId: string, firedAt: Date): Promise<void> {
			const schedule = this.schedules.entity<ReportSchedule>(await this.schedules.findById(this.schedules.storedId(scheduleId)));
			if (!schedule?.enabled) return;
			const owner = await call(this.broker, Auth.actions.resolveUser, { id: schedule.owner_id });
			const base = {
				kind: schedule.kind,
				format: schedule.format,
				schedule_id: schedule.id,
				fired_at: firedAt.toISOString(),
				created_by: schedule.created_by,
				owner_id: schedule.owner_id,
			};
			const key = naturalKey("report-schedule", schedule.id, firedAt.toISOString());
			let coverage: { domains: string[]; company_id?: string; scope?: PortfolioScope };
			try {
				if (!owner) throw new Error(`its owner (${schedule.created_by}) no longer exists`);
				coverage = await this.coverage({ meta: { user: owner } }, schedule.kind, schedule.company_id, schedule.scope);
			} catch (err) {
				// recorded as a failed run, once per firing (stored failed: no node takes it), so the schedule's runs say why nothing came
				const now = nowIso();
				const error = `not run: ${(err as Error).message}`;
				const failed = await this.store
					.insertKeyed(key, {
						...base,
						...(schedule.company_id ? { company_id: schedule.company_id } : {}),
						domains: schedule.domains,
						domain_key: domainKey(schedule.domains),
						state: "failed",
						stage: "failed",
						progress: 0,
						attempts: 0,
						error,
						expires_at: new Date(Date.now() + this.config.reports.retention_days * 86_400_000).toISOString(),
						created_at: now,
						updated_at: now,
						finished_at: now,
					})
					.catch(e => (isDuplicateKeyError(e) ? null : Promise.reject(e)));
				if (failed) void emit(this.broker, Reports.events.reportFailed, { report_id: this.store.entity<Report>(failed)!.id, company_id: schedule.company_id, error });
				return;
			}
			const queued = await this.queueReport({ ...base, ...coverage, principal: owner }, key);
			if (queued)
				void emit(this.broker, Reports.events.reportQueued, {
					report_id: queued.id,
					kind: queued.kind,
					format: queued.format,
					company_id: queued.company_id,
					by: schedule.created_by,
				});
		},
	},

	actions: {
		create: {
			openapi: {
				summary: "Request a report",
				description:
					"Queues a company report (`company_id`) or a portfolio report (`scope`: an `industry`, `company_ids`, or neither for every company you see) as a PDF or an XLSX workbook: 202 with the job and its Location. The job runs on a reports node; `GET /reports/{id}` shows its progress, `GET /reports/{id}/file` downloads the file once it succeeded (docs/reports.md).",
				status: 202,
				response: "Report",
				errors: [429],
				example: { kind: "company", company_id: "<company id>", format: "pdf" },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /reports",
			permission: ["write", "financial_data"],
			params: {
				$$strict: true,
				kind: { type: "enum", values: [...REPORT_KINDS] },
				format: { type: "enum", values: [...REPORT_FORMATS_LIST], default: "pdf" },
				company_id: { ...idParam, optional: true },
				scope: scopeParam,
			},
			async handler(ctx: ReportsContext<{ kind: ReportKind; format: ReportFileFormat; company_id?: string; scope?: PortfolioScope }>) {
				const user = principalOf(ctx);
				// the queue is shared: one user's burst must not hold everyone's reports back for hours
				const active = await this.store.count({ query: { owner_id: user.id, state: { $in: ["queued", "running"] } } });
				if (active >= this.config.reports.max_active_per_user)
					throw quotaExceeded(
						`You have ${active} reports queued or being made: at most ${this.config.reports.max_active_per_user} at once (REPORTS_MAX_ACTIVE_PER_USER). Wait for one to finish`,
						{ quota: "reports queued or running per user", limit: this.config.reports.max_active_per_user, current: active },
					);
				const coverage = await this.coverage({ meta: { user } }, ctx.params.kind, ctx.params.company_id, ctx.params.scope);
				const report = (await this.queueReport({
					kind: ctx.params.kind,
					format: ctx.params.format,
					...coverage,
					created_by: user.username,
					owner_id: user.id,
					principal: user,
				}))!;
				emit(ctx, Reports.events.reportQueued, { report_id: report.id, kind: report.kind, format: report.format, company_id: report.company_id, by: user.username });
				ctx.meta.$statusCode = 202;
				ctx.meta.$responseHeaders = { Location: `/api/v1/reports/${report.id}` };
				return this.publicReport(report);
			},
		},

		get: {
			openapi: { summary: "Get a report", response: "Report", description: "Its state and progress; when it succeeded, its file's name, size, SHA-256 and download link." },
			rest: "GET /reports/:id",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: ReportsContext<{ id: string }>) {
				return this.publicReport(await this.visibleReport(ctx, ctx.params.id));
			},
		},

		list: {
			openapi: {
				summary: "List reports",
				response: "Report",
				list: true,
				description: "The reports whose contents you may read (every domain of them among yours), newest first; `kind`, `state`, `company_id` and `schedule_id` filter.",
			},
			rest: "GET /reports",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				kind: { type: "enum", values: [...REPORT_KINDS], optional: true },
				state: { type: "enum", values: [...REPORT_STATES], optional: true },
				company_id: { ...idParam, optional: true },
				schedule_id: { ...idParam, optional: true },
				...listParams(["created_at", "finished_at"]),
			},
			async handler(ctx: ReportsContext<{ kind?: string; state?: string; company_id?: string; schedule_id?: string; page?: number; page_size?: number; sort?: string }>) {
				const { kind, state, company_id: companyId, schedule_id: scheduleId } = ctx.params;
				const query: Doc = {
					...(kind ? { kind } : {}),
					...(state ? { state } : {}),
					...(companyId ? { company_id: companyId } : {}),
					...(scheduleId ? { schedule_id: scheduleId } : {}),
				};
				const keys = visibleDomainKeys(principalOf(ctx));
				if (keys) query.domain_key = { $in: keys };
				const found = await this.findPage<Report>(query, ctx.params, "-created_at");
				return { ...found, rows: found.rows.map(r => this.publicReport(r)) };
			},
		},

		file: {
			openapi: {
				summary: "Download a report's file",
				description:
					"The PDF or XLSX file, verified against its SHA-256 before a byte leaves (`ETag` and `Digest` carry it). 409 while the report is not done; 404 for a report whose contents you may not read.",
				answers: Object.values(REPORT_FORMATS).map(f => f.type),
				errors: [409],
			},
			rest: "GET /reports/:id/file",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: ReportsContext<{ id: string }>) {
				const report = await this.visibleReport(ctx, ctx.params.id);
				if (report.state !== "succeeded" || !report.file) throw conflict(`Report ${report.id} is ${report.state}: no file yet`, { id: report.id, state: report.state });
				const bytes = await this.blobs.get(report.file.sha256);
				if (!bytes) throw notFound("Report file", report.id);
				ctx.meta.$responseType = report.file.content_type;
				ctx.meta.$responseHeaders = {
					"Content-Disposition": `attachment; filename="${report.file.filename}"`,
					ETag: `"${report.file.sha256}"`,
					Digest: `sha-256=${Buffer.from(report.file.sha256, "hex").toString("base64")}`,
					"Cache-Control": "private, no-store",
				};
				return Readable.from([bytes]);
			},
		},

		remove: {
			openapi: { summary: "Delete a report", response: "Report", description: "The report and its file: by whoever requested it, or a domain_admin of its domains." },
			retryPolicy: NOT_RETRIED,
			rest: "DELETE /reports/:id",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: ReportsContext<{ id: string }>) {
				const user = principalOf(ctx);
				const report = await this.visibleReport(ctx, ctx.params.id);
				if (report.owner_id !== user.id && !roleCan(user.role, "admin", "financial_data")) throw forbidden("Only who requested a report, or a domain_admin, deletes it");
				await this.removeReport(report, user.username);
				return this.publicReport(report);
			},
		},

		createSchedule: {
			openapi: {
				summary: "Schedule a report",
				description:
					"A report made at every firing of a cron expression (UTC; seconds optional), once per firing however many reports nodes run; each run reads with your role and domains as they are then. `GET /report-schedules/{id}` lists its last runs.",
				status: 201,
				response: "ReportSchedule",
				example: { name: "Monday portfolio", kind: "portfolio", format: "pdf", scope: { industry: "technology" }, cron: "0 0 7 * * 1" },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /report-schedules",
			permission: ["write", "financial_data"],
			params: {
				$$strict: true,
				name: { type: "string", min: 1, max: 200, trim: true },
				kind: { type: "enum", values: [...REPORT_KINDS] },
				format: { type: "enum", values: [...REPORT_FORMATS_LIST], default: "pdf" },
				company_id: { ...idParam, optional: true },
				scope: scopeParam,
				cron: { type: "string", min: 9, max: 100 },
			},
			async handler(ctx: ReportsContext<{ name: string; kind: ReportKind; format: ReportFileFormat; company_id?: string; scope?: PortfolioScope; cron: string }>) {
				const user = principalOf(ctx);
				if (user.kind !== "user") throw forbidden("A schedule runs as its owner's account at each firing: create it as a user, not with an API key");
				let cron: Cron;
				try {
					cron = new Cron(ctx.params.cron, { timezone: "UTC", paused: true });
				} catch (err) {
					throw unprocessable(`cron: ${(err as Error).message}`, [{ field: "cron", message: (err as Error).message, type: "cron" }]);
				}
				const next = cron.nextRun();
				const after = next ? cron.nextRun(next) : null;
				if (!next) throw unprocessable("cron: it never fires", [{ field: "cron", message: "never fires", type: "cron" }]);
				if (after && after.getTime() - next.getTime() < 1000)
					throw unprocessable("cron: fires more than once a second", [{ field: "cron", message: "at most once a second", type: "cron" }]);
				const mine = await this.schedules.count({ query: { owner_id: user.id } });
				if (mine >= this.config.reports.max_schedules_per_user)
					throw quotaExceeded(`You have ${mine} report schedules: at most ${this.config.reports.max_schedules_per_user} (REPORTS_MAX_SCHEDULES_PER_USER)`, {
						quota: "report schedules per user",
						limit: this.config.reports.max_schedules_per_user,
						current: mine,
					});
				const coverage = await this.coverage({ meta: { user } }, ctx.params.kind, ctx.params.company_id, ctx.params.scope);
				const now = nowIso();
				const schedule = this.schedules.entity<ReportSchedule>(
					await this.schedules.insert({
						name: ctx.params.name,
						kind: ctx.params.kind,
						format: ctx.params.format,
						...coverage,
						domain_key: domainKey(coverage.domains),
						cron: ctx.params.cron,
						enabled: true,
						created_by: user.username,
						owner_id: user.id,
						created_at: now,
						updated_at: now,
					}),
				)!;
				await this.loadSchedules();
				void broadcast(this.broker, Reports.events.schedulesChanged, { schedule_id: schedule.id });
				emit(ctx, Reports.events.scheduleCreated, { schedule_id: schedule.id, company_id: schedule.company_id, cron: schedule.cron, by: user.username });
				ctx.meta.$statusCode = 201;
				ctx.meta.$responseHeaders = { Location: `/api/v1/report-schedules/${schedule.id}` };
				return this.publicSchedule(schedule);
			},
		},

		listSchedules: {
			openapi: { summary: "List report schedules", response: "ReportSchedule", list: true, description: "The schedules whose reports you may read, newest first." },
			rest: "GET /report-schedules",
			permission: ["read", "financial_data"],
			params: { $$strict: true, ...listParams(["created_at", "name"]) },
			async handler(ctx: ReportsContext<{ page?: number; page_size?: number; sort?: string }>) {
				const keys = visibleDomainKeys(principalOf(ctx));
				const found = await this.schedules.page<ReportSchedule>(keys ? { domain_key: { $in: keys } } : {}, ctx.params, "-created_at");
				return { ...found, rows: found.rows.map(s => this.publicSchedule(s)) };
			},
		},

		getSchedule: {
			openapi: { summary: "Get a report schedule", response: "ReportSchedule", description: "The schedule, its next firing and its last ten runs (`runs`, newest first)." },
			rest: "GET /report-schedules/:id",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: ReportsContext<{ id: string }>) {
				const schedule = await this.visibleSchedule(ctx, ctx.params.id);
				const runs = await this.findEntities<Report>({ query: { schedule_id: schedule.id }, sort: ["-fired_at"], limit: 10 });
				return { ...this.publicSchedule(schedule), runs: runs.map(r => this.publicReport(r)) };
			},
		},

		removeSchedule: {
			openapi: { summary: "Delete a report schedule", response: "ReportSchedule", description: "No firing after this; the reports it made stay until their retention ends." },
			retryPolicy: NOT_RETRIED,
			rest: "DELETE /report-schedules/:id",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: ReportsContext<{ id: string }>) {
				const user = principalOf(ctx);
				const schedule = await this.visibleSchedule(ctx, ctx.params.id);
				if (schedule.owner_id !== user.id && !roleCan(user.role, "admin", "financial_data")) throw forbidden("Only its owner, or a domain_admin, deletes a schedule");
				await this.schedules.removeById(this.schedules.storedId(schedule.id));
				await this.loadSchedules();
				void broadcast(this.broker, Reports.events.schedulesChanged, { schedule_id: schedule.id });
				emit(ctx, Reports.events.scheduleDeleted, { schedule_id: schedule.id, company_id: schedule.company_id, by: user.username });
				return this.publicSchedule(schedule);
			},
		},
	},

	events: {
		[Reports.events.reportQueued.name]() {
			this.pump().catch(err => this.logger.warn(`Report queue: ${(err as Error).message}`));
		},
		[Reports.events.schedulesChanged.name]() {
			this.loadSchedules().catch(err => this.logger.warn(`Report schedules: ${(err as Error).message}`));
		},
	},

	created() {
		this.running = new Map();
		this.crons = new Map();
		this.stopping = false;
	},

	async started() {
		this.blobs = createBlobStore(this.config, new SharedKeyringLease(this.config, this.logger));
		this.renderers = new ReportThreads(this.config.reports.concurrency, { memoryMb: this.config.reports.render_memory_mb, timeoutMs: this.config.reports.render_timeout_ms });
		await this.loadSchedules();
		let polls = 0;
		this.pollTimer = setInterval(() => {
			this.pump().catch(err => this.logger.warn(`Report queue: ${(err as Error).message}`));
			// now and then: a schedule added or removed on a node whose broadcast this node missed
			if (++polls % SCHEDULE_RELOAD_POLLS === 0) this.loadSchedules().catch(err => this.logger.warn(`Report schedules: ${(err as Error).message}`));
		}, POLL_MS);
		this.pollTimer.unref();
		this.sweepTimer = scheduleRetention(
			() => this.sweep(),
			m => this.logger.warn(m),
		);
	},

	async stopped() {
		this.stopping = true;
		clearInterval(this.pollTimer);
		clearInterval(this.sweepTimer);
		for (const cron of this.crons.values()) cron.stop();
		// jobs in progress go back to the queue for another node; a node that dies without this leaves them to lapse
		for (const [id, entry] of this.running) {
			entry.lost = true;
			await this.store
				.uncached()
				.updateMany(
					{ _id: this.storedId(id), state: "running", node: this.broker.nodeID },
					{ $set: { state: "queued", stage: "queued", updated_at: nowIso() }, $unset: { lease_until: "" } },
				)
				.catch(() => undefined);
		}
		await this.renderers?.close();
		await this.blobs?.close();
	},
});

export default ReportsService;
