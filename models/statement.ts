/** Financial statements (docs/api.md): line items, the entity, and its validation. */
import { isoDateParam, type Entity } from "./common";

export const BALANCE_SHEET_ITEMS = [
	"cash_and_equivalents",
	"short_term_investments",
	"accounts_receivable",
	"inventory",
	"total_current_assets",
	"property_plant_equipment_net",
	"goodwill",
	"intangible_assets",
	"total_assets",
	"accounts_payable",
	"short_term_debt",
	"total_current_liabilities",
	"long_term_debt",
	"total_liabilities",
	"retained_earnings",
	"total_equity",
	"shares_outstanding",
] as const;

export const INCOME_STATEMENT_ITEMS = [
	"revenue",
	"cost_of_revenue",
	"gross_profit",
	"sga_expense",
	"research_and_development",
	"depreciation_and_amortization",
	"operating_income",
	"interest_expense",
	"income_before_tax",
	"income_tax_expense",
	"net_income",
	"eps_basic",
	"eps_diluted",
] as const;

export const CASH_FLOW_ITEMS = ["operating_cash_flow", "capital_expenditure", "investing_cash_flow", "financing_cash_flow", "dividends_paid", "share_repurchases"] as const;

export const MARKET_ITEMS = ["share_price", "market_cap"] as const;

export type BalanceSheetItem = (typeof BALANCE_SHEET_ITEMS)[number];
export type IncomeStatementItem = (typeof INCOME_STATEMENT_ITEMS)[number];
export type CashFlowItem = (typeof CASH_FLOW_ITEMS)[number];
export type MarketItem = (typeof MARKET_ITEMS)[number];

export type BalanceSheet = Partial<Record<BalanceSheetItem, number>>;
export type IncomeStatement = Partial<Record<IncomeStatementItem, number>>;
export type CashFlow = Partial<Record<CashFlowItem, number>>;
export type Market = Partial<Record<MarketItem, number>>;

export const STATEMENT_TYPES = ["annual", "quarterly"] as const;
export type StatementType = (typeof STATEMENT_TYPES)[number];

export interface StatementSource {
	type: string;
	cik?: string;
	entity_name?: string;
	accession?: string[];
	filed?: string;
}

/** The figures of one period: what the finance domain computes on. */
export interface StatementData {
	statement_type: StatementType;
	period_end: string;
	fiscal_year: number;
	fiscal_period: string;
	currency: string;
	balance_sheet: BalanceSheet;
	income_statement: IncomeStatement;
	cash_flow: CashFlow;
	market?: Market;
	source?: StatementSource;
}

export interface Statement extends Entity, StatementData {
	company_id: string;
	warnings: string[];
}

/**
 * Amounts that cannot be negative (docs/api.md: "negative totals where impossible"): every balance-sheet
 * amount but retained earnings and equity (accumulated deficits exist), revenue, and market data.
 */
const MAY_BE_NEGATIVE = new Set<string>(["retained_earnings", "total_equity"]);
const NON_NEGATIVE = new Set<string>([...BALANCE_SHEET_ITEMS.filter(i => !MAY_BE_NEGATIVE.has(i)), "revenue", ...MARKET_ITEMS]);

const amount = (name: string) => ({ type: "number", finite: true, optional: true, ...(NON_NEGATIVE.has(name) ? { min: 0 } : {}) });

function section(items: readonly string[], optional = false) {
	return {
		type: "object",
		strict: true,
		optional,
		default: optional ? undefined : {},
		props: Object.fromEntries(items.map(i => [i, amount(i)])),
	};
}

/** The statement body as a client sends it (POST, PUT); `$$strict` rejects unknown keys at every level. */
export const statementFields = {
	statement_type: { type: "enum", values: [...STATEMENT_TYPES], messages: { enumValue: "{field}: must be 'annual' or 'quarterly'" } },
	period_end: isoDateParam("period_end"),
	fiscal_year: { type: "number", integer: true, min: 1900, max: 2200, optional: true },
	fiscal_period: { type: "enum", values: ["FY", "Q1", "Q2", "Q3", "Q4"], optional: true },
	currency: { type: "string", pattern: /^[A-Z]{3}$/, optional: true, messages: { stringPattern: "{field}: an ISO 4217 code (e.g. USD)" } },
	balance_sheet: section(BALANCE_SHEET_ITEMS),
	income_statement: section(INCOME_STATEMENT_ITEMS),
	cash_flow: section(CASH_FLOW_ITEMS),
	market: section(MARKET_ITEMS, true),
	source: {
		type: "object",
		strict: true,
		optional: true,
		props: {
			type: { type: "string", max: 50 },
			cik: { type: "string", max: 20, optional: true },
			entity_name: { type: "string", max: 200, optional: true },
			accession: { type: "array", items: { type: "string", max: 30 }, max: 100, optional: true },
			filed: { type: "string", max: 30, optional: true },
		},
	},
} as const;

/**
 * Fields a GET answer carries that a client may send back with PUT: accepted and ignored (the server sets
 * them). `id` comes from the path.
 */
export const STATEMENT_READ_ONLY_FIELDS = ["company_id", "created_at", "updated_at", "warnings"] as const;
export const statementReadOnlyFields = Object.fromEntries(STATEMENT_READ_ONLY_FIELDS.map(f => [f, { type: "any", optional: true }]));

const patchSection = (items: readonly string[]) => ({
	type: "object",
	strict: true,
	optional: true,
	props: Object.fromEntries(items.map(i => [i, { ...amount(i), nullable: true }])),
});

/** PATCH: any top-level field; within a section only the line items sent change, and `null` removes one. */
export const statementPatchFields = {
	...Object.fromEntries(Object.entries(statementFields).map(([k, rule]) => [k, { ...rule, optional: true }])),
	balance_sheet: patchSection(BALANCE_SHEET_ITEMS),
	income_statement: patchSection(INCOME_STATEMENT_ITEMS),
	cash_flow: patchSection(CASH_FLOW_ITEMS),
	market: { ...patchSection(MARKET_ITEMS), nullable: true },
};

export const STATEMENT_SORTABLE = ["period_end", "fiscal_year", "created_at", "updated_at"];
