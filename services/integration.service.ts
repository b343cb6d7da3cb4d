/**
 * integration: companies, their filings and their prices brought in from outside (docs/integration.md). A
 * ticker or CIK gives the filer's submissions from SEC EDGAR (name, tickers, SIC, fiscal year end), the company
 * is created in the industry its SIC maps to (domains/integration/sic.ts), and its companyfacts go through
 * finance's SEC import, as a file upload would; a ticker's daily prices come from the configured provider
 * through finance's price upload. Each source's fair-access rules hold across every replica
 * (lib/fair-access-client.ts); scheduled refreshes run once per firing.
 */
import { Readable } from "node:stream";
import type { Context } from "moleculer";
import { Cron } from "croner";
import Redis from "ioredis";
import { Companies, Finance } from "../contracts";
import type { PriceFetch, RefreshRun, RefreshSource, SecCompanyImport } from "../contracts/integration";
import { call, type Caller } from "../lib/contract-calls";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import type { FairAccessClient } from "../lib/fair-access-client";
import { priceSource, type PriceSource } from "../lib/price-client";
import { secClient } from "../lib/sec-client";
import { defineService, NOT_RETRIED } from "../lib/service";
import { corporateActionIn, noPriceRows } from "../domains/market/providers";
import { MAX_PRICE_CSV_CHARS } from "../domains/market/prices";
import { filerOfSubmissions, filerOfTickerEntry, paddedCik, plainCik, tickerIndexOf, type SecFiler, type TickerEntry } from "../domains/integration/edgar";
import { parseByteSize } from "../lib/json-body";
import { industryOfSic } from "../domains/integration/sic";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { createDbMixin, isDuplicateKeyError, naturalKey } from "../mixins/db.mixin";
import type { Company } from "../models/company";
import { badGateway, missing, serviceUnavailable, unprocessable } from "../models/errors";
import { industryParam } from "../models/industry";
import { isoDateParam, pageParams } from "../models/common";

type IntegrationContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

/** The scheduled refreshes act as the service itself: every company with a CIK (or a ticker), whatever its domain. */
const AS_INTEGRATION = { meta: { user: servicePrincipal("integration") } };

/** A company's first price fetch reaches this far back (a later one starts the day after its last price). */
const FIRST_FETCH_YEARS = 10;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const dayAfter = (date: string) => isoDay(new Date(Date.parse(date) + 86_400_000));

const IntegrationService = defineService<{
	sec: FairAccessClient | null;
	prices: PriceSource | null;
	redis: Redis | null;
	crons: Cron[];
	/** company_tickers.json as last read, and its index. */
	tickers?: { text: string; index: Map<string, TickerEntry> };
}>()({
	name: "integration",
	metadata: { description: "Companies and their filings from SEC EDGAR, and their daily prices from a provider, within each source's fair-access rules" },
	settings: { rest: "/" },
	mixins: [
		ConfiguredMixin,
		createDbMixin("refresh_runs", [{ fields: { source: 1, fired_at: -1 } }], { cachedAnswers: false }),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.secRequests, BUSINESS_COUNTERS.priceRequests]),
	],

	methods: {
		/** The client, or a 503 naming what to set when the operator has not said who they are. */
		client(): FairAccessClient {
			if (!this.sec) throw serviceUnavailable("The SEC connector is off: set SEC_USER_AGENT to the operator's name and contact (SEC's fair-access rules require it)");
			return this.sec;
		},

		/**
		 * The filer as its submissions describe it; where SEC (or a mirror carrying only companyfacts) has none, as
		 * `known` describes it (company_tickers.json's entry, or the company already here), without a SIC.
		 */
		async filer(cik: string, known?: TickerEntry): Promise<SecFiler> {
			let doc: unknown;
			try {
				doc = await this.client().getJson(`${this.config.sec.data_base_url}/submissions/CIK${paddedCik(cik)}.json`, `submissions for CIK ${cik}`);
			} catch (err) {
				if ((err as { code?: number }).code === 404 && known) return filerOfTickerEntry(known);
				throw err;
			}
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
		async tickerEntry(ticker: string): Promise<TickerEntry> {
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
			return entry;
		},

		/** The filer's companyfacts document, as SEC serves it (finance parses it). */
		companyFacts(cik: string): Promise<string> {
			return this.client().getText(`${this.config.sec.data_base_url}/api/xbrl/companyfacts/CIK${paddedCik(cik)}.json`, `companyfacts for CIK ${cik}`);
		},

		/** A companyfacts document through finance's SEC import: the same rules as a file upload. */
		importFacts(from: Caller, company: Company, facts: string, meta?: AuthMeta): Promise<unknown> {
			return call(from, Finance.actions.importSec, { id: company.id }, { stream: Readable.from([Buffer.from(facts)]), ...(meta ? { meta } : {}) });
		},

		/** The price source, or a 503 naming what to set. */
		priceProvider(): PriceSource {
			if (!this.prices) throw serviceUnavailable("The price connector is off: set PRICES_PROVIDER (tiingo or custom) and its settings, or upload prices as CSV");
			return this.prices;
		},

		/**
		 * A company's daily prices from the provider into finance's price upload, as `from` (the caller's rights):
		 * from the day after its last price (or ten years back) to today unless given. Rows with a split or a
		 * dividend put the adjusted closes held on another basis: the whole history is fetched again.
		 */
		async fetchPricesOf(from: Caller, company: Company, range: { from?: string; to?: string }, meta?: AuthMeta): Promise<PriceFetch> {
			const source = this.priceProvider();
			if (!company.ticker) throw unprocessable(`The company '${company.name}' has no ticker: set one to fetch its prices`, [{ field: "ticker", message: "not set" }]);
			const opts = meta ? { meta } : {};
			const span = await call(from, Finance.actions.priceSpan, { id: company.id }, opts);
			const to = range.to ?? isoDay(new Date());
			let start = range.from ?? (span.last ? dayAfter(span.last) : isoDay(new Date(Date.now() - FIRST_FETCH_YEARS * 365.25 * 86_400_000)));
			const fetched = () => ({ company_id: company.id, provider: source.provider.name, ticker: company.ticker!, requested: { from: start, to } });
			const pricesFrom = (day: string) => source.client.getText(source.urlOf(company.ticker!, day, to), `prices of ${company.ticker}`);
			if (start > to) return this.priceAnswer(fetched(), null, false); // already up to date
			let csv = await pricesFrom(start);
			let refetched = false;
			if (!range.from && span.first && start > span.first && corporateActionIn(csv)) {
				start = span.first;
				csv = await pricesFrom(start);
				refetched = true;
			}
			if (noPriceRows(csv)) return this.priceAnswer(fetched(), null, refetched);
			// the CSV as the call's stream: decades of daily rows can pass NATS's 1 MB message limit
			const upload = await call(from, Finance.actions.importPriceCsv, { id: company.id }, { ...opts, stream: Readable.from([Buffer.from(csv)]) });
			return this.priceAnswer(fetched(), upload, refetched);
		},

		priceAnswer(
			fetched: { company_id: string; provider: string; ticker: string; requested: { from: string; to: string } },
			upload: { rows: number; from: string; to: string; created: number; updated: number; unchanged: number } | null,
			refetched: boolean,
		): PriceFetch {
			const { company_id, provider, ticker, requested } = fetched;
			return {
				company_id,
				provider,
				ticker,
				requested,
				history_refetched: refetched,
				rows: upload?.rows ?? 0,
				from: upload?.from ?? null,
				to: upload?.to ?? null,
				created: upload?.created ?? 0,
				updated: upload?.updated ?? 0,
				unchanged: upload?.unchanged ?? 0,
			};
		},

		/**
		 * The scheduled refresh of one firing: claimed by the replica whose record of it is stored first (the others
		 * find it there and do nothing), then every company with a CIK (SEC) or a ticker (prices) refreshed, one
		 * after another (the client keeps the shared rate). A pause of the source's traffic stops the run; it says so.
		 */
		async refreshAll(source: RefreshSource, firedAt: Date): Promise<void> {
			const key = naturalKey(`${source}-refresh`, firedAt.toISOString());
			const started = new Date().toISOString();
			try {
				await this.store.insertKeyed(key, {
					source,
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
				companies.push(...found.rows.filter(c => (source === "sec" ? c.cik : c.ticker)));
				if (page * 100 >= found.total) break;
			}
			let state: RefreshRun["state"] = "succeeded";
			let refreshed = 0;
			const errors: RefreshRun["errors"] = [];
			for (const company of companies) {
				try {
					if (source === "sec") await this.importFacts(this.broker, company, await this.companyFacts(company.cik!), AS_INTEGRATION.meta);
					else await this.fetchPricesOf(this.broker, company, {}, AS_INTEGRATION.meta);
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
				`${source === "sec" ? "SEC" : "Price"} refresh of ${firedAt.toISOString()}: ${refreshed} of ${companies.length} companies refreshed${errors.length ? `, ${errors.length} failed` : ""} (${state})`,
			);
		},

		/** Fires `source`'s refresh at `cron` on every replica; the first to store the firing's record runs it (protect: a long run is not started twice here). */
		schedule(source: RefreshSource, cron: string) {
			this.crons.push(
				new Cron(cron, { timezone: "UTC", protect: true }, (job: Cron) =>
					this.refreshAll(source, job.currentRun() ?? new Date()).catch(err => this.logger.warn(`${source} refresh: ${(err as Error).message}`)),
				),
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
				const entry = ticker ? await this.tickerEntry(ticker) : undefined;
				const cik = entry?.cik ?? plainCik(ctx.params.cik!);
				const filer = await this.filer(cik, entry);
				const existing = (await call(ctx, Companies.actions.list, { cik, page_size: 1 })).rows[0];
				if (existing) return this.answer(existing, false, filer, await this.importFacts(ctx, existing, await this.companyFacts(cik)));
				const chosen = industry ?? (filer.sic != null ? industryOfSic(filer.sic) : null);
				if (!chosen)
					throw unprocessable(
						filer.sic != null
							? `SIC ${filer.sic} (${filer.sic_description ?? "no title"}) is covered by no industry module: give industry`
							: filer.described_by === "company_tickers"
								? `SEC has no submissions for CIK ${cik}, so no SIC code: give industry`
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
				const filer = await this.filer(company.cik, { cik: company.cik, ticker: company.ticker ?? "", title: company.name });
				return this.answer(company, false, filer, await this.importFacts(ctx, company, await this.companyFacts(company.cik)));
			},
		},

		refreshRuns: {
			openapi: {
				summary: "List the scheduled refreshes",
				description:
					"The runs of the scheduled refresh from SEC EDGAR (`sec`: SEC_REFRESH_CRON) or the price provider (`prices`: PRICES_REFRESH_CRON), newest first: one per firing across replicas, with the companies refreshed and those that failed.",
				response: "RefreshRun",
				list: true,
			},
			rest: "GET /integration/:source/refresh-runs",
			permission: ["read", "financial_data"],
			params: { $$strict: true, source: { type: "enum", values: ["sec", "prices"] }, ...pageParams() },
			handler(ctx: IntegrationContext<{ source: RefreshSource; page?: number; page_size?: number }>) {
				const { source, ...page } = ctx.params;
				return this.findPage<RefreshRun>({ source }, { ...page, sort: "-fired_at" }, "-fired_at");
			},
		},

		fetchPrices: {
			openapi: {
				summary: "Fetch a company's daily prices from the provider",
				description:
					"The company's daily prices by its ticker from the configured provider (PRICES_PROVIDER), stored as a price upload would store them: `from` defaults to the day after the last price held (ten years back for the first fetch), `to` to today. A split or a dividend among the new rows fetches the whole history again (`history_refetched`), so adjusted closes stay on one basis. The provider's rate holds across replicas: a 503 while its traffic is paused.",
				response: "PriceFetch",
				errors: [502, 503],
				example: { from: "2017-01-01", to: "2017-12-31" },
			},
			retryPolicy: NOT_RETRIED,
			timeoutKind: "import",
			rest: "POST /companies/:id/prices/fetch",
			permission: ["write", "financial_data"],
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 }, from: isoDateParam("from", true), to: isoDateParam("to", true) },
			async handler(ctx: IntegrationContext<{ id: string; from?: string; to?: string }>) {
				const { from, to } = ctx.params;
				if (from && to && from > to) throw unprocessable("from is after to", [{ field: "from", message: `must be on or before to (${to})` }]);
				const company = await call(ctx, Companies.actions.get, { id: ctx.params.id });
				return this.fetchPricesOf(ctx, company, { from, to });
			},
		},

		pricesStatus: {
			openapi: {
				summary: "Price provider connector status",
				description: "The provider, whether its traffic is paused (and until when), the request rate every replica shares, and the answers kept.",
				response: "PriceProviderStatus",
			},
			rest: "GET /integration/prices/status",
			permission: ["read", "financial_data"],
			async handler(ctx: IntegrationContext) {
				principalOf(ctx);
				if (!this.prices) return { enabled: false, provider: null, paused_until: null, max_requests: null, window_seconds: null, shared: false, cached_answers: 0 };
				const { max_requests: _max, window_ms: _window, ...status } = await this.prices.client.status();
				const { maxRequests, windowSeconds } = this.prices.limit;
				return { enabled: true, provider: this.prices.provider.name, max_requests: maxRequests, window_seconds: windowSeconds, ...status };
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
				if (!this.sec) return { enabled: false, paused_until: null, requests_per_second: this.config.sec.requests_per_second, shared: false, cached_answers: 0 };
				const { max_requests: _max, window_ms: _window, ...status } = await this.sec.status();
				return { enabled: true, ...status, requests_per_second: this.config.sec.requests_per_second };
			},
		},
	},

	created() {
		this.sec = null;
		this.prices = null;
		this.redis = null;
		this.crons = [];
	},

	async started() {
		const { sec, prices, cacher, namespace, env } = this.config;
		if (sec.requests_per_second < 1 || sec.requests_per_second > 10)
			throw new Error(`SEC_REQUESTS_PER_SECOND is ${sec.requests_per_second}: SEC allows at most 10 requests per second (and at least 1 is needed)`);
		const secOff =
			!sec.user_agent || !/\S+@\S+|\S+\s+\S+/.test(sec.user_agent)
				? "SEC_USER_AGENT must name the operator and a contact (SEC's fair-access rules), e.g. 'Example Corp ops@example.com'"
				: null;
		if (secOff && env === "production") throw new Error(secOff);
		if (secOff) this.logger.warn(`SEC connector off: ${secOff}`);
		if (/^redis(s)?:\/\//.test(cacher) && (!secOff || prices.provider)) {
			// no queue while Redis is away: the clients fall back to this node's own window at once
			this.redis = new Redis(cacher, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
			this.redis.on("error", () => undefined);
			await this.redis.connect().catch(err => this.logger.warn(`Rate windows: Redis unavailable (${(err as Error).message}); this node counts on its own until it is back`));
		}
		const shared = { redis: this.redis, prefix: `bizops-${namespace}`, logger: this.logger };
		if (!secOff)
			this.sec = secClient({
				...shared,
				userAgent: sec.user_agent!,
				requestsPerSecond: sec.requests_per_second,
				timeoutMs: sec.timeout_ms,
				retries: sec.retries,
				pauseMs: sec.pause_ms,
				cacheBytes: sec.cache_mb * 1024 * 1024,
				maxBodyBytes: parseByteSize(this.config.http.import_body_limit),
				count: outcome => this.countMetric(BUSINESS_COUNTERS.secRequests, { outcome }),
			});
		// settings that name a provider but cannot reach it are the operator's mistake: the node does not start
		this.prices = priceSource(prices, {
			...shared,
			maxBodyBytes: MAX_PRICE_CSV_CHARS,
			count: outcome => this.countMetric(BUSINESS_COUNTERS.priceRequests, { outcome }),
		});
		if (sec.refresh_cron) {
			if (this.sec) this.schedule("sec", sec.refresh_cron);
			else this.logger.warn("SEC_REFRESH_CRON is set but the SEC connector is off: no scheduled SEC refresh");
		}
		if (prices.refresh_cron) {
			if (this.prices) this.schedule("prices", prices.refresh_cron);
			else this.logger.warn("PRICES_REFRESH_CRON is set but PRICES_PROVIDER is not: no scheduled price refresh");
		}
	},

	async stopped() {
		for (const cron of this.crons) cron.stop();
		this.redis?.disconnect();
	},
});

export default IntegrationService;
