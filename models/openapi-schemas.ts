/**
 * The entities the API answers, as OpenAPI 3 schemas (components/schemas of GET /api/v1/openapi.json). Each
 * object lists every field it answers (no others: `additionalProperties: false`) and requires those always
 * present, so the document and the answers can be checked against each other (test/e2e/openapi.spec.ts).
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
	required: Object.keys(required),
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

export const OPENAPI_SCHEMAS: Record<string, Schema> = {
	Liveness: obj({ status: oneOf(["ok"]) }),
	Readiness: obj(
		{
			status: oneOf(["ready", "unavailable"]),
			node: str("This gateway's node id"),
			transporter: oneOf(["connected", "disconnected", "none"]),
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
		{ source: obj({ kind: str() }, { cik: str(), form: str(), filed: str(), accession: str(), tags: map(str()) }, "Where it came from (an SEC import)") },
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
	AuditVerification: obj({ ok: bool(), entries_checked: int(), head_seq: int() }, { head_hash: str(), first_broken: obj({ seq: int(), reason: str() }) }),
};
