/**
 * SEC XBRL companyfacts → annual statements, exactly as docs/api.md says: facts from 10-K / 10-K/A; an
 * instant fact belongs to the period ending on its `end`; a duration fact must span 350–380 days; for the
 * same tag and `end` the latest `filed` wins; `fy` is never used to date a fact; for each line item and
 * period the first tag of the table that has a fact wins. Source: SEC, "XBRL financial data APIs"
 * (data.sec.gov/api/xbrl/companyfacts).
 */
import type { BalanceSheetItem, CashFlowItem, IncomeStatementItem, StatementData, StatementSource } from "../../models/statement";
import { isIsoDate, type FieldProblem } from "./checks";

type Section = "balance_sheet" | "income_statement" | "cash_flow";

interface Mapping {
	item: BalanceSheetItem | IncomeStatementItem | CashFlowItem;
	section: Section;
	tags: string[];
}

/** docs/api.md's table, in its order. Balance-sheet items are instants; the others are durations. */
export const SEC_MAPPINGS: Mapping[] = [
	{ item: "total_assets", section: "balance_sheet", tags: ["Assets"] },
	{ item: "total_current_assets", section: "balance_sheet", tags: ["AssetsCurrent"] },
	{ item: "total_current_liabilities", section: "balance_sheet", tags: ["LiabilitiesCurrent"] },
	{ item: "total_liabilities", section: "balance_sheet", tags: ["Liabilities"] },
	{ item: "total_equity", section: "balance_sheet", tags: ["StockholdersEquity", "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest"] },
	{ item: "retained_earnings", section: "balance_sheet", tags: ["RetainedEarningsAccumulatedDeficit"] },
	{ item: "cash_and_equivalents", section: "balance_sheet", tags: ["CashAndCashEquivalentsAtCarryingValue"] },
	{ item: "accounts_receivable", section: "balance_sheet", tags: ["AccountsReceivableNetCurrent"] },
	{ item: "inventory", section: "balance_sheet", tags: ["InventoryNet"] },
	{ item: "accounts_payable", section: "balance_sheet", tags: ["AccountsPayableCurrent"] },
	{ item: "long_term_debt", section: "balance_sheet", tags: ["LongTermDebtNoncurrent", "LongTermDebt"] },
	{ item: "revenue", section: "income_statement", tags: ["Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax", "SalesRevenueNet"] },
	{ item: "cost_of_revenue", section: "income_statement", tags: ["CostOfRevenue", "CostOfGoodsAndServicesSold"] },
	{ item: "gross_profit", section: "income_statement", tags: ["GrossProfit"] },
	{ item: "operating_income", section: "income_statement", tags: ["OperatingIncomeLoss"] },
	{ item: "interest_expense", section: "income_statement", tags: ["InterestExpense"] },
	{ item: "income_before_tax", section: "income_statement", tags: ["IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest"] },
	{ item: "income_tax_expense", section: "income_statement", tags: ["IncomeTaxExpenseBenefit"] },
	{ item: "net_income", section: "income_statement", tags: ["NetIncomeLoss"] },
	{ item: "operating_cash_flow", section: "cash_flow", tags: ["NetCashProvidedByUsedInOperatingActivities"] },
	{ item: "capital_expenditure", section: "cash_flow", tags: ["PaymentsToAcquirePropertyPlantAndEquipment"] },
];

const ANNUAL_FORMS = new Set(["10-K", "10-K/A"]);
const DAY_MS = 24 * 3600 * 1000;
const MIN_DAYS = 350;
const MAX_DAYS = 380;

export class SecDocumentError extends Error {
	constructor(
		message: string,
		public problems: FieldProblem[],
	) {
		super(message);
		this.name = "SecDocumentError";
	}
}

interface Fact {
	start?: string;
	end: string;
	val: number;
	form: string;
	filed: string;
	accn?: string;
}

export interface ImportedPeriod {
	period_end: string;
	statement: StatementData;
	found: string[];
	missing: string[];
	/** The us-gaap tag each found line item came from. */
	tags: Record<string, string>;
}

export interface SecImport {
	cik: string;
	entity_name: string;
	periods: ImportedPeriod[];
}

const isObject = (x: unknown): x is Record<string, any> => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * What a real annual filing history can hold: one fiscal year end a year, two in a year whose fiscal year
 * changed (the transition period), and no more years than a company has filed (EDGAR's annual XBRL data
 * starts in 2009; a century is generous).
 */
export const MAX_PERIODS_PER_DOCUMENT = 100;
const MAX_PERIODS_PER_YEAR = 2;

function checkPeriods(ends: string[]): void {
	if (ends.length > MAX_PERIODS_PER_DOCUMENT) {
		throw new SecDocumentError(`The document has ${ends.length} annual periods; a filing history holds at most ${MAX_PERIODS_PER_DOCUMENT}`, [
			{ field: "facts", message: `at most ${MAX_PERIODS_PER_DOCUMENT} fiscal year ends per document, found ${ends.length}`, type: "secPeriods" },
		]);
	}
	const perYear = new Map<string, string[]>();
	for (const end of ends) perYear.set(end.slice(0, 4), [...(perYear.get(end.slice(0, 4)) ?? []), end]);
	const crowded = [...perYear.entries()].filter(([, e]) => e.length > MAX_PERIODS_PER_YEAR);
	if (crowded.length) {
		throw new SecDocumentError(
			"The document's annual facts end on more dates than fiscal years can",
			crowded.slice(0, 5).map(([year, e]) => ({
				field: "facts",
				message: `${e.length} fiscal year ends in ${year} (${e.slice(0, 3).join(", ")}, …); a fiscal year ends once a year, twice when it changes`,
				type: "secPeriods",
			})),
		);
	}
}

/** Validates the facts of one mapped tag's USD unit; collects problems with their JSON paths. */
function readFacts(raw: unknown, path: string, problems: FieldProblem[]): Fact[] {
	if (!Array.isArray(raw)) {
		problems.push({ field: path, message: "must be an array of facts", type: "array", actual: typeof raw });
		return [];
	}
	const facts: Fact[] = [];
	for (let i = 0; i < raw.length && problems.length < 20; i++) {
		const f = raw[i];
		const at = `${path}[${i}]`;
		if (!isObject(f)) {
			problems.push({ field: at, message: "must be an object", type: "object" });
			continue;
		}
		if (typeof f.end !== "string" || !isIsoDate(f.end)) problems.push({ field: `${at}.end`, message: "must be a date YYYY-MM-DD", type: "date", actual: f.end });
		else if (f.start !== undefined && (typeof f.start !== "string" || !isIsoDate(f.start)))
			problems.push({ field: `${at}.start`, message: "must be a date YYYY-MM-DD", type: "date", actual: f.start });
		else if (typeof f.val !== "number" || !Number.isFinite(f.val)) problems.push({ field: `${at}.val`, message: "must be a finite number", type: "number", actual: f.val });
		else if (typeof f.form !== "string") problems.push({ field: `${at}.form`, message: "must be a string", type: "string", actual: f.form });
		else if (typeof f.filed !== "string" || !isIsoDate(f.filed)) problems.push({ field: `${at}.filed`, message: "must be a date YYYY-MM-DD", type: "date", actual: f.filed });
		// a filing reports periods that have ended
		else if (f.end > f.filed)
			problems.push({ field: `${at}.end`, message: `a period ending after its filing (${f.filed}) cannot be reported`, type: "secPeriodAfterFiling", actual: f.end });
		else facts.push(f as Fact);
	}
	return facts;
}

/** Per `end`, the annual fact of this tag that the latest filing reported (instants, or durations of 350–380 days). */
function latestByEnd(facts: Fact[], instant: boolean): Map<string, Fact> {
	const byEnd = new Map<string, Fact>();
	for (const f of facts) {
		if (!ANNUAL_FORMS.has(f.form)) continue;
		if (instant) {
			if (f.start !== undefined) continue;
		} else {
			if (f.start === undefined) continue;
			const days = (Date.parse(f.end) - Date.parse(f.start)) / DAY_MS;
			if (days < MIN_DAYS || days > MAX_DAYS) continue;
		}
		const seen = byEnd.get(f.end);
		if (!seen || f.filed > seen.filed || (f.filed === seen.filed && f.form === "10-K/A")) byEnd.set(f.end, f);
	}
	return byEnd;
}

/** Annual statements from a companyfacts document; throws SecDocumentError for a malformed or unusable one. */
export function parseCompanyFacts(doc: unknown): SecImport {
	if (!isObject(doc)) throw new SecDocumentError("The document is not a companyfacts object", [{ field: "", message: "must be an object", type: "object" }]);
	const problems: FieldProblem[] = [];
	if (!isObject(doc.facts)) problems.push({ field: "facts", message: "must be an object of taxonomies", type: "object", actual: typeof doc.facts });
	if (doc.cik == null || !/^\d{1,10}$/.test(String(doc.cik))) problems.push({ field: "cik", message: "must be the company's CIK (digits)", type: "cik", actual: doc.cik });
	const gaap = isObject(doc.facts) ? doc.facts["us-gaap"] : undefined;
	if (gaap !== undefined && !isObject(gaap)) problems.push({ field: "facts.us-gaap", message: "must be an object of tags", type: "object" });
	if (problems.length) throw new SecDocumentError("Malformed companyfacts document", problems);

	// per tag: end → fact
	const byTag = new Map<string, Map<string, Fact>>();
	const periodEnds = new Set<string>();
	for (const mapping of SEC_MAPPINGS) {
		const instant = mapping.section === "balance_sheet";
		for (const tag of mapping.tags) {
			if (byTag.has(tag) || !isObject(gaap) || gaap[tag] === undefined) continue;
			const units = gaap[tag]?.units;
			if (!isObject(units)) {
				problems.push({ field: `facts.us-gaap.${tag}.units`, message: "must be an object of units", type: "object" });
				continue;
			}
			if (units.USD === undefined) continue;
			const facts = latestByEnd(readFacts(units.USD, `facts.us-gaap.${tag}.units.USD`, problems), instant);
			byTag.set(tag, facts);
			// a period is a fiscal year end: where an annual duration ends, or where total assets are reported
			if (!instant || mapping.item === "total_assets") for (const end of facts.keys()) periodEnds.add(end);
		}
	}
	if (problems.length) throw new SecDocumentError("Malformed facts in the companyfacts document", problems);
	if (periodEnds.size === 0) {
		const taxonomies = Object.keys(doc.facts as object).join(", ") || "none";
		throw new SecDocumentError("No annual us-gaap facts from 10-K or 10-K/A filings in this document", [
			{ field: "facts", message: `annual statements come from us-gaap facts of 10-K/10-K/A filings; this document has taxonomies: ${taxonomies}`, type: "secAnnualFacts" },
		]);
	}

	checkPeriods([...periodEnds].sort());

	const cik = String(doc.cik).replace(/^0+/, "") || "0";
	const entityName = typeof doc.entityName === "string" ? doc.entityName : "";
	const periods: ImportedPeriod[] = [];
	for (const end of [...periodEnds].sort()) {
		const statement: StatementData = {
			statement_type: "annual",
			period_end: end,
			fiscal_year: Number(end.slice(0, 4)),
			fiscal_period: "FY",
			currency: "USD",
			balance_sheet: {},
			income_statement: {},
			cash_flow: {},
		};
		const found: string[] = [];
		const missing: string[] = [];
		const tags: Record<string, string> = {};
		const accessions = new Set<string>();
		let filed = "";
		for (const mapping of SEC_MAPPINGS) {
			let fact: Fact | undefined;
			for (const tag of mapping.tags) {
				fact = byTag.get(tag)?.get(end);
				if (fact) {
					tags[mapping.item] = tag;
					break;
				}
			}
			if (!fact) {
				missing.push(mapping.item);
				continue;
			}
			(statement[mapping.section] as Record<string, number>)[mapping.item] = fact.val;
			found.push(mapping.item);
			if (fact.accn) accessions.add(fact.accn);
			if (fact.filed > filed) filed = fact.filed;
		}
		const source: StatementSource = { type: "sec_companyfacts", cik, entity_name: entityName, accession: [...accessions].sort(), filed };
		statement.source = source;
		periods.push({ period_end: end, statement, found, missing, tags });
	}
	return { cik, entity_name: entityName, periods };
}
