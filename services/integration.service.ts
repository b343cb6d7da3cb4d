/**
 * integration: companies and their filings brought in from SEC EDGAR (docs/integration.md). A ticker or CIK
 * gives the filer's submissions (name, tickers, SIC, fiscal year end), the company is created in the industry
 * its SIC maps to (domains/integration/sic.ts), and its companyfacts go through finance's SEC import, as a file
 * upload would. SEC's fair-access rules hold across every replica (lib/sec-client.ts).
 */
import { Readable } from "node:stream";
import type { Context } from "moleculer";
import { Cron } from "croner";
import Redis from "ioredis";
import { Companies, Finance } from "../contracts";
import type { SecCompanyImport } from "../contracts/integration";
import { call, type Caller } from "../lib/contract-calls";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { SecClient } from "../lib/sec-client";
import { defineService, NOT_RETRIED } from "../lib/service";
import { filerOfSubmissions, paddedCik, plainCik, tickerIndexOf, type SecFiler, type TickerEntry } from "../domains/integration/edgar";
import { parseByteSize } from "../lib/json-body";
import { industryOfSic } from "../domains/integration/sic";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { createDbMixin, isDuplicateKeyError, naturalKey } from "../mixins/db.mixin";
import type { Company } from "../models/company";
import { badGateway, missing, serviceUnavailable, unprocessable } from "../models/errors";
import { industryParam } from "../models/industry";

type IntegrationContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

/** The scheduled refresh acts as the service itself: every company with a CIK, whatever its domain. */
const AS_INTEGRATION = { meta: { user: servicePrincipal("integration") } };

/** A scheduled refresh, one per firing across every replica (its natural key: the firing's time). */
export interface SecRefreshRun {
	id: string;
	fired_at: string;
	node: string;
	state: "running" | "succeeded" | "paused" | "failed";
	companies: number;
	refreshed: number;
	failed: number;
	errors: Array<{ company_id: string; message: string }>;
	started_at: string;
	finished_at?: string;
}

const IntegrationService = defineService<{
	sec: SecClient | null;
	redis: Redis | null;
	cron: Cron | null;
	/** company_tickers.json as last read, and its index. */
	tickers?: { text: string; index: Map<string, TickerEntry> };
}>()({
	name: "integration",
	metadata: { description: "Companies and their filings from SEC EDGAR, within SEC's fair-access rules" },
	settings: { rest: "/" },
	mixins: [
		ConfiguredMixin,
		createDbMixin("sec_refresh_runs", [{ fields: { fired_at: -1 } }], { cachedAnswers: false }),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.secRequests]),
	],

	methods: {
		/** The client, or a 503 naming what to set when the operator has not said who they are. */
		client(): SecClient {
			if (!this.sec) throw serviceUnavailable("The SEC connector is off: set SEC_USER_AGENT to the operator's name and contact (SEC's fair-access rules require it)");
			return this.sec;
		},

		async filer(cik: string): Promise<SecFiler> {
			const doc = await this.client().getJson(`${this.config.sec.data_base_url}/submissions/CIK${paddedCik(cik)}.json`, `submissions for CIK ${cik}`);
			try {
				return filerOfSubmissions(doc);
			} catch (err) {
				throw unprocessable(`SEC's submissions for CIK ${cik} cannot be read: ${(err as Error).message}`, [{ field: "cik", message: "unreadable submissions" }]);
			}
		},

		/**
		 * The CIK of a ticker, from SEC's company_tickers.json (kept and revalidated by the client): indexed once per
		 * answer SEC gives (730 KB of JSON), not parsed again for every lookup while it is unchanged.
		 */
		async cikOfTicker(ticker: string): Promise<string> {
			const text = await this.client().getText(`${this.config.sec.files_base_url}/files/company_tickers.json`, "company_tickers.json");
			if (this.tickers?.text !== text) {
				let doc: unknown;
				try {
					doc = JSON.parse(text);
				} catch {
					throw badGateway("SEC answered company_tickers.json with something that is not JSON");
				}
				this.tickers = { text, index: tickerIndexOf(doc) };
			}
			const entry = this.tickers.index.get(ticker.trim().toUpperCase());
			if (!entry) throw missing(`SEC lists no company with the ticker ${ticker.toUpperCase()}`, { ticker: ticker.toUpperCase() });
			return entry.cik;
		},

		/** The filer's companyfacts document, as SEC serves it (finance parses it). */
		companyFacts(cik: string): Promise<string> {
			return this.client().getText(`${this.config.sec.data_base_url}/api/xbrl/companyfacts/CIK${paddedCik(cik)}.json`, `companyfacts for CIK ${cik}`);
		},

		/** A companyfacts document through finance's SEC import: the same rules as a file upload. */
		importFacts(from: Caller, company: Company, facts: string, meta?: AuthMeta): Promise<unknown> {
			return call(from, Finance.actions.importSec, { id: company.id }, { stream: Readable.from([Buffer.from(facts)]), ...(meta ? { meta } : {}) });
		},

		/**
		 * The scheduled refresh of one firing: claimed by the replica whose record of it is stored first (the others
		 * find it there and do nothing), then every company with a CIK imported again, one after another (the
		 * client keeps the shared rate). A pause of SEC traffic stops the run; it says so.
		 */
		async refreshAll(firedAt: Date): Promise<void> {
			const key = naturalKey("sec-refresh", firedAt.toISOString());
			const started = new Date().toISOString();
			try {
				await this.store.insertKeyed(key, {
					fired_at: firedAt.toISOString(),
					node: this.broker.nodeID,
					state: "running",
					companies: 0,
					refreshed: 0,
					failed: 0,
					errors: [],
					started_at: started,
				});
			} catch (err) {
				if (isDuplicateKeyError(err)) return; // another replica runs this firing
				throw err;
			}
			const companies: Company[] = [];
			for (let page = 1; ; page++) {
				// never a cached page: the run must see every company there is now
				const found = await call(this.broker, Companies.actions.list, { page, page_size: 100 }, { meta: { ...AS_INTEGRATION.meta, $cache: false } });
				companies.push(...found.rows.filter(c => c.cik));
				if (page * 100 >= found.total) break;
			}
			let state: SecRefreshRun["state"] = "succeeded";
			let refreshed = 0;
			const errors: SecRefreshRun["errors"] = [];
			for (const company of companies) {
				try {
					await this.importFacts(this.broker, company, await this.companyFacts(company.cik!), AS_INTEGRATION.meta);
					refreshed++;
				} catch (err) {
					errors.push({ company_id: company.id, message: (err as Error).message });
					if ((err as { data?: { paused_until?: string } }).data?.paused_until) {
						state = "paused";
						break;
					}
				}
			}
			if (state === "succeeded" && errors.length && !refreshed) state = "failed";
			await this.store.updateById(this.store.idForKey(key), {
				$set: { state, companies: companies.length, refreshed, failed: errors.length, errors: errors.slice(0, 20), finished_at: new Date().toISOString() },
			});
			this.logger.info(
				`SEC refresh of ${firedAt.toISOString()}: ${refreshed} of ${companies.length} companies refreshed${errors.length ? `, ${errors.length} failed` : ""} (${state})`,
			);
		},

		answer(company: Company, created: boolean, filer: SecFiler, imported: unknown): SecCompanyImport {
			const { cik: _cik, name: _name, ...described } = filer;
			return { company, created, filer: described, import: imported };
		},
	},

	actions: {
		fromSec: {
			openapi: {
				summary: "Create a company from SEC EDGAR",
				description:
					"`{ticker}` or `{cik}`: the filer's name, tickers and SIC code from SEC's submissions, the company created in the industry its SIC maps to (or `industry`, which a SIC no module covers needs), and every annual and quarterly period of its XBRL companyfacts imported by the SEC import's rules. A company with the same CIK is refreshed, not duplicated (200). SEC's fair-access rules hold across replicas: a 503 while SEC traffic is paused.",
				status: 201,
				response: "SecCompanyImport",
				errors: [409, 502, 503],
				example: { ticker: "TSLA" },
				flag: "sec_import",
			},
			retryPolicy: NOT_RETRIED,
			timeoutKind: "import",
			rest: "POST /companies/from-sec",
			permission: ["admin", "financial_data"],
			params: {
				$$strict: true,
				ticker: { type: "string", optional: true, trim: true, pattern: /^[A-Za-z0-9.-]{1,10}$/, messages: { stringPattern: "{field}: 1–10 letters, digits, '.' or '-'" } },
				cik: { type: "string", optional: true, pattern: /^\d{1,10}$/, messages: { stringPattern: "{field}: 1–10 digits" } },
				industry: industryParam(true),
			},
			async handler(ctx: IntegrationContext<{ ticker?: string; cik?: string; industry?: string }>) {
				const { ticker, industry } = ctx.params;
				if ((ticker == null) === (ctx.params.cik == null))
					throw unprocessable("Send either ticker or cik", [{ field: ticker == null ? "ticker" : "cik", message: "exactly one of ticker and cik" }]);
				const cik = ticker ? await this.cikOfTicker(ticker) : plainCik(ctx.params.cik!);
				const filer = await this.filer(cik);
				const existing = (await call(ctx, Companies.actions.list, { cik, page_size: 1 })).rows[0];
				if (existing) return this.answer(existing, false, filer, await this.importFacts(ctx, existing, await this.companyFacts(cik)));
				const chosen = industry ?? (filer.sic != null ? industryOfSic(filer.sic) : null);
				if (!chosen)
					throw unprocessable(
						filer.sic != null
							? `SIC ${filer.sic} (${filer.sic_description ?? "no title"}) is covered by no industry module: give industry`
							: `SEC gives no SIC code for CIK ${cik}: give industry`,
						[{ field: "industry", message: "required for this filer", actual: filer.sic }],
					);
				// everything SEC has to give is read before anything is written
				const facts = await this.companyFacts(cik);
				const company = await call(ctx, Companies.actions.create, {
					name: filer.name,
					industry: chosen,
					cik,
					...(ticker ? { ticker: ticker.toUpperCase() } : filer.tickers[0] ? { ticker: filer.tickers[0] } : {}),
					...(filer.country ? { country: filer.country } : {}),
				});
				let imported: unknown;
				try {
					imported = await this.importFacts(ctx, company, facts);
				} catch (err) {
					// a company whose filings were refused is not left behind half-made
					await call(ctx, Companies.actions.remove, { id: company.id }).catch(removal =>
						this.logger.error(`Company ${company.id} from CIK ${cik} kept after its import failed: ${(removal as Error).message}`),
					);
					throw err;
				}
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/companies/${company.id}`;
				return this.answer(company, true, filer, imported);
			},
		},

		secRefresh: {
			openapi: {
				summary: "Refresh a company from SEC EDGAR",
				description: "Imports the company's latest XBRL companyfacts from SEC EDGAR (the company needs a CIK), by the SEC import's rules.",
				response: "SecCompanyImport",
				errors: [502, 503],
				flag: "sec_import",
			},
			retryPolicy: NOT_RETRIED,
			timeoutKind: "import",
			rest: "POST /companies/:id/sec-refresh",
			permission: ["write", "financial_data"],
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			async handler(ctx: IntegrationContext<{ id: string }>) {
				const company = await call(ctx, Companies.actions.get, { id: ctx.params.id });
				if (!company.cik) throw unprocessable(`The company '${company.name}' has no CIK: set one to refresh it from SEC EDGAR`, [{ field: "cik", message: "not set" }]);
				const filer = await this.filer(company.cik);
				return this.answer(company, false, filer, await this.importFacts(ctx, company, await this.companyFacts(company.cik)));
			},
		},

		secRefreshRuns: {
			openapi: {
				summary: "List the scheduled SEC refreshes",
				description:
					"The runs of the scheduled refresh (SEC_REFRESH_CRON), newest first: one per firing across replicas, with the companies refreshed and those that failed.",
				response: "SecRefreshRun",
				list: true,
			},
			rest: "GET /integration/sec/refresh-runs",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				page: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
				page_size: { type: "number", integer: true, min: 1, max: 100, optional: true, convert: true },
			},
			handler(ctx: IntegrationContext<{ page?: number; page_size?: number }>) {
				return this.findPage<SecRefreshRun>({}, { ...ctx.params, sort: "-fired_at" }, "-fired_at");
			},
		},

		secStatus: {
			openapi: {
				summary: "SEC EDGAR connector status",
				description: "Whether SEC traffic is paused (and until when), the shared request rate, and the answers kept.",
				response: "SecStatus",
			},
			rest: "GET /integration/sec/status",
			permission: ["read", "financial_data"],
			async handler(ctx: IntegrationContext) {
				principalOf(ctx);
				return {
					enabled: this.sec != null,
					...(this.sec ? await this.sec.status() : { paused_until: null, requests_per_second: this.config.sec.requests_per_second, shared: false, cached_answers: 0 }),
				};
			},
		},
	},

	created() {
		this.sec = null;
		this.redis = null;
		this.cron = null;
	},

	async started() {
		const { sec, cacher, namespace, env } = this.config;
		if (sec.requests_per_second < 1 || sec.requests_per_second > 10)
			throw new Error(`SEC_REQUESTS_PER_SECOND is ${sec.requests_per_second}: SEC allows at most 10 requests per second (and at least 1 is needed)`);
		if (!sec.user_agent || !/\S+@\S+|\S+\s+\S+/.test(sec.user_agent)) {
			const why = "SEC_USER_AGENT must name the operator and a contact (SEC's fair-access rules), e.g. 'Example Corp ops@example.com'";
			if (env === "production") throw new Error(why);
			this.logger.warn(`SEC connector off: ${why}`);
			return;
		}
		if (/^redis(s)?:\/\//.test(cacher)) {
			// no queue while Redis is away: the client falls back to this node's own window at once
			this.redis = new Redis(cacher, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
			this.redis.on("error", () => undefined);
			await this.redis
				.connect()
				.catch(err => this.logger.warn(`SEC rate window: Redis unavailable (${(err as Error).message}); this node counts on its own until it is back`));
		}
		this.sec = new SecClient({
			userAgent: sec.user_agent,
			requestsPerSecond: sec.requests_per_second,
			timeoutMs: sec.timeout_ms,
			retries: sec.retries,
			pauseMs: sec.pause_ms,
			cacheBytes: sec.cache_mb * 1024 * 1024,
			maxBodyBytes: parseByteSize(this.config.http.import_body_limit),
			redis: this.redis,
			prefix: `bizops-${namespace}`,
			logger: this.logger,
			count: outcome => this.countMetric(BUSINESS_COUNTERS.secRequests, { outcome }),
		});
		if (sec.refresh_cron) {
			// every replica fires; the first to store the firing's record runs it (protect: a long run is not started twice here)
			this.cron = new Cron(sec.refresh_cron, { timezone: "UTC", protect: true }, (job: Cron) =>
				this.refreshAll(job.currentRun() ?? new Date()).catch(err => this.logger.warn(`SEC refresh: ${(err as Error).message}`)),
			);
		}
	},

	async stopped() {
		this.cron?.stop();
		this.redis?.disconnect();
	},
});

export default IntegrationService;
