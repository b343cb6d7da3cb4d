/**
 * finance: financial statements under a company, the SEC companyfacts import, and the analysis of
 * docs/api.md and docs/formulas.md (single and portfolio). Every route is scoped through `companies.get`, so a company outside
 * the caller's domains, and everything under it, is a 404. The formulas live in domains/finance.
 */
import type { Readable } from "stream";
import type { Context } from "moleculer";
import Validator, { type SyncCheckFunction } from "fastest-validator";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { analysedStatement, analyze, peerStatsOf, type Analysis, type PeerStats } from "../domains/finance/analysis";
import { identityWarnings, normalizeStatement } from "../domains/finance/checks";
import { planPeriod, restoreOf } from "../domains/finance/import-plan";
import { computeRatios, figuresOf } from "../domains/finance/ratios";
import { parseCompanyFacts, SecDocumentError } from "../domains/finance/sec";
import { atStartup } from "../lib/startup";
import { announceCompanyDataChanged, ensureChannel } from "../lib/channels";
import { Companies, Finance, Flags } from "../contracts";
import type { PriceUpload } from "../contracts/finance";
import { call, emit } from "../lib/contract-calls";
import { readBody, readJsonBody } from "../lib/json-body";
import { KeyedLock } from "../lib/keyed-lock";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { COMPANY_SCOPE_KEYS, createCompanyScopedMixin } from "../mixins/company-scoped.mixin";
import { createDbMixin, createStoreMixin, isDuplicateKeyError, naturalKey, type Doc } from "../mixins/db.mixin";
import { downsample, MAX_PRICE_CSV_CHARS, parsePriceCsv, PRICE_INTERVALS, type PriceInterval, type PriceRow } from "../domains/market/prices";
import { marketAt, yearBefore } from "../domains/market/market";
import { clientErrorOf, inlineOrInWorker } from "../lib/worker-thread";
import { principalOf, type AuthMeta } from "../lib/principal";
import { isoDateParam, listParams, nowIso } from "../models/common";
import type { Company } from "../models/company";
import { conflict, forbidden, missing, notFound, unprocessable } from "../models/errors";
import { defineService, NOT_RETRIED } from "../lib/service";
import { REFERENCE_PEER_SET, referencePeers } from "../lib/reference-filers";
import { LINE_ITEMS, lineItemHistory, RATIO_PATHS, ratioHistory } from "../domains/finance/history";
import {
	STATEMENT_READ_ONLY_FIELDS,
	STATEMENT_SORTABLE,
	STATEMENT_TYPES,
	statementFields,
	statementPatchFields,
	statementReadOnlyFields,
	type Statement,
	type StatementData,
} from "../models/statement";
import { applyStatementPatch, type StatementPatch } from "../domains/finance/patch";

type FinanceContext<P = Record<string, unknown>> = Context<P, AuthMeta>;

/** Portfolio analysis: at most this many companies per call, this many analysed at once. */
export const PORTFOLIO_MAX = 500;
const PORTFOLIO_CONCURRENCY = 16;

const SCOPE_KEYS = COMPANY_SCOPE_KEYS;

/** A history's params: the company, the names wanted (a comma list, `names`) and the kind of statement. */
const historyParams = (names: "items" | "ratios") => ({
	$$strict: true,
	id: idParam,
	[names]: { type: "string", optional: true, max: 2000 },
	statement_type: { type: "enum", values: [...STATEMENT_TYPES], optional: true },
});
const idParam = { type: "string", min: 1, max: 64 } as const;

/** The key that makes a statement unique: one per company, type and period_end (docs/api.md). */
const statementKey = (companyId: string, type: string, periodEnd: string) => naturalKey(companyId, type, periodEnd);

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const i = next++;
			results[i] = await fn(items[i]);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return results;
}

/** The statement schema, compiled once (as Moleculer's validator does: new custom checker functions): true, or the problems. */
const checkStatementShape = new Validator({ useNewCustomCheckerFunction: true }).compile({ $$strict: true, ...statementFields }) as SyncCheckFunction;

const FinanceService = defineService<{ locks: KeyedLock }>()({
	name: "finance",
	metadata: { description: "Financial statements, their analysis and the SEC import" },
	settings: { rest: "/" },
	mixins: [
		ConfiguredMixin,
		createDbMixin("statements", [{ fields: { statement_key: 1 }, unique: true }, { fields: { company_id: 1 } }]),
		// daily prices, one per company and date (its _id from that natural key: a second write of it collides on
		// any store); the analysis reads them, so its cache follows their writes
		// (a plain collection, not a MongoDB time-series one: those enforce no unique _id, which keeps a day once
		// however often it is written, and before MongoDB 7 cannot update a day; docs/integration.md)
		createStoreMixin("prices", "prices", [{ fields: { company_id: 1, date: 1 } }], { cachedAnswers: true }),
		// statements belong to companies: scoped reads, cleaning when a company changes (its industry changes its
		// analysis and its peers' benchmark), and the deletion cascade
		createCompanyScopedMixin("finance"),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.analysesComputed, BUSINESS_COUNTERS.secImports]),
	],

	methods: {
		/** A price CSV stored for the company as the caller may write it: parsed (off the main thread when large), checked whole, then written; audited. */
		async storePriceCsv(ctx: FinanceContext, companyId: string, content: string): Promise<PriceUpload> {
			const company = await this.company(ctx, companyId);
			const { rows, problems } = await inlineOrInWorker(content.length, "market.prices-csv", { text: content }, () => parsePriceCsv(content), {
				memoryMb: this.config.ml.worker_memory_mb,
				timeoutMs: this.config.ml.worker_timeout_ms,
			}).catch(err => {
				throw clientErrorOf(err, "content", "Parsing these prices");
			});
			if (problems.length) throw unprocessable(`Not a price CSV: ${problems[0].message}`, problems);
			const existing = new Map<string, Doc>();
			for (const d of await this.prices.find({ query: { company_id: company.id, date: { $gte: rows[0].date, $lte: rows[rows.length - 1].date } } }))
				existing.set(String(d.date), d);
			const fresh = rows.filter(row => !existing.has(row.date));
			const changed = rows.filter(row => {
				const seen = existing.get(row.date);
				return seen && ["open", "high", "low", "close", "adj_close", "volume"].some(k => seen[k] !== (row as unknown as Doc)[k]);
			});
			await this.prices.batch(async () => {
				// new days in one store call per thousand (a company's history is thousands of rows), changed ones one by one
				for (let i = 0; i < fresh.length; i += 1000)
					await this.prices.insertManyKeyed(fresh.slice(i, i + 1000).map(row => ({ key: naturalKey(company.id, row.date), doc: { company_id: company.id, ...row } })));
				for (const row of changed) await this.prices.updateById(existing.get(row.date)!._id, { $set: { ...row } });
			});
			const created = fresh.length;
			const updated = changed.length;
			const written = { company_id: company.id, rows: rows.length, from: rows[0].date, to: rows[rows.length - 1].date, created, updated };
			if (created + updated) {
				await announceCompanyDataChanged(this.broker, { company_id: company.id, source: "prices" });
				emit(ctx, Finance.events.pricesUploaded, { ...written, by: principalOf(ctx).id });
			}
			return { ...written, unchanged: rows.length - created - updated };
		},

		/** A company's daily prices, oldest first (from `from` on). */
		async pricesOf(companyId: string, from?: string): Promise<PriceRow[]> {
			const docs = await this.prices.find({ query: { company_id: companyId, ...(from ? { date: { $gte: from } } : {}) }, sort: ["date"] });
			return docs.map(d => {
				const { company_id: _c, _id, ...row } = this.prices.raw(d) as PriceRow & { company_id: string; _id: unknown };
				return row;
			});
		},

		/** Statements and prices are a company's: both go when it does (idempotent). */
		async onCompanyDeleted(companyId: string): Promise<void> {
			await this.store.removeMany({ company_id: companyId });
			await this.prices.removeMany({ company_id: companyId });
		},
		/** The names of a comma list (all of `known` when none is given); a 422 naming the unknown ones. */
		namesOf(list: string | undefined, known: readonly string[], field: string, what: string): readonly string[] {
			if (!list) return known;
			const names = [
				...new Set(
					list
						.split(",")
						.map(n => n.trim())
						.filter(Boolean),
				),
			];
			const unknown = names.filter(n => !known.includes(n));
			if (unknown.length)
				throw unprocessable(`${field}: no ${what} ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ""}`, [
					{ field, message: `unknown: ${unknown.slice(0, 5).join(", ")}`, actual: unknown.slice(0, 5) },
				]);
			return names;
		},
		checkedStatement(input: Partial<StatementData>, company: Company) {
			const { statement, problems } = normalizeStatement(input, company.currency ?? "USD");
			if (problems.length) throw unprocessable("Invalid statement", problems);
			return { ...statement, warnings: identityWarnings(statement) };
		},

		publicStatement(doc: Statement & { statement_key?: string }): Statement {
			const { statement_key: _key, ...statement } = doc;
			return statement;
		},

		statementExists(existing: Statement): Error {
			return conflict(
				`A ${existing.statement_type} statement for ${existing.period_end} exists (${existing.id}); PUT or PATCH /api/v1/statements/${existing.id} changes it`,
				{ field: "period_end", id: existing.id },
			);
		},

		/** Replaces `current` with `input` (checked against the company): a 409 naming the statement that holds the new period, if another does. */
		async saveStatement(ctx: FinanceContext, current: Statement, input: Partial<StatementData>): Promise<Statement> {
			const company = await this.company(ctx, current.company_id);
			const data = this.checkedStatement(input, company);
			const key = statementKey(company.id, data.statement_type, data.period_end);
			return this.withLock(key, async () => {
				const other = await this.findEntity<Statement>({ statement_key: key });
				if (other && other.id !== current.id)
					throw conflict(`Another ${data.statement_type} statement for ${data.period_end} exists (${other.id})`, { field: "period_end", id: other.id });
				// the whole statement is replaced: fields it no longer has are removed
				const unset = ["market", "source"].filter(k => !(k in data));
				const saved = await this.updateEntity<Statement>(current.id, { ...data, statement_key: key, updated_at: nowIso() }, unset);
				if (!saved) throw notFound("Statement", current.id);
				const statement = this.publicStatement(saved);
				emit(ctx, Finance.events.statementUpdated, { statement, by: principalOf(ctx).id });
				await announceCompanyDataChanged(this.broker, { company_id: statement.company_id, source: "statements", period_end: statement.period_end });
				return statement;
			});
		},

		/** Serializes writes to one key on this node, so a check-then-write cannot interleave. */
		async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
			return this.locks.run(key, fn);
		},

		async requireFlag(ctx: FinanceContext, name: string) {
			if (!(await call(ctx, Flags.actions.isEnabled, { name }))) throw forbidden(`The feature '${name}' is not enabled for you`, { flag: name });
		},
	},

	actions: {
		createStatement: {
			openapi: {
				summary: "Add a financial statement",
				description:
					"One statement per company, type and period (409 for a second). Line items are checked; accounting identities that do not hold are warnings. Starts the company review (GET /workflows).",
				status: 201,
				response: "Statement",
				errors: [409],
				example: {
					statement_type: "annual",
					period_end: "2024-12-31",
					currency: "USD",
					income_statement: { revenue: 1200, cost_of_revenue: 700, operating_income: 180, net_income: 120 },
					balance_sheet: { total_assets: 1500, total_current_assets: 600, total_current_liabilities: 300, total_liabilities: 800, total_equity: 700 },
					cash_flow: { operating_cash_flow: 200, capital_expenditure: 60 },
				},
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/statements",
			permission: ["write", "financial_data"],
			params: { $$strict: true, id: idParam, ...statementFields },
			async handler(ctx: FinanceContext<Partial<StatementData> & { id: string }>) {
				const { id, ...input } = ctx.params;
				const company = await this.company(ctx, id);
				const data = this.checkedStatement(input, company);
				const key = statementKey(company.id, data.statement_type, data.period_end);
				return this.withLock(key, async () => {
					const existing = await this.findEntity<Statement>({ statement_key: key });
					if (existing) throw this.statementExists(existing);
					const now = nowIso();
					const doc = { ...data, company_id: company.id, statement_key: key, created_at: now, updated_at: now };
					let saved: Statement;
					try {
						// the id comes from the key: a replica creating the same statement at the same moment collides (409)
						saved = this.publicStatement((await this.insertEntity({ _id: this.idForKey(key), ...doc })) as Statement);
					} catch (err) {
						if (!isDuplicateKeyError(err)) throw err;
						const raced = await this.findEntity<Statement>({ statement_key: key });
						if (raced) throw this.statementExists(raced);
						// the id is held by a statement that a PUT moved to another period: any id will do
						saved = this.publicStatement((await this.insertEntity(doc)) as Statement);
					}
					emit(ctx, Finance.events.statementCreated, { statement: saved, by: principalOf(ctx).id });
					await announceCompanyDataChanged(this.broker, { company_id: company.id, source: "statements", period_end: saved.period_end });
					ctx.meta.$statusCode = 201;
					ctx.meta.$location = `/api/v1/statements/${saved.id}`;
					return saved;
				});
			},
		},

		listStatements: {
			openapi: { summary: "List a company's statements", description: "Filters `statement_type`, `from`, `to` (on period_end).", response: "Statement", list: true },
			rest: "GET /companies/:id/statements",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				id: idParam,
				...listParams(STATEMENT_SORTABLE),
				statement_type: { type: "enum", values: [...STATEMENT_TYPES], optional: true },
				from: isoDateParam("from", true),
				to: isoDateParam("to", true),
			},
			cache: { keys: ["id", "page", "page_size", "sort", "statement_type", "from", "to", ...SCOPE_KEYS] },
			async handler(ctx: FinanceContext<{ id: string; page?: number; page_size?: number; sort?: string; statement_type?: string; from?: string; to?: string }>) {
				const { id, statement_type, from, to } = ctx.params;
				const company = await this.company(ctx, id);
				const query: Doc = { company_id: company.id };
				if (statement_type) query.statement_type = statement_type;
				if (from || to) query.period_end = { ...(from ? { $gte: from } : {}), ...(to ? { $lte: to } : {}) };
				const found = await this.findPage<Statement>(query, ctx.params, "-period_end");
				return { ...found, rows: found.rows.map(r => this.publicStatement(r)) };
			},
		},

		statementHistory: {
			openapi: {
				summary: "A company's line items over time",
				description:
					"Each line item (`items`, a comma list; default all) over every period, oldest first: `{period_end, statement_type, fiscal_period, value}`, annual and quarterly unless `statement_type` says one. An unknown item is a 422 naming it.",
				response: "LineItemHistory",
			},
			rest: "GET /companies/:id/statements/history",
			permission: ["read", "financial_data"],
			params: historyParams("items"),
			cache: { keys: ["id", "items", "statement_type", ...SCOPE_KEYS] },
			async handler(ctx: FinanceContext<{ id: string; items?: string; statement_type?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const items = this.namesOf(ctx.params.items, LINE_ITEMS, "items", "line item");
				const statements = await this.findEntities<Statement>({
					query: { company_id: company.id, ...(ctx.params.statement_type ? { statement_type: ctx.params.statement_type } : {}) },
				});
				return { company_id: company.id, items: lineItemHistory(statements, items) };
			},
		},

		uploadPrices: {
			openapi: {
				summary: "Upload a company's daily prices",
				description:
					"`{content}`: a CSV of daily prices with a header naming date, open, high, low, close, volume and optionally adj close (`Date,Open,High,Low,Close,Adj Close,Volume`; other columns are ignored), within the 1 MB body limit (about 15,000 daily rows) and 20,000 rows, parsed off the main thread when large. A date already there is updated. All or nothing: a row that is not a price (a date twice, a close outside low–high) is a 422 naming its line. The company's analysis then takes the close on or before each period end as its share price.",
				example: { content: "Date,Open,High,Low,Close,Adj Close,Volume\n2017-09-29,153.21,154.13,152.0,154.12,154.12,26299810\n" },
				response: "PriceUpload",
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /companies/:id/prices",
			permission: ["write", "financial_data"],
			params: { $$strict: true, id: idParam, content: { type: "string", min: 1, max: MAX_PRICE_CSV_CHARS } },
			async handler(ctx: FinanceContext<{ id: string; content: string }>): Promise<PriceUpload> {
				return this.storePriceCsv(ctx, ctx.params.id, ctx.params.content);
			},
		},

		/**
		 * A provider's price CSV as the call's stream (integration's fetch), stored as an upload is: a stream, so a
		 * long history is never one transporter message (NATS carries at most 1 MB by default).
		 */
		importPriceCsv: {
			visibility: "public",
			retryPolicy: NOT_RETRIED,
			permission: ["write", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: FinanceContext<{ id: string }>): Promise<PriceUpload> {
				const content = (await readBody(ctx.stream as Readable | null, String(MAX_PRICE_CSV_CHARS))).toString("utf8");
				return this.storePriceCsv(ctx, ctx.params.id, content);
			},
		},

		/** The first and last day of a company's prices, and how many (the price connector fetches from the day after the last). */
		priceSpan: {
			visibility: "public",
			params: { $$strict: true, id: idParam },
			async handler(ctx: FinanceContext<{ id: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const query = { company_id: company.id };
				const [first] = await this.prices.find({ query, sort: ["date"], limit: 1 });
				const [last] = await this.prices.find({ query, sort: ["-date"], limit: 1 });
				return { company_id: company.id, first: first ? String(first.date) : null, last: last ? String(last.date) : null, rows: await this.prices.count({ query }) };
			},
		},

		listPrices: {
			openapi: {
				summary: "A company's daily prices",
				description:
					"Oldest first, `from`–`to`; `interval=week|month` gives bars (first open, highest high, lowest low, last close, summed volume, dated by their last day).",
				response: "PriceSeries",
			},
			rest: "GET /companies/:id/prices",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				id: idParam,
				from: isoDateParam("from", true),
				to: isoDateParam("to", true),
				interval: { type: "enum", values: [...PRICE_INTERVALS], optional: true },
			},
			cache: { keys: ["id", "from", "to", "interval", ...SCOPE_KEYS] },
			async handler(ctx: FinanceContext<{ id: string; from?: string; to?: string; interval?: PriceInterval }>) {
				const company = await this.company(ctx, ctx.params.id);
				const { from, to, interval = "day" } = ctx.params;
				const rows = (await this.pricesOf(company.id)).filter(r => (!from || r.date >= from) && (!to || r.date <= to));
				return { company_id: company.id, interval, rows: downsample(rows, interval) };
			},
		},

		market: {
			openapi: {
				summary: "A company's market figures by period",
				description:
					"At each period end (annual unless `statement_type=quarterly`): the close on or before it, shares outstanding, market capitalisation, the past year's volatility, maximum drawdown and return, and the Merton distance to default with its probability (Bharath & Shumway's naive form; docs/formulas.md). Null where prices or figures are missing, with the reason.",
				response: "MarketFigures",
			},
			rest: "GET /companies/:id/market",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam, statement_type: { type: "enum", values: [...STATEMENT_TYPES], optional: true } },
			cache: { keys: ["id", "statement_type", ...SCOPE_KEYS] },
			async handler(ctx: FinanceContext<{ id: string; statement_type?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const statements = await this.findEntities<Statement>({
					query: { company_id: company.id, statement_type: ctx.params.statement_type ?? "annual" },
					sort: ["period_end"],
				});
				const rows = await this.pricesOf(company.id);
				return { company_id: company.id, periods: statements.map(s => marketAt(s, rows)) };
			},
		},

		ratioHistory: {
			openapi: {
				summary: "A company's ratios over time",
				description:
					"Each ratio (`ratios`, a comma list of `group.name`; default all) over every period, oldest first, as the analysis of each period computes it (a quarter's flow/balance ratios on its trailing twelve months). An unknown ratio is a 422 naming it.",
				response: "RatioHistory",
			},
			rest: "GET /companies/:id/ratios/history",
			permission: ["read", "financial_data"],
			params: historyParams("ratios"),
			cache: { keys: ["id", "ratios", "statement_type", ...SCOPE_KEYS] },
			async handler(ctx: FinanceContext<{ id: string; ratios?: string; statement_type?: string }>) {
				const company = await this.company(ctx, ctx.params.id);
				const paths = this.namesOf(ctx.params.ratios, RATIO_PATHS, "ratios", "ratio");
				const statements = await this.findEntities<Statement>({ query: { company_id: company.id } });
				const history = ratioHistory(company.id, company.industry, statements, paths, await this.pricesOf(company.id));
				if (!ctx.params.statement_type) return { company_id: company.id, ratios: history };
				// the other kind of statement still feeds the trailing twelve months; only its points are left out
				const only = Object.fromEntries(Object.entries(history).map(([path, points]) => [path, points.filter(p => p.statement_type === ctx.params.statement_type)]));
				return { company_id: company.id, ratios: only };
			},
		},

		getStatement: {
			openapi: { summary: "Get a statement", response: "Statement" },
			rest: "GET /statements/:id",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: idParam },
			cache: { keys: ["id", ...SCOPE_KEYS] },
			async handler(ctx: FinanceContext<{ id: string }>) {
				return this.publicStatement(await this.ownedEntity<Statement>(ctx, ctx.params.id, "Statement"));
			},
		},

		replaceStatement: {
			openapi: {
				summary: "Replace a statement",
				example: {
					statement_type: "annual",
					period_end: "2024-12-31",
					currency: "USD",
					income_statement: { revenue: 1200, net_income: 120 },
					balance_sheet: { total_assets: 1500, total_liabilities: 800, total_equity: 700 },
					cash_flow: { operating_cash_flow: 200 },
				},
				description: "The whole statement (a GET answer can be sent back as it is).",
				response: "Statement",
				errors: [409],
			},
			rest: "PUT /statements/:id",
			permission: ["write", "financial_data"],
			// a statement as GET answers it can be sent back: its read-only fields are ignored
			params: { $$strict: true, id: idParam, ...statementFields, ...statementReadOnlyFields },
			async handler(ctx: FinanceContext<Partial<StatementData> & { id: string }>) {
				const { id, ...body } = ctx.params;
				const input = Object.fromEntries(Object.entries(body).filter(([k]) => !(STATEMENT_READ_ONLY_FIELDS as readonly string[]).includes(k)));
				const current = await this.ownedEntity<Statement>(ctx, id, "Statement");
				return this.saveStatement(ctx, current, input);
			},
		},

		updateStatement: {
			openapi: {
				summary: "Change a statement's line items",
				description: "Changes the fields and line items sent; `null` removes a line item.",
				response: "Statement",
				errors: [409],
				example: { income_statement: { revenue: 1250 } },
			},
			rest: "PATCH /statements/:id",
			permission: ["write", "financial_data"],
			params: { $$strict: true, id: idParam, ...statementPatchFields },
			async handler(ctx: FinanceContext<StatementPatch & { id: string }>) {
				const { id, ...patch } = ctx.params;
				const current = await this.ownedEntity<Statement>(ctx, id, "Statement");
				const { id: _id, company_id: _company, created_at: _created, updated_at: _updated, warnings: _warnings, ...data } = this.publicStatement(current);
				return this.saveStatement(ctx, current, applyStatementPatch(data, patch));
			},
		},

		removeStatement: {
			openapi: { summary: "Delete a statement", response: "Deleted" },
			retryPolicy: NOT_RETRIED,
			rest: "DELETE /statements/:id",
			permission: ["admin", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: FinanceContext<{ id: string }>) {
				const statement = await this.ownedEntity<Statement>(ctx, ctx.params.id, "Statement");
				await this.removeEntity(statement.id);
				emit(ctx, Finance.events.statementDeleted, { statement: this.publicStatement(statement), by: principalOf(ctx).id });
				await announceCompanyDataChanged(this.broker, { company_id: statement.company_id, source: "statements", period_end: statement.period_end });
				return { id: statement.id, deleted: true };
			},
		},

		/**
		 * POST /companies/:id/import/sec (an alias of the gateway's import route): the body, a companyfacts
		 * document of up to `import_body_limit`, arrives as a stream, so no transporter message carries it
		 * whole. All or nothing; importing again updates, never duplicates.
		 */
		importSec: {
			openapi: {
				summary: "Import an SEC filing",
				response: "SecImport",
				description:
					"Body: an SEC XBRL companyfacts document (us-gaap 10-K or IFRS 20-F filers). Creates or updates the annual statements it holds and, for a 10-Q filer, the quarterly ones (each quarter's own figures; the fourth is the year less the first nine months where the filer reports only the year), all or nothing; importing again updates, never duplicates.",
				flag: "sec_import",
				body_limit: "50 MB",
				upload: "application/json",
				errors: [409],
			},
			retryPolicy: NOT_RETRIED,
			// broker.import_timeout, set by the ActionTimeouts middleware from the broker's configuration
			timeoutKind: "import",
			// a 50 MB document takes about 4× its size in memory while parsed: at most two at once per node, four waiting (their bodies buffered), then 429
			bulkhead: { enabled: true, concurrency: 2, maxQueueSize: 4 },
			permission: ["write", "financial_data"],
			params: { $$strict: true, id: idParam },
			async handler(ctx: FinanceContext<{ id: string }>) {
				// who may import is settled before a byte of the body is read
				await this.requireFlag(ctx, "sec_import");
				const company = await this.company(ctx, ctx.params.id);
				// a document refused for what it is (malformed, too large, another CIK, an invalid period) counts as rejected
				const { parsed, prepared } = await (async () => {
					const doc = await readJsonBody(ctx.stream as Readable | null, this.config.http.import_body_limit);
					let parsed;
					try {
						parsed = parseCompanyFacts(doc);
					} catch (err) {
						if (err instanceof SecDocumentError) throw unprocessable(err.message, err.problems);
						throw err;
					}
					if (company.cik && company.cik.replace(/^0+/, "") !== parsed.cik) {
						throw unprocessable(`The document is for CIK ${parsed.cik}, the company's CIK is ${company.cik}`, [
							{ field: "cik", message: "does not match the company's cik", actual: parsed.cik },
						]);
					}
					// validate every period before writing any
					// the fiscal years, then the quarters (10-Q filers)
					const prepared = [...parsed.periods, ...parsed.quarters].map(p => {
						const { statement, problems } = normalizeStatement(p.statement);
						if (problems.length)
							throw unprocessable(
								`Period ${p.period_end} is not a valid statement`,
								problems.map(x => ({ ...x, field: `${p.period_end}.${x.field}` })),
							);
						const check = checkStatementShape(statement);
						if (check !== true)
							throw unprocessable(
								`Period ${p.period_end} is not a valid statement`,
								check.map(e => ({ ...e, message: e.message ?? e.type, field: `${p.period_end}.${e.field}` })),
							);
						return { period: p, data: { ...statement, warnings: identityWarnings(statement) } };
					});
					return { parsed, prepared };
				})().catch(err => {
					const code = (err as { code?: unknown }).code;
					if (typeof code === "number" && code >= 400 && code < 500) this.countMetric(BUSINESS_COUNTERS.secImports, { outcome: "rejected" });
					throw err;
				});
				const lockKey = `import|${company.id}`;
				return this.withLock(lockKey, async () => {
					const written: Array<{ id: string; before: Statement | null }> = [];
					const periods: Array<{
						id: string;
						statement_type: string;
						period_end: string;
						fiscal_year: number;
						fiscal_period: string;
						action: "created" | "updated" | "unchanged";
						found: string[];
						missing: string[];
						tags: Record<string, string>;
						warnings: string[];
					}> = [];
					// one cache cleaning for the whole import, at the end
					await this.store.batch(async () => {
						try {
							for (const { period, data } of prepared) {
								const key = statementKey(company.id, data.statement_type, period.period_end);
								await this.withLock(key, async () => {
									const step = planPeriod({ period, data }, await this.findEntity<Statement>({ statement_key: key }));
									const now = nowIso();
									let saved: Statement;
									if (step.action === "create") {
										const doc = { ...step.data, company_id: company.id, statement_key: key, created_at: now, updated_at: now };
										try {
											saved = this.toEntity<Statement>(await this.store.insertKeyed(key, doc))!;
										} catch (err) {
											if (!isDuplicateKeyError(err)) throw err;
											if (await this.findEntity({ statement_key: key }))
												throw conflict(`A statement for ${period.period_end} was created meanwhile; import again`, { field: "period_end" });
											saved = this.toEntity<Statement>(await this.store.insert(doc))!; // the id is held by a moved statement
										}
										written.push({ id: saved.id, before: null });
									} else if (step.action === "update") {
										saved = this.toEntity<Statement>(await this.store.updateById(step.existing.id, { $set: { ...step.set, updated_at: now } }))!;
										written.push({ id: step.existing.id, before: step.existing });
									} else saved = step.existing;
									const action = ({ create: "created", update: "updated", unchanged: "unchanged" } as const)[step.action];
									periods.push({
										id: saved.id,
										statement_type: data.statement_type,
										period_end: period.period_end,
										fiscal_year: data.fiscal_year,
										fiscal_period: data.fiscal_period,
										action,
										found: period.found,
										missing: period.missing,
										tags: period.tags,
										warnings: saved.warnings ?? [],
									});
								});
							}
						} catch (err) {
							// all or nothing: undo what this import wrote before the failure
							for (const w of written.reverse()) {
								if (w.before) await this.store.updateById(w.id, restoreOf(w.before)).catch(() => undefined);
								else await this.store.removeById(w.id).catch(() => undefined);
							}
							throw err;
						}
					});
					const summary = {
						company_id: company.id,
						cik: parsed.cik,
						entity_name: parsed.entity_name,
						taxonomy: parsed.taxonomy,
						currency: parsed.currency,
						created: periods.filter(p => p.action === "created").length,
						updated: periods.filter(p => p.action === "updated").length,
						unchanged: periods.filter(p => p.action === "unchanged").length,
						periods,
					};
					this.countMetric(BUSINESS_COUNTERS.secImports, { outcome: "imported" });
					this.logger.info(
						`SEC import for company ${company.id} (${parsed.entity_name ?? "CIK " + parsed.cik}): ${summary.created} periods created, ${summary.updated} updated, ${summary.unchanged} unchanged`,
					);
					if (summary.created + summary.updated > 0) await announceCompanyDataChanged(this.broker, { company_id: company.id, source: "statements" });
					emit(ctx, Finance.events.statementsImported, {
						company_id: company.id,
						cik: parsed.cik,
						created: summary.created,
						updated: summary.updated,
						period_ends: periods.filter(p => p.action !== "unchanged").map(p => p.period_end),
						by: principalOf(ctx).id,
					});
					return summary;
				});
			},
		},

		analysis: {
			openapi: {
				summary: "Analyse a company",
				response: "Analysis",
				description:
					"Ratios (each with its formula, unit, inputs and why it is null), Altman, Piotroski, Beneish and DuPont scores, trends and the industry benchmark, for the latest annual period or `period_end` (docs/formulas.md). The benchmark's peers are the industry's companies and the shipped reference filers of the industry (FY2009 10-K filers, dated in `reference_set`); `reference_peers=false` leaves the reference filers out. An unknown period is a 404 listing the company's periods.",
			},
			rest: "GET /companies/:id/analysis",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				id: idParam,
				period_end: isoDateParam("period_end", true),
				// false: the benchmark's peers are the caller's companies only, without the shipped reference filers
				reference_peers: { type: "boolean", optional: true, convert: true },
			},
			// keyed by the caller's scope, as the visibility check inside is skipped on a hit
			cache: { keys: ["id", "period_end", "reference_peers", ...SCOPE_KEYS], ttl: 3600 },
			async handler(ctx: FinanceContext<{ id: string; period_end?: string; reference_peers?: boolean }>) {
				const company = await this.company(ctx, ctx.params.id);
				const analysis = await call(ctx, Finance.actions.computeAnalysis, {
					company_id: company.id,
					industry: company.industry,
					period_end: ctx.params.period_end,
					...(ctx.params.reference_peers === false ? { reference_peers: false } : {}),
				});
				// the company's name and ticker are added here, at the edge: the shared computation is the same whoever asked first
				return { ...analysis, company: { ...analysis.company, name: company.name, ticker: company.ticker ?? null } };
			},
		},

		/**
		 * The analysis itself, cached per company, industry and period; callers check visibility first. It holds
		 * no presentation fields (the company's name and ticker are null here): `analysis` adds them, so what is
		 * cached does not depend on which caller filled it.
		 */
		computeAnalysis: {
			visibility: "public",
			params: {
				company_id: idParam,
				industry: { type: "string" },
				period_end: isoDateParam("period_end", true),
				reference_peers: { type: "boolean", optional: true },
			},
			cache: { keys: ["company_id", "industry", "period_end", "reference_peers"], ttl: 3600 },
			async handler(ctx: FinanceContext<{ company_id: string; industry: string; period_end?: string; reference_peers?: boolean }>): Promise<Analysis> {
				const { company_id, industry, period_end, reference_peers } = ctx.params;
				const statements = await this.findEntities<Statement>({ query: { company_id }, sort: ["period_end"] });
				const statement = analysedStatement(statements, period_end);
				if (!statement) {
					if (!period_end) throw notFound("Statement (the company has none to analyse)");
					const periods = statements.map(s => `${s.period_end} (${s.statement_type})`);
					throw missing(`No statement for period ${period_end}; ${periods.length ? `the company's periods: ${periods.join(", ")}` : "the company has no statements"}`, {
						periods: statements.map(s => ({ period_end: s.period_end, statement_type: s.statement_type })),
					});
				}
				const peers = await call(ctx, Finance.actions.peerStats, { industry, ...(reference_peers === false ? { reference_peers } : {}) });
				const result = analyze({
					company_id,
					industry,
					statements,
					period_end: statement.period_end,
					peers,
					statement_warnings: statement.warnings,
					// what the statements' period ends need: their closes, and the year before the earliest (its volatility)
					prices: await this.pricesOf(company_id, yearBefore(statements[0].period_end)),
				});
				if (!result) throw notFound("Statement");
				this.countMetric(BUSINESS_COUNTERS.analysesComputed, { industry });
				emit(ctx, Finance.events.analysisCompleted, { company_id, period_end: result.period_end });
				return result;
			},
		},

		/**
		 * The benchmark's peer group: every company of the industry, by its latest annual statement, and (unless
		 * `reference_peers` is false) the shipped reference filers of the industry (lib/reference-filers.ts),
		 * dated. Cached per industry.
		 */
		peerStats: {
			visibility: "public",
			params: { industry: { type: "string" }, reference_peers: { type: "boolean", optional: true } },
			cache: { keys: ["industry", "reference_peers"], ttl: 3600 },
			async handler(ctx: FinanceContext<{ industry: string; reference_peers?: boolean }>): Promise<PeerStats> {
				const companyIds = (await this.companiesInScope(ctx, { industry: ctx.params.industry })).map(c => c.id);
				const latest = new Map<string, Statement>();
				if (companyIds.length) {
					for (const s of await this.findEntities<Statement>({ query: { company_id: { $in: companyIds }, statement_type: "annual" } })) {
						const seen = latest.get(s.company_id);
						if (!seen || s.period_end > seen.period_end) latest.set(s.company_id, s);
					}
				}
				const own = [...latest.values()].map(s => ({ company_id: s.company_id, ratios: computeRatios(figuresOf(s)) }));
				const reference = ctx.params.reference_peers === false ? [] : referencePeers(ctx.params.industry);
				return peerStatsOf(ctx.params.industry, [...own, ...reference], reference.length ? { ...REFERENCE_PEER_SET, peers: reference.length } : undefined);
			},
		},

		portfolio: {
			openapi: {
				summary: "Analyse many companies",
				response: "PortfolioAnalysis",
				description: "Up to 500 companies at once, 16 at a time: one analysis or error per company.",
				flag: "portfolio_analysis",
				example: { company_ids: ["<company id>"] },
			},
			rest: "POST /analysis/portfolio",
			permission: ["read", "financial_data"],
			params: {
				$$strict: true,
				company_ids: { type: "array", min: 1, max: PORTFOLIO_MAX, unique: true, items: idParam },
				period_end: isoDateParam("period_end", true),
			},
			async handler(ctx: FinanceContext<{ company_ids: string[]; period_end?: string }>) {
				await this.requireFlag(ctx, "portfolio_analysis");
				const started = Date.now();
				const results = await mapBounded(ctx.params.company_ids, PORTFOLIO_CONCURRENCY, async id => {
					try {
						return { company_id: id, status: 200, analysis: await call(ctx, Finance.actions.analysis, { id, period_end: ctx.params.period_end }) };
					} catch (caught) {
						const err = caught as { code?: unknown; name?: string; message?: string; type?: string };
						const code = typeof err.code === "number" && err.code >= 400 && err.code < 500 ? err.code : 500;
						return { company_id: id, status: code, error: { name: err.name, message: code === 500 ? "Internal error" : err.message, code, type: err.type } };
					}
				});
				const failed = results.filter(r => r.status !== 200).length;
				return { count: results.length, succeeded: results.length - failed, failed, elapsed_ms: Date.now() - started, results };
			},
		},
	},

	created() {
		this.locks = new KeyedLock();
	},

	async started() {
		await atStartup(this, "finance: the channel's stream", () => ensureChannel(this.broker, Companies.channels.dataChanged));
	},
});

export default FinanceService;
