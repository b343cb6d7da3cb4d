/**
 * The entities the API answers, as OpenAPI 3 schemas (components/schemas of GET /api/v1/openapi.json). Each
 * object lists every field it answers (no others: `additionalProperties: false`) and requires those always
 * present, so the document and the answers can be checked against each other (test/e2e/openapi.spec.ts), and
 * each entity's fields are those of the type its service answers with (models/, contracts/), required alike
 * (test/unit/entities.spec.ts).
 * Maps whose keys are data (ratio names, regulations, steps) say so with `additionalProperties`.
 */
type Schema = Record<string, unknown>;

const str = (description?: string): Schema => ({ type: "string", ...(description ? { description } : {}) });
const int = (description?: string): Schema => ({ type: "integer", ...(description ? { description } : {}) });
const num = (description?: string): Schema => ({ type: "number", ...(description ? { description } : {}) });
const bool = (description?: string): Schema => ({ type: "boolean", ...(description ? { description } : {}) });
const dateTime = (description?: string): Schema => ({ type: "string", format: "date-time", ...(description ? { description } : {}) });
const date = (description?: string): Schema => ({ type: "string", format: "date", ...(description ? { description } : {}) });
const oneOf = (values: readonly string[], description?: string): Schema => ({ type: "string", enum: [...values], ...(description ? { description } : {}) });
const nullable = (s: Schema): Schema => ({ ...s, nullable: true });
const arr = (items: Schema, description?: string): Schema => ({ type: "array", items, ...(description ? { description } : {}) });
const map = (values: Schema, description?: string): Schema => ({ type: "object", additionalProperties: values, ...(description ? { description } : {}) });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const any = (description: string): Schema => ({ description });
/** An object with exactly these fields: `required` always there, `optional` when they apply. */
const obj = (required: Record<string, Schema>, optional: Record<string, Schema> = {}, description?: string): Schema => ({
	type: "object",
	...(description ? { description } : {}),
	// OpenAPI 3.0 refuses an empty `required`
	...(Object.keys(required).length ? { required: Object.keys(required) } : {}),
	properties: { ...required, ...optional },
	additionalProperties: false,
});
/** An entity: its id and timestamps around its own fields. */
const entity = (fields: Record<string, Schema>, optional: Record<string, Schema> = {}, description?: string): Schema =>
	obj({ id: str("Its id"), ...fields, created_at: dateTime(), updated_at: dateTime() }, optional, description);

const INDUSTRIES = ["financial_services", "healthcare", "manufacturing", "technology"] as const;
const ROLES = ["viewer", "analyst", "domain_admin", "super_admin"] as const;
const TIERS = ["default", "premium"] as const;
const userFields = { username: str(), role: oneOf(ROLES), domains: arr(str(), "Industries the user may see; '*' for all"), tier: oneOf(TIERS, "Rate-limit tier") };
const lineItems = map(nullable(num()), "Line items of the section, by name (docs/api.md#statements)");
const value = nullable(num());

/** A page of a portfolio view: the page, how many companies in all, and the count per level or status. */
/** A portfolio summary: companies counted by their worst `grade`, the `items` (records, assessments) by theirs, a page of rows. */
const portfolioPage = (row: Schema, grade: string, items: string, description: string): Schema =>
	obj(
		{
			rows: arr(row),
			companies: int("Companies in the caller's domains"),
			[`companies_by_${grade}`]: map(int(), `Companies by their worst ${grade} (none: not_assessed)`),
			[items]: int(`All their ${items}`),
			[`${items}_by_${grade}`]: map(int(), `The ${items} by ${grade}`),
			total: int(),
			page: int(),
			page_size: int(),
			total_pages: int(),
		},
		{},
		description,
	);

const datasetFields = {
	name: str(),
	domain: str(),
	format: oneOf(["csv", "arff"]),
	label: str("The label column"),
	positive_class: str(),
	classes: arr(str()),
	rows: int(),
	class_balance: map(int(), "Rows per class"),
	missing_total: int(),
	sha256: str(),
	size_bytes: int(),
	created_by: str(),
};

/** A company's market figures at one period end (domains/market/market.ts). */
const marketAtPeriod: Schema = obj(
	{
		period_end: date(),
		statement_type: oneOf(["annual", "quarterly"]),
		price_date: { type: "string", format: "date", nullable: true, description: "the trading day whose close is used" },
		close: { type: "number", nullable: true },
		shares_outstanding: { type: "number", nullable: true },
		market_cap: { type: "number", nullable: true, description: "close × shares outstanding" },
		volatility: { type: "number", nullable: true, description: "annualised, of daily log returns over the year to the period end" },
		max_drawdown: { type: "number", nullable: true, description: "largest fall from a peak over that year, 0–1" },
		past_year_return: { type: "number", nullable: true },
		distance_to_default: { type: "number", nullable: true, description: "Merton, Bharath & Shumway's naive form" },
		default_probability: { type: "number", nullable: true, description: "N(−distance to default)" },
		inputs: obj({
			equity: { type: "number", nullable: true },
			default_point: { type: "number", nullable: true, description: "short-term debt + ½ long-term debt" },
			equity_volatility: { type: "number", nullable: true },
			asset_volatility: { type: "number", nullable: true },
			drift: { type: "number", nullable: true },
		}),
	},
	{ null_reason: str() },
);

export const OPENAPI_SCHEMAS: Record<string, Schema> = {
	Liveness: obj({ status: oneOf(["ok"]) }),
	Readiness: obj(
		{
			status: oneOf(["ready", "unavailable"]),
			transporter: oneOf(["connected", "disconnected", "local", "none"]),
			auth: str("'ok', or why the user store cannot be reached"),
			services: map(bool(), "Whether a live node runs each service"),
			missing_services: arr(str()),
			warnings: arr(str()),
		},
		{},
		"The gateway's readiness: 200 when ready, 503 otherwise",
	),
	User: entity(userFields, {}, "A user account (never its password)"),
	Principal: obj(
		{ id: str(), username: str(), role: oneOf(ROLES), domains: arr(str()), tier: oneOf(TIERS), kind: oneOf(["user", "api_key"]) },
		{},
		"The caller (an API key's username is api-key:<its name>)",
	),
	Session: obj(
		{
			token: str("Access token (JWT): send as Authorization: Bearer"),
			refresh_token: str("Spend it at POST /auth/refresh for a new pair"),
			expires_in: int("Seconds the access token lasts"),
			user: ref("User"),
		},
		{},
		"A signed-in session",
	),
	SignedOut: obj({ logged_out: bool() }),
	ApiKey: entity(
		{ name: str(), role: oneOf(ROLES), domains: arr(str()), tier: oneOf(TIERS), created_by: str("Who issued it") },
		{ expires_at: dateTime() },
		"An API key (the secret is never shown again)",
	),
	ApiKeyCreated: entity(
		{ name: str(), role: oneOf(ROLES), domains: arr(str()), tier: oneOf(TIERS), created_by: str(), key: str("The key, shown this once: send it as X-API-Key") },
		{ expires_at: dateTime() },
	),
	Deleted: obj({ id: str(), deleted: bool() }),
	Backup: obj(
		{
			name: str(),
			created_at: dateTime(),
			store: oneOf(["embedded", "mongodb"]),
			platform_version: str(),
			collections: int(),
			documents: int(),
			blobs: int(),
			audit_head_seq: int("The audit chain's head it holds"),
		},
		{},
		"A backup under BACKUP_DIR (docs/operations.md)",
	),
	Backups: obj({ rows: arr(ref("Backup")), folder: nullable(str("BACKUP_DIR, or null when backups are off")) }),
	BackupVerification: obj({ name: str(), ok: bool(), problems: arr(str(), "What does not verify: a file, a count, a hash, the audit chain") }),
	Erased: obj({ id: str(), erased: bool(), records: map(int(), "Records that named the person, now `[erased]`, per service (api_keys: keys removed)") }),
	EncryptionStatus: obj(
		{
			kek: obj({ id: str(), created_at: dateTime(), age_days: int(), rotation_due: bool(), keys_in_file: int() }, {}, "The key-encryption key that wraps the data keys"),
			key_rotation_days: int(),
			data_keys: obj({ by_state: map(int()), by_kek: map(int()), scopes: int(), oldest_active_days: nullable(int()) }),
			reencryption: obj(
				{
					state: oneOf(["none", "waiting", "running", "done", "failed"]),
					kids: arr(str()),
					started_at: nullable(dateTime()),
					ended_at: nullable(dateTime()),
					error: nullable(str()),
					progress: map(any("scanned, rewritten, last, done")),
				},
				{},
				"The background re-encryption after the last rotation, per `<service>/<collection>`",
			),
		},
		{ rotated: arr(str(), "The key ids that took over (POST /encryption/rotate)") },
		"Encryption at rest (docs/security.md)",
	),
	Company: entity(
		{ name: str(), industry: oneOf(INDUSTRIES) },
		{ ticker: str("Unique, upper-case"), cik: str("SEC Central Index Key, unique"), country: str("ISO 3166-1 alpha-2"), currency: str("ISO 4217") },
	),
	Statement: entity(
		{
			company_id: str(),
			statement_type: oneOf(["annual", "quarterly"]),
			period_end: date(),
			fiscal_year: int(),
			fiscal_period: str("FY, Q1…Q4"),
			currency: str("ISO 4217"),
			balance_sheet: lineItems,
			income_statement: lineItems,
			cash_flow: lineItems,
			warnings: arr(str(), "Accounting identities that do not hold, e.g. assets ≠ liabilities + equity"),
		},
		{
			market: map(nullable(num()), "share_price, market_cap (used by Altman's market-value variant)"),
			source: obj(
				{ type: str("e.g. sec_companyfacts") },
				{ cik: str(), entity_name: str(), accession: arr(str(), "The filings' accession numbers"), filed: str() },
				"Where it came from (an SEC import)",
			),
		},
		"A financial statement (docs/api.md#statements)",
	),
	Flag: entity(
		{
			name: str(),
			description: str(),
			enabled: bool(),
			rollout_percentage: int("Share of callers it is on for, 0–100"),
			whitelist: arr(str(), "Usernames it is always on for"),
			gradual_rollout: nullable(obj({ start: dateTime(), end: dateTime() }, {}, "The rollout rises linearly from start to end")),
		},
		{},
		"A feature flag",
	),
	FlagEvaluation: map(bool(), "Each flag as it is for the caller"),
	Workflow: entity(
		{
			type: oneOf(["company_review"]),
			company_id: str(),
			industry: str(),
			trigger: obj({ source: str(), change_id: str() }, { period_end: date() }),
			state: oneOf(["running", "succeeded", "failed"]),
			steps: arr(
				obj(
					{ name: oneOf(["analysis", "risk", "compliance", "swot"]), state: oneOf(["pending", "running", "succeeded", "failed", "skipped"]), attempts: int() },
					{ started_at: dateTime(), finished_at: dateTime(), duration_ms: int(), result: any("What the step did (docs/orchestrator.md)"), error: str() },
				),
			),
			started_at: dateTime(),
		},
		{ failed_step: str(), finished_at: dateTime(), node: str("The node running it"), lease_until: dateTime() },
		"A company review (docs/orchestrator.md)",
	),
	Overview: obj(
		{
			company_id: str(),
			company: obj({ name: str(), industry: str() }, { ticker: nullable(str()) }),
			statements: obj({ latest_period_end: nullable(date()), last_change_at: nullable(dateTime()) }),
			analysis: nullable(
				obj({
					period_end: date(),
					statement_type: str(),
					currency: str(),
					altman: nullable(obj({ variant: oneOf(["z", "z_prime", "z_double_prime"]), z: value, zone: nullable(oneOf(["distress", "grey", "safe"])) })),
					piotroski: nullable(obj({ score: nullable(int()), of: int("Signals computable") })),
					beneish: nullable(obj({ m_score: value, likely_manipulator: nullable(bool()) })),
					ratios: obj({ current_ratio: value, debt_to_equity: value, net_margin: value, roe: value }),
					revenue_growth: nullable(obj({ period_end: date(), value })),
					warnings: int(),
					as_of: dateTime(),
				}),
			),
			risk: obj({
				level: nullable(str("The highest level of the assessments")),
				assessments: arr(
					obj(
						{ id: str(), risk_type: str(), method: oneOf(["automatic", "manual"]), risk_score: value, level: nullable(str()), assessed_at: dateTime() },
						{ title: str() },
					),
				),
			}),
			compliance: obj({
				status: nullable(str("The worst status of the records")),
				regulations: map(obj({ status: str(), violations: int(), assessed_at: dateTime(), next_review: nullable(dateTime()) }), "By regulation"),
			}),
			plans: obj({
				by_status: map(int()),
				rows: arr(obj({ id: str(), title: str(), status: str(), score: value, grade: nullable(str()), open_actions: int(), updated_at: dateTime() }, { review: bool() })),
				open_actions: arr(obj({ id: str(), title: str(), owner: str(), status: str(), plan_id: str(), overdue: bool() }, { due_date: date(), objective_id: str() })),
				overdue_actions: int(),
			}),
			workflow: nullable(
				obj(
					{ id: str(), state: str(), steps: map(obj({ state: str() }, { attempts: int() })), started_at: dateTime() },
					{ trigger: str(), failed_step: str(), finished_at: dateTime() },
				),
			),
			as_of: obj({ seq: int("The last audit entry folded in"), at: nullable(dateTime()) }),
		},
		{},
		"The company at a glance (docs/overview.md)",
	),
	Overviews: obj({ rows: arr(ref("Overview")), not_found: arr(str(), "Ids asked for that are not companies of the caller's domains") }),
	OverviewRebuilt: obj({ entries_folded: int(), overview: ref("Overview") }),
	AuditEntry: obj(
		{
			id: str("Its seq"),
			seq: int(),
			event_id: str(),
			action: str("The event's name"),
			entity: obj({ type: str(), id: nullable(str()) }),
			actor: nullable(obj({ id: str(), username: str(), role: str() })),
			request_id: nullable(str()),
			at: dateTime(),
			payload: any("The event's payload as emitted"),
			prev_hash: str("SHA-256 of the entry before"),
			hash: str("SHA-256 of this entry"),
		},
		{ company_id: nullable(str()), domain: nullable(str()) },
		"An audit trail entry (docs/audit.md)",
	),
	Analysis: obj(
		{
			company_id: str(),
			company: obj({ id: str(), name: nullable(str()), ticker: nullable(str()), industry: str() }),
			period_end: date(),
			statement_type: oneOf(["annual", "quarterly"]),
			currency: str(),
			period: obj(
				{
					period_end: date(),
					statement_type: str(),
					basis: oneOf(["annual", "quarterly"], "The figures of the ratios"),
					scores_basis: nullable(oneOf(["annual", "ttm"], "The figures of the scores: annual, trailing twelve months, or none")),
					compared_with: obj({ t_minus_1: nullable(date()), t_minus_2: nullable(date()) }),
				},
				{ ttm_quarters: arr(date()) },
			),
			ratios: map(map(value), "By group (liquidity, profitability, leverage, efficiency, cash_flow, valuation), each ratio by name (docs/formulas.md)"),
			ratio_details: map(
				map(
					obj(
						{ formula: str(), unit: str(), display: nullable(str('The value as a person reads it, rounded to its unit ("12.3 %")')), inputs: map(value) },
						{ basis: str(), null_reason: str("Why the ratio is null") },
					),
				),
				"Per ratio: its formula, unit, display, basis, inputs and why it is null when it is",
			),
			key_figures: map(value, "The amounts other services size things by: revenue, ebitda, net_income, total_assets, … (null when missing)"),
			scores: obj({
				altman: nullable(
					obj({
						z: value,
						z_prime: value,
						z_double_prime: value,
						primary: oneOf(["z", "z_prime", "z_double_prime"]),
						zone: nullable(oneOf(["distress", "grey", "safe"])),
						components: map(value),
						null_reasons: map(str()),
						definition: any("The formula, its variants' zones and its source"),
					}),
				),
				piotroski: nullable(
					obj({
						score: nullable(int("Signals that hold")),
						signals: map(nullable(bool())),
						signals_available: int("Signals computable"),
						null_reasons: map(str()),
						definitions: map(str()),
					}),
				),
				beneish: nullable(
					obj({
						m_score: value,
						likely_manipulator: nullable(bool()),
						indices: map(value),
						null_reasons: map(str()),
						definition: any("Coefficients, threshold, source"),
					}),
				),
				dupont: obj({ three_step: map(value), five_step: map(value), basis: str() }),
			}),
			trends: obj({
				periods: arr(date()),
				growth: map(arr(obj({ period_end: date(), value }))),
				margin_change: map(arr(obj({ period_end: date(), value }))),
				cagr: map(nullable(obj({ value, from: date(), to: date(), years: num() }))),
			}),
			benchmark: nullable(
				obj(
					{
						industry: str(),
						peer_count: int("Other companies of the industry with an annual statement, the reference set's filers included"),
						basis: oneOf(["peers", "reference", "none"]),
						min_peers: int("Peers a peer median needs; fewer, and median is the reference median (or null)"),
						ratios: map(
							obj(
								{ value, median: value, percentile: nullable(num("Share of peers below this company, 0–1")) },
								{ reference_median: num("The industry module's published median") },
							),
							"By group.ratio",
						),
					},
					{
						reference: obj({ source: str(), as_of: str() }, {}, "Where the reference medians come from, and when they held"),
						reference_set: obj(
							{ source: str(), as_of: str("The fiscal year the set's statements are of"), peers: int("Of peer_count") },
							{},
							"Real filers shipped with the platform among the peers (`reference_peers=false` leaves them out)",
						),
					},
				),
			),
			market: nullable(marketAtPeriod),
			warnings: arr(str()),
		},
		{},
		"The analysis of a company at one period (docs/formulas.md)",
	),
	PortfolioAnalysis: obj({
		count: int(),
		succeeded: int(),
		failed: int(),
		elapsed_ms: int(),
		results: arr(obj({ company_id: str(), status: int("The HTTP status of this company's analysis") }, { analysis: ref("Analysis"), error: ref("Error") })),
	}),
	PriceUpload: obj({ company_id: str(), rows: int(), from: date(), to: date(), created: int(), updated: int(), unchanged: int() }, {}, "What a price upload wrote"),
	PriceSeries: obj(
		{
			company_id: str(),
			interval: oneOf(["day", "week", "month"]),
			rows: arr(obj({ date: date(), open: num(), high: num(), low: num(), close: num(), volume: num() }, { adj_close: num() })),
		},
		{},
		"A company's daily prices, or weekly or monthly bars",
	),
	MarketFigures: obj(
		{
			company_id: str(),
			periods: arr(marketAtPeriod),
		},
		{},
		"A company's market figures at each period end",
	),
	LineItemHistory: obj(
		{
			company_id: str(),
			items: map(arr(ref("HistoryPoint")), "By line item, oldest period first"),
		},
		{},
		"A company's line items over every period",
	),
	RatioHistory: obj(
		{
			company_id: str(),
			ratios: map(arr(ref("HistoryPoint")), "By group.ratio, oldest period first"),
		},
		{},
		"A company's ratios over every period, as each period's analysis computes them",
	),
	HistoryPoint: obj(
		{
			period_end: date(),
			statement_type: oneOf(["annual", "quarterly"]),
			fiscal_period: oneOf(["FY", "Q1", "Q2", "Q3", "Q4"]),
			value: { type: "number", nullable: true },
		},
		{},
		"One period's value",
	),
	SecCompanyImport: obj(
		{
			company: ref("Company"),
			created: bool("true: created now; false: there already (same CIK) and refreshed"),
			filer: obj(
				{
					described_by: oneOf(["submissions", "company_tickers"], "SEC's submissions, or (it has none for the filer) company_tickers.json's entry: then no SIC"),
					tickers: arr(str()),
					sic: { type: "integer", nullable: true, description: "SEC's SIC code" },
					sic_description: { type: "string", nullable: true },
					fiscal_year_end: { type: "string", nullable: true, description: "MMDD" },
					former_names: arr(obj({ name: str(), from: { type: "string", nullable: true }, to: { type: "string", nullable: true } })),
					country: { type: "string", nullable: true },
				},
				{},
				"The filer as SEC describes it",
			),
			import: ref("SecImport"),
		},
		{},
		"A company brought in from SEC EDGAR and what its import wrote",
	),
	RefreshRun: obj(
		{
			id: str(),
			source: oneOf(["sec", "prices"]),
			fired_at: { type: "string", format: "date-time", description: "the firing of SEC_REFRESH_CRON or PRICES_REFRESH_CRON this run is" },
			node: str("the replica that ran it"),
			state: oneOf(["running", "succeeded", "paused", "failed"]),
			companies: int("companies with a CIK (SEC) or a ticker (prices)"),
			refreshed: int(),
			failed: int(),
			errors: arr(obj({ company_id: str(), message: str() }), "the first 20 failures"),
			started_at: { type: "string", format: "date-time" },
		},
		{ finished_at: { type: "string", format: "date-time" } },
		"A scheduled refresh from SEC EDGAR or the price provider: one per firing across replicas",
	),
	PriceFetch: obj(
		{
			company_id: str(),
			provider: oneOf(["tiingo", "custom"]),
			ticker: str(),
			requested: obj({ from: date(), to: date() }),
			history_refetched: bool("a split or a dividend among the new rows: the whole history was fetched again"),
			rows: int("rows the provider gave"),
			from: { ...date(), nullable: true },
			to: { ...date(), nullable: true },
			created: int(),
			updated: int(),
			unchanged: int(),
		},
		{},
		"What a price fetch stored",
	),
	PriceProviderStatus: obj(
		{
			enabled: bool("false while PRICES_PROVIDER is not set"),
			provider: { type: "string", nullable: true },
			paused_until: { type: "string", format: "date-time", nullable: true, description: "the provider's traffic is paused until then (it said the rate was exceeded)" },
			max_requests: { type: "integer", nullable: true, description: "requests every replica shares per window" },
			window_seconds: { type: "number", nullable: true },
			shared: bool("the rate and the pause are shared through Redis"),
			cached_answers: int(),
		},
		{},
		"The daily price provider connector",
	),
	SecStatus: obj(
		{
			enabled: bool("false while SEC_USER_AGENT is not set"),
			paused_until: { type: "string", format: "date-time", nullable: true, description: "SEC traffic is paused until then (SEC said the rate was exceeded)" },
			requests_per_second: int("the request rate every replica shares"),
			shared: bool("the rate and the pause are shared through Redis"),
			cached_answers: int(),
		},
		{},
		"The SEC EDGAR connector",
	),
	SecImport: obj(
		{
			company_id: str(),
			cik: str(),
			entity_name: str(),
			taxonomy: oneOf(["us-gaap", "ifrs-full"]),
			currency: str(),
			created: int(),
			updated: int(),
			unchanged: int(),
			periods: arr(
				obj({
					id: str("The statement's id"),
					statement_type: oneOf(["annual", "quarterly"]),
					period_end: date(),
					fiscal_year: int(),
					fiscal_period: oneOf(["FY", "Q1", "Q2", "Q3", "Q4"]),
					action: oneOf(["created", "updated", "unchanged"]),
					found: arr(str(), "Line items found"),
					missing: arr(str(), "Line items the filing does not give"),
					tags: map(str(), "The XBRL tag each line item came from"),
					warnings: arr(str()),
				}),
			),
		},
		{},
		"What an SEC import wrote, period by period",
	),
	ComplianceRecord: entity(
		{
			company_id: str(),
			industry: str(),
			regulation_type: str(),
			compliance_status: oneOf(["compliant", "partially_compliant", "non_compliant", "not_assessed"]),
			requirements: arr(
				obj(
					{ id: str(), kind: oneOf(["rule", "attestation"]), text: str(), status: str() },
					{ reason: str(), observed: value, threshold: value, attestation: any("The attestation that answers it") },
				),
			),
			violations: arr(any("A rule not met: requirement, observed, threshold, severity")),
			review_flags: arr(any("A figure to look at: requirement, observed, threshold")),
			attestations: map(obj({ answer: bool(), evidence: str(), effective_date: date(), expires_at: dateTime(), by: str(), attested_at: dateTime() })),
			assessed_at: dateTime(),
			next_review: dateTime(),
		},
		{},
		"A regulation evaluated for a company (docs/compliance.md)",
	),
	RiskAssessment: entity(
		{
			company_id: str(),
			risk_type: str(),
			method: oneOf(["automatic", "manual"]),
			risk_score: nullable(num("0–100")),
			level: nullable(str()),
			risk_factors: arr(any("A factor: name, value, safe and distress levels, weight, score, contribution, source")),
			mitigation_strategies: arr(str()),
			assessed_at: dateTime(),
			expires_at: dateTime(),
		},
		{
			industry: str("The company's industry when assessed"),
			title: str(),
			matrix: str("The matrix's URN (manual)"),
			inherent: obj({ likelihood: int(), impact: int(), level: str(), level_index: int() }),
			residual: obj({ likelihood: int(), impact: int(), level: str(), level_index: int() }),
			exposure: obj({ formula: str(), value }),
			measures: obj({ equity: value, ebitda: value, cash: value }),
			treatment: obj({ strategy: str(), owner: str() }, { due_date: date() }),
			acceptance: any("Who accepted it, why, until when, the state approved, and whether it still holds"),
			acceptance_history: arr(any("An earlier acceptance: who, why, until when, the state approved"), "Earlier acceptances, oldest first"),
			created_by: str("Who assessed it (manual)"),
			period_end: date(),
			reason: str("Why it could not be scored"),
		},
		"A risk assessment (docs/risk.md)",
	),
	RiskAssessments: obj({ rows: arr(ref("RiskAssessment")) }),
	CheckIn: obj(
		{ value: num(), by: str("Who checked it in ('system' for a bound key result)"), at: dateTime() },
		{ id: str(), note: str(), objective_id: str(), key_result_id: str(), industry: str("The plan's company's industry (the domain key its note is under)") },
		"A key result's check-in",
	),
	StrategicPlan: entity(
		{
			company_id: str(),
			title: str(),
			status: oneOf(["draft", "under_review", "approved", "active", "completed", "archived"]),
			swot_analysis: obj({ strengths: arr(any("An item")), weaknesses: arr(any("An item")), opportunities: arr(any("An item")), threats: arr(any("An item")) }),
			market_analysis: any("TAM, SAM, SOM, growth, five forces, competitors"),
			objectives: arr(any("An objective with its key results, score and grade")),
			action_plan: arr(obj({ id: str(), title: str(), owner: str(), status: str(), overdue: bool() }, { due_date: date(), objective_id: str() })),
			transitions: arr(obj({ from: str(), to: str(), by: str(), role: str(), at: dateTime() }, { reason: str() })),
			created_by: str(),
			summary: obj({ score: value, grade: nullable(str()), open_actions: int(), overdue_actions: int() }),
			next_statuses: arr(str(), "Where it may go from here"),
		},
		{ industry: str("The company's industry when the plan was made"), review: bool("The company review's draft"), drafted_from: any("What the SWOT was drafted from") },
		"A strategic plan (docs/strategy.md)",
	),
	MlModel: entity(
		{
			name: str(),
			domain: str(),
			model_type: oneOf(["logistic_regression", "dense", "gradient_boosted_trees", "random_forest"]),
			configuration: any("Hyper-parameters, metric gates, features, missing_values (informative | impute_median), min_input_coverage"),
			status: oneOf(["active", "archived"]),
			aliases: obj({ production: nullable(int()), staging: nullable(int()) }),
			previous_production: nullable(int()),
			latest_version: int(),
			created_by: str(),
		},
		{ description: str() },
		"An ML model (docs/ml.md)",
	),
	MlTransition: entity(
		{
			model_id: str(),
			alias: oneOf(["production", "staging"]),
			action: oneOf(["deploy", "rollback", "undeploy"]),
			from_version: nullable(int()),
			to_version: nullable(int()),
			actor: str(),
			reason: str(),
			forced: bool("A super_admin deployed past the metric gates"),
			at: dateTime(),
			published_at: nullable(dateTime("When the prediction nodes were told")),
		},
		{ warnings: arr(str(), "A staging deploy's gates the version is below") },
		"An alias move, in the model's history",
	),
	MlDeployment: obj({ model: ref("MlModel"), transition: ref("MlTransition") }),
	MlDatasetSummary: entity(
		{ ...datasetFields, columns: int("How many columns") },
		{ source: str("Where a shipped data set comes from") },
		"An ML data set (GET /ml/datasets/{id} has its columns)",
	),
	MlDataset: entity(
		{
			...datasetFields,
			columns: arr(obj({ name: str(), type: oneOf(["numeric", "label"]), missing: int() }, { min: value, max: value, mean: value })),
			missing_values: map(int(), "Missing cells per column"),
		},
		{ source: str("Where a shipped data set comes from") },
		"An ML data set",
	),
	MlVersion: entity(
		{
			model_id: str(),
			version: int(),
			model_type: str(),
			features: arr(str()),
			label: str(),
			classes: arr(str()),
			dataset_id: str(),
			dataset_sha256: str(),
			hyperparameters: map(any("A value"), "As trained, with what early stopping chose"),
			threshold: num("The probability above which the label is positive (best F1 on validation)"),
			metrics: obj(
				{ test: ref("MlMetrics"), validation: ref("MlMetrics"), training_seconds: num() },
				{
					curves: nullable(
						obj(
							{ roc: arr(arr(num()), "[false-positive rate, true-positive rate]"), pr: arr(arr(num()), "[recall, precision]") },
							{},
							"The hold-out's ROC and precision-recall curves, at most 101 points each (null without both classes)",
						),
					),
					cross_validation: any("Per-fold metrics and their mean and sd"),
					reference: any("A model on statement ratios: its labels for the FY2009 US 10-K filers beside Altman's zones (docs/ml.md)"),
				},
			),
			split: obj({ seed: int(), test_fraction: num(), validation_fraction: num(), train_rows: int(), validation_rows: int(), test_rows: int() }),
			artifacts: arr(obj({ name: str(), sha256: str(), size_bytes: int() })),
			deployment_status: oneOf(["none", "staging", "production", "retired"]),
			created_by: str(),
		},
		{
			job_id: str("The job that trained it"),
			gate_warnings: arr(str(), "The gates it was below when it went to staging"),
			pipeline: any("The fitted preprocessing"),
			history: arr(any("An epoch or iteration")),
			drift_reference: any("Training deciles per feature"),
			training_missing_share: num("The share of missing values among its training rows' inputs"),
		},
		"An immutable model version",
	),
	MlMetrics: obj({
		threshold: num(),
		accuracy: num(),
		precision: num(),
		recall: num(),
		f1: num(),
		roc_auc: nullable(num()),
		pr_auc: nullable(num()),
		brier: num(),
		confusion_matrix: obj({ tp: int(), fp: int(), tn: int(), fn: int() }),
		rows: int(),
		positives: int(),
	}),
	MlEvaluation: obj({ model_id: str(), version: int(), dataset_id: str(), rows_evaluated: str(), metrics: ref("MlMetrics"), recorded_test_metrics: ref("MlMetrics") }),
	MlComparison: obj({
		model_id: str(),
		versions: arr(
			obj({
				version: int(),
				model_type: str(),
				deployment_status: str(),
				dataset_id: str(),
				dataset_sha256: str(),
				hyperparameters: map(any("A value")),
				threshold: num(),
				test: map(nullable(num()), "roc_auc, pr_auc, f1, precision, recall, accuracy, brier"),
				cross_validation: any("Per-fold metrics and their mean and sd, or null"),
				training_seconds: num(),
				created_at: dateTime(),
			}),
		),
		best: map(int(), "The best version for each metric"),
	}),
	MlPredictions: obj(
		{
			model_id: str(),
			model_version: int(),
			threshold: num(),
			input_coverage_floor: num("The share of its inputs a row must give to be scored"),
			predictions: arr(
				obj(
					{
						status: oneOf(["scored", "insufficient_inputs"]),
						probability: nullable(num()),
						label: nullable(str()),
						input_coverage: num("The share of the model's inputs the row gives"),
					},
					{ missing_inputs: arr(str(), "insufficient_inputs: what the row lacks") },
				),
			),
		},
		{ company_id: str(), period_end: date(), inputs: map(value), inputs_not_computed: arr(obj({ feature: str(), reason: str() })) },
		"Probabilities and labels from the production version",
	),
	MlMonitoring: obj({
		model_id: str(),
		model_version: nullable(int()),
		drift: obj({
			rows_scored: int(),
			counted: oneOf(["scored companies", "scored companies and rows sent"]),
			levels: obj({ stable_below: num(), action_above: num() }),
			features: arr(obj({ feature: str(), psi: nullable(num()), level: str() })),
		}),
		realised: obj(
			{ companies_scored: int(), with_outcome: int(), observed_distress: int(), roc_auc: nullable(num()), outcome: str("What counts as distress") },
			{ reason: str("Why no ROC AUC yet") },
		),
	}),
	Report: entity(
		{
			kind: oneOf(["company", "portfolio"]),
			format: oneOf(["pdf", "xlsx"]),
			domains: arr(str(), "The industries of its contents: a reader must see every one ('*': every company of an all-domain owner)"),
			state: oneOf(["queued", "running", "succeeded", "failed"]),
			progress: num("0–1"),
			attempts: int("Starts: more than one when a node stopped and another took the job over"),
			expires_at: dateTime("Removed with its file after this (REPORTS_RETENTION_DAYS)"),
			created_by: str(),
		},
		{
			company_id: str("A company report's company"),
			scope: obj({}, { industry: str(), company_ids: arr(str()) }, "A portfolio report's scope: an industry, chosen companies, or (empty) every company its owner sees"),
			stage: str("queued, starting, reading, rendering, storing, done, failed"),
			error: str(),
			file: obj(
				{ sha256: str("SHA-256 of the file: its name in the blob store, checked on every download"), size: int(), content_type: str(), filename: str() },
				{},
				"The stored file (a succeeded report)",
			),
			download: str("Where the file is downloaded"),
			schedule_id: str("The schedule that made it"),
			fired_at: dateTime("The schedule's firing"),
			node: str("The reports node that ran it"),
			started_at: dateTime(),
			finished_at: dateTime(),
		},
		"A report job and its file",
	),
	ReportSchedule: entity(
		{
			name: str(),
			kind: oneOf(["company", "portfolio"]),
			format: oneOf(["pdf", "xlsx"]),
			cron: str("Cron expression, UTC, seconds optional"),
			domains: arr(str()),
			enabled: bool(),
			next_run: nullable(dateTime()),
			created_by: str(),
		},
		{
			company_id: str(),
			scope: obj({}, { industry: str(), company_ids: arr(str()) }),
			runs: arr(ref("Report"), "Its last ten reports, newest first (GET /report-schedules/{id})"),
		},
		"A report made at each firing of a cron expression",
	),
	MlJob: entity(
		{
			model_id: str(),
			dataset_id: str(),
			state: oneOf(["queued", "running", "succeeded", "failed", "cancelled"]),
			hyperparameters: map(any("A value")),
			seed: int(),
			progress: num("0–1"),
			history: arr(any("An epoch or iteration: loss, validation ROC AUC")),
			attempts: int(),
			created_by: str(),
		},
		{
			node: str("The training node running it"),
			lease_until: dateTime(),
			started_at: dateTime(),
			finished_at: dateTime(),
			stage: str(),
			version: int("The version it made"),
			error: str(),
			k_folds: int("Cross-validation folds asked for"),
			domain: str("The model's domain (quotas and fair scheduling are per domain)"),
			estimated_seconds: num("The training time estimated when it was queued (docs/ml.md, Limits)"),
			deploy_to: oneOf(["production", "staging"], "Deployed there when it passes the gates (the default model)"),
		},
		"A training job",
	),
	Regulation: obj(
		{
			id: str(),
			name: str(),
			industries: { oneOf: [oneOf(["all"]), arr(str())] },
			cadence_months: int("How often it is reviewed"),
			source: str(),
			requirements: arr(any("A rule (figure, operator, threshold, severity, source) or an attestation")),
		},
		{ urn: str("The framework's URN, for an imported one") },
		"A regulation of the catalogue (docs/compliance.md)",
	),
	FrameworkImported: obj({ id: str(), urn: str(), name: str(), industries: arr(str()), requirements: int(), rules: int(), attestations: int() }),
	ComplianceSummary: portfolioPage(
		obj({
			company_id: str(),
			name: str(),
			industry: str(),
			records: int(),
			by_status: map(int()),
			worst_status: str("The worst of its records' statuses; not_assessed without records"),
			overdue_reviews: arr(any("A record past its next review")),
		}),
		"status",
		"records",
		"Companies by compliance status, worst first",
	),
	RiskSummary: portfolioPage(
		obj({
			company_id: str(),
			name: str(),
			industry: str(),
			assessments: int(),
			by_level: map(int()),
			worst_level: str("The level of its highest-scored risk; not_assessed without one"),
			worst_score: value,
			worst_risk: nullable(obj({ id: str(), risk_type: str(), title: nullable(str()) })),
		}),
		"level",
		"assessments",
		"Companies by risk level, worst first",
	),
	IndustryModule: obj(
		{
			id: str(),
			name: str(),
			metrics: arr(
				obj(
					{ name: str(), unit: oneOf(["currency", "count", "hours", "minutes", "days", "fraction"]), description: str() },
					{ integer: bool("Whole numbers only"), max: num() },
				),
			),
			kpis: arr(any("A KPI: name, unit, formula, inputs, threshold with its direction, source")),
			regulations: arr(str()),
		},
		{},
		"An industry module (docs/domains.md)",
	),
	OperationalMetrics: entity({
		company_id: str(),
		industry: str(),
		period_end: date(),
		period_days: int(),
		metrics: map(num(), "By metric name, as the industry module defines them"),
	}),
	KpiAppetite: obj({ company_id: str(), kpi: str() }, { regulatory_minimum: num(), internal_limit: num(), early_warning: num() }),
	KpiAppetites: obj({
		company_id: str(),
		rows: arr(obj({ kpi: str() }, { regulatory_minimum: num(), internal_limit: num(), early_warning: num() })),
		total: int(),
		page: int(),
		page_size: int(),
		total_pages: int(),
	}),
	Kpis: obj({
		company_id: str(),
		industry: str(),
		period_end: nullable(date()),
		period_days: nullable(int()),
		kpis: arr(any("A KPI: name, unit, formula, threshold and threshold_text, inputs, source, value and its display, status, appetite")),
		warnings: arr(str()),
	}),
	RiskMatrix: obj(
		{
			urn: str(),
			name: str(),
			probability: arr(obj({ name: str() }, { description: str() })),
			impact: arr(obj({ name: str() }, { description: str() })),
			risk: arr(obj({ name: str() }, { description: str() })),
			grid: arr(arr(int()), "Risk level index per likelihood (row) and impact (column)"),
		},
		{
			ref_id: str(),
			description: str(),
			impact_bands: obj({ measure: str(), upper_bounds: arr(num()) }),
			domain: str("Whose it is: a domain, or '*' (every domain's)"),
			imported_by: str(),
			imported_at: dateTime(),
		},
		"A risk matrix (CISO Assistant's format)",
	),
	RiskMatrixView: obj(
		{
			company_id: str(),
			matrix: obj({ urn: str(), name: str() }, { impact_bands: obj({ measure: str(), upper_bounds: arr(num()) }) }),
			probability: arr(obj({ name: str() }, { description: str() })),
			impact: arr(obj({ name: str() }, { description: str() })),
			risk: arr(obj({ name: str() }, { description: str() })),
			levels: arr(arr(str())),
			inherent: arr(arr(int())),
			residual: arr(arr(int())),
			automatic: arr(arr(int())),
			count: int(),
		},
		{},
		"A company's assessments counted on the matrix's grid",
	),
	RiskMatricesImported: obj({ imported: arr(obj({ urn: str(), name: str(), domain: str("Whose it is ('*': every domain's)"), size: str() })) }),
	ClusterNodes: obj({
		rows: arr(
			obj({
				id: str(),
				available: bool(),
				hostname: nullable(str()),
				cpu: nullable(num("The CPU use it last reported, %")),
				services: arr(str(), "The services it runs"),
			}),
		),
		total: int(),
	}),
	PersonalData: obj(
		{
			generated_at: dateTime(),
			user: ref("User"),
			api_keys: arr(any("An API key the user issued, without its digest")),
			sessions: arr(obj({ created_at: dateTime(), expires_at: dateTime(), used_at: nullable(dateTime()) }), "The user's sessions (refresh tokens), dates only"),
			records: map(
				obj({ kind: str("What the records are"), rows: arr(any("A record")), truncated: bool("More than the 1,000 shown") }),
				"By service: the records it keeps under the user's name; `audit`: the trail's entries of the user's doing",
			),
		},
		{},
		"Everything the platform holds about a person (GDPR Art. 15)",
	),
	AuditSiemStatus: obj(
		{
			enabled: bool("Whether entries are pushed (AUDIT_SIEM_URL)"),
			endpoint: nullable(str("The SIEM's origin (scheme, host, port)")),
			delivered_seq: int("The last entry the SIEM accepted"),
			head_seq: int("The chain's head"),
			behind: int("Entries not delivered yet"),
			failures: int("Failed deliveries since the last success"),
			last_error: nullable(str()),
			next_attempt_at: nullable(dateTime("When the next try is, while backing off")),
			delivered_at: nullable(dateTime("The last success")),
			node: nullable(str("The audit replica holding the delivery")),
		},
		{},
		"The audit trail's delivery to a SIEM",
	),
	AuditVerification: obj(
		{
			ok: bool(),
			entries_checked: int(),
			head_seq: int(),
			unappended: obj({ count: int(), oldest: arr(obj({ event_id: str(), action: str(), at: str(), failed_at: str() })) }),
		},
		{
			head_hash: str(),
			first_broken: obj({ seq: int(), reason: str() }),
			archived_through: int("The last entry archived and removed (RETENTION_AUDIT_DAYS): the check starts after it, from its hash"),
		},
	),
};
