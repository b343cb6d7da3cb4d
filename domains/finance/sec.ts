/**
 * SEC XBRL companyfacts → annual statements, exactly as docs/api.md says: us-gaap facts, or ifrs-full facts
 * of foreign filers, from annual reports (10-K, 20-F and their amendments); an instant fact belongs to the
 * period ending on its `end`; a duration fact must span 350–380 days; for the same tag and `end` the latest
 * `filed` wins; `fy` is never used to date a fact; for each line item and period the first tag of the table
 * that has a fact wins, and a sum of tags only when none does. The currency is the unit of the monetary
 * facts, one per document. Source: SEC, "XBRL financial data APIs" (data.sec.gov/api/xbrl/companyfacts);
 * tags: FASB US GAAP Financial Reporting Taxonomy, IFRS Foundation IFRS Accounting Taxonomy.
 */
import type { BalanceSheetItem, CashFlowItem, IncomeStatementItem, StatementData, StatementSource } from "../../models/statement";
import { isIsoDate, type FieldProblem } from "./checks";

type Section = "balance_sheet" | "income_statement" | "cash_flow";
export type Taxonomy = "us-gaap" | "ifrs-full";

/**
 * Where a line item's figure comes from: the first of `tags` with a fact for the period; with `sum`, all of
 * them added; with `less`, the first of `tags` minus the first of `less` (both needed). A `cover` source is a
 * dei fact of the cover page of the report of the period, dated after its end (coverFacts).
 */
interface Source {
	tags: string[];
	period: "instant" | "duration" | "cover";
	sum?: true;
	less?: string[];
}

interface Mapping {
	item: BalanceSheetItem | IncomeStatementItem | CashFlowItem;
	section: Section;
	/** currency: the document's currency; shares: "shares"; per_share: "<currency>/shares". */
	unit: "currency" | "shares" | "per_share";
	sources: Source[];
}

/** The cover page's count of common shares outstanding (SEC's dei taxonomy), as `byTag` keys it. */
const COVER_SHARES = "dei:EntityCommonStockSharesOutstanding";
/** A report's cover page counts its shares at a date after the period end and before filing: 10-K within 60–90 days of it, 20-F within four months. */
const COVER_MAX_DAYS = 130;

const periodOf = (section: Section): Source["period"] => (section === "balance_sheet" ? "instant" : "duration");
const map = (item: Mapping["item"], section: Section, tags: string[], unit: Mapping["unit"] = "currency", more: Source[] = []): Mapping => ({
	item,
	section,
	unit,
	sources: [{ tags, period: periodOf(section) }, ...more],
});

/** docs/api.md's us-gaap tables, in their order. Balance-sheet items are instants; the others are durations. */
export const US_GAAP_MAPPINGS: Mapping[] = [
	map("total_assets", "balance_sheet", ["Assets"]),
	map("total_current_assets", "balance_sheet", ["AssetsCurrent"]),
	map("total_current_liabilities", "balance_sheet", ["LiabilitiesCurrent"]),
	// many filers tag no total: liabilities and equity less equity (with non-controlling interests when tagged)
	map("total_liabilities", "balance_sheet", ["Liabilities"], "currency", [
		{
			tags: ["LiabilitiesAndStockholdersEquity"],
			less: ["StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest", "StockholdersEquity"],
			period: "instant",
		},
	]),
	map("total_equity", "balance_sheet", ["StockholdersEquity", "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest"]),
	map("retained_earnings", "balance_sheet", ["RetainedEarningsAccumulatedDeficit"]),
	map("cash_and_equivalents", "balance_sheet", ["CashAndCashEquivalentsAtCarryingValue"]),
	map("short_term_investments", "balance_sheet", [
		"ShortTermInvestments",
		"AvailableForSaleSecuritiesDebtSecuritiesCurrent",
		"MarketableSecuritiesCurrent",
		"AvailableForSaleSecuritiesCurrent",
	]),
	map("accounts_receivable", "balance_sheet", ["AccountsReceivableNetCurrent", "ReceivablesNetCurrent", "AccountsNotesAndLoansReceivableNetCurrent"]),
	map("inventory", "balance_sheet", ["InventoryNet"]),
	map("property_plant_equipment_net", "balance_sheet", ["PropertyPlantAndEquipmentNet"]),
	map("goodwill", "balance_sheet", ["Goodwill"]),
	map("intangible_assets", "balance_sheet", ["IntangibleAssetsNetExcludingGoodwill"]),
	map("accounts_payable", "balance_sheet", ["AccountsPayableCurrent"]),
	map("short_term_debt", "balance_sheet", ["DebtCurrent", "LongTermDebtAndCapitalLeaseObligationsCurrent", "LongTermDebtCurrent", "ShortTermBorrowings"]),
	map("long_term_debt", "balance_sheet", ["LongTermDebtNoncurrent", "LongTermDebt"]),
	// the balance sheet's count at the period end; else the cover page's (every filer tags it: dei, required),
	// counted a few weeks after the period end; else the year's weighted average
	map("shares_outstanding", "balance_sheet", ["CommonStockSharesOutstanding"], "shares", [
		{ tags: [COVER_SHARES], period: "cover" },
		{ tags: ["WeightedAverageNumberOfSharesOutstandingBasic"], period: "duration" },
	]),
	// goods and services reported apart (common before 2018): both added, else the one there is
	map("revenue", "income_statement", ["Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax", "SalesRevenueNet"], "currency", [
		{ tags: ["SalesRevenueGoodsNet", "SalesRevenueServicesNet"], period: "duration", sum: true },
		{ tags: ["SalesRevenueGoodsNet", "SalesRevenueServicesNet"], period: "duration" },
	]),
	map("cost_of_revenue", "income_statement", ["CostOfRevenue", "CostOfGoodsAndServicesSold"], "currency", [
		{ tags: ["CostOfGoodsSold", "CostOfServices"], period: "duration", sum: true },
		{ tags: ["CostOfGoodsSold", "CostOfServices"], period: "duration" },
	]),
	map("gross_profit", "income_statement", ["GrossProfit"]),
	map("sga_expense", "income_statement", ["SellingGeneralAndAdministrativeExpense"], "currency", [
		{ tags: ["SellingAndMarketingExpense", "GeneralAndAdministrativeExpense"], period: "duration", sum: true },
	]),
	map("research_and_development", "income_statement", ["ResearchAndDevelopmentExpense"]),
	map("depreciation_and_amortization", "income_statement", [
		"DepreciationDepletionAndAmortization",
		"DepreciationAndAmortization",
		"DepreciationAmortizationAndAccretionNet",
		"Depreciation",
	]),
	map("operating_income", "income_statement", ["OperatingIncomeLoss"]),
	map("interest_expense", "income_statement", ["InterestExpense", "InterestExpenseNonoperating", "InterestAndDebtExpense", "InterestExpenseDebt"]),
	// the second is the taxonomy's name for it before 2011 (every FY2009 10-K of SEC's data sets uses it)
	map("income_before_tax", "income_statement", [
		"IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest",
		"IncomeLossFromContinuingOperationsBeforeIncomeTaxesMinorityInterestAndIncomeLossFromEquityMethodInvestments",
	]),
	map("income_tax_expense", "income_statement", ["IncomeTaxExpenseBenefit"]),
	map("net_income", "income_statement", ["NetIncomeLoss"]),
	map("eps_basic", "income_statement", ["EarningsPerShareBasic"], "per_share"),
	map("eps_diluted", "income_statement", ["EarningsPerShareDiluted"], "per_share"),
	map("operating_cash_flow", "cash_flow", ["NetCashProvidedByUsedInOperatingActivities"]),
	map("capital_expenditure", "cash_flow", ["PaymentsToAcquirePropertyPlantAndEquipment"]),
	map("investing_cash_flow", "cash_flow", ["NetCashProvidedByUsedInInvestingActivities"]),
	map("financing_cash_flow", "cash_flow", ["NetCashProvidedByUsedInFinancingActivities"]),
	map("dividends_paid", "cash_flow", ["PaymentsOfDividends", "PaymentsOfDividendsCommonStock"]),
	map("share_repurchases", "cash_flow", ["PaymentsForRepurchaseOfCommonStock"]),
];

/** docs/api.md's ifrs-full table (foreign private issuers' 20-F), in its order. */
export const IFRS_MAPPINGS: Mapping[] = [
	map("total_assets", "balance_sheet", ["Assets"]),
	map("total_current_assets", "balance_sheet", ["CurrentAssets"]),
	map("total_current_liabilities", "balance_sheet", ["CurrentLiabilities"]),
	map("total_liabilities", "balance_sheet", ["Liabilities"]),
	map("total_equity", "balance_sheet", ["Equity"]),
	map("retained_earnings", "balance_sheet", ["RetainedEarnings"]),
	map("cash_and_equivalents", "balance_sheet", ["CashAndCashEquivalents"]),
	map("accounts_receivable", "balance_sheet", ["TradeAndOtherCurrentReceivables"]),
	map("inventory", "balance_sheet", ["Inventories"]),
	map("accounts_payable", "balance_sheet", ["TradeAndOtherCurrentPayables"]),
	map("short_term_debt", "balance_sheet", ["CurrentBorrowings", "CurrentPortionOfLongtermBorrowings"]),
	map("long_term_debt", "balance_sheet", ["NoncurrentBorrowings", "LongtermBorrowings"]),
	map("property_plant_equipment_net", "balance_sheet", ["PropertyPlantAndEquipment"]),
	map("shares_outstanding", "balance_sheet", ["NumberOfSharesOutstanding"], "shares", [{ tags: [COVER_SHARES], period: "cover" }]),
	map("revenue", "income_statement", ["Revenue", "RevenueFromContractsWithCustomers"]),
	map("cost_of_revenue", "income_statement", ["CostOfSales"]),
	map("gross_profit", "income_statement", ["GrossProfit"]),
	map("sga_expense", "income_statement", ["SellingGeneralAndAdministrativeExpense"]),
	map("operating_income", "income_statement", ["ProfitLossFromOperatingActivities"]),
	map("interest_expense", "income_statement", ["InterestExpense", "FinanceCosts"]),
	map("income_before_tax", "income_statement", ["ProfitLossBeforeTax"]),
	map("income_tax_expense", "income_statement", ["IncomeTaxExpenseContinuingOperations"]),
	map("net_income", "income_statement", ["ProfitLoss"]),
	map("eps_basic", "income_statement", ["BasicEarningsLossPerShare"], "per_share"),
	map("operating_cash_flow", "cash_flow", ["CashFlowsFromUsedInOperatingActivities", "CashFlowsFromUsedInOperations"]),
	map("capital_expenditure", "cash_flow", ["PurchaseOfPropertyPlantAndEquipmentClassifiedAsInvestingActivities"]),
	map("investing_cash_flow", "cash_flow", ["CashFlowsFromUsedInInvestingActivities"]),
	map("financing_cash_flow", "cash_flow", ["CashFlowsFromUsedInFinancingActivities"]),
];

const MAPPINGS: Record<Taxonomy, Mapping[]> = { "us-gaap": US_GAAP_MAPPINGS, "ifrs-full": IFRS_MAPPINGS };

/** Annual reports: domestic (10-K) and foreign private issuers' (20-F), and their amendments. */
const ANNUAL_FORMS = new Set(["10-K", "10-K/A", "20-F", "20-F/A"]);
/** The reports a quarter's figures come from: quarterly reports (10-Q), and the annual report the fourth quarter is derived from. */
const QUARTER_FORMS = new Set(["10-Q", "10-Q/A", "10-K", "10-K/A"]);
/** A fiscal quarter: three months or thirteen weeks (84–98 days), with some slack. */
const QUARTER_MIN_DAYS = 80;
const QUARTER_MAX_DAYS = 100;
/** Quarters a document may hold: four a fiscal year, five in a year whose fiscal year changed. */
export const MAX_QUARTERS_PER_DOCUMENT = 400;
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
	/** The tag each found line item came from (`A+B` for a sum). */
	tags: Record<string, string>;
}

export interface SecImport {
	cik: string;
	entity_name: string;
	taxonomy: Taxonomy;
	currency: string;
	/** Annual statements, one per fiscal year end. */
	periods: ImportedPeriod[];
	/** Quarterly statements (10-Q filers): each fiscal quarter's own figures, the fourth derived from the year. */
	quarters: ImportedPeriod[];
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

/** Validates the facts of one mapped tag's unit; collects problems with their JSON paths. */
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
		if (!seen || f.filed > seen.filed || (f.filed === seen.filed && f.form.endsWith("/A"))) byEnd.set(f.end, f);
	}
	return byEnd;
}

const tagsOf = (source: Source): string[] => [...source.tags, ...(source.less ?? [])];
const CURRENCY_UNIT = /^[A-Z]{3}$/;
const unitKey = (mapping: Mapping, currency: string) => (mapping.unit === "shares" ? "shares" : mapping.unit === "per_share" ? `${currency}/shares` : currency);

/** The currency units of a taxonomy's mapped monetary tags that have annual facts. */
function currencyUnits(facts: Record<string, any>, mappings: Mapping[]): string[] {
	const units = new Set<string>();
	for (const mapping of mappings) {
		if (mapping.unit !== "currency") continue;
		for (const source of mapping.sources)
			for (const tag of tagsOf(source)) {
				const tagUnits = facts[tag]?.units;
				if (!isObject(tagUnits)) continue;
				for (const [unit, list] of Object.entries(tagUnits))
					if (CURRENCY_UNIT.test(unit) && Array.isArray(list) && list.some(f => isObject(f) && ANNUAL_FORMS.has(f.form))) units.add(unit);
			}
	}
	return [...units].sort();
}

/** Annual statements from a companyfacts document; throws SecDocumentError for a malformed or unusable one. */
export function parseCompanyFacts(doc: unknown): SecImport {
	if (!isObject(doc)) throw new SecDocumentError("The document is not a companyfacts object", [{ field: "", message: "must be an object", type: "object" }]);
	const problems: FieldProblem[] = [];
	if (!isObject(doc.facts)) problems.push({ field: "facts", message: "must be an object of taxonomies", type: "object", actual: typeof doc.facts });
	if (doc.cik == null || !/^\d{1,10}$/.test(String(doc.cik))) problems.push({ field: "cik", message: "must be the company's CIK (digits)", type: "cik", actual: doc.cik });
	for (const taxonomy of Object.keys(MAPPINGS))
		if (isObject(doc.facts) && doc.facts[taxonomy] !== undefined && !isObject(doc.facts[taxonomy]))
			problems.push({ field: `facts.${taxonomy}`, message: "must be an object of tags", type: "object" });
	if (problems.length) throw new SecDocumentError("Malformed companyfacts document", problems);

	// us-gaap when it has annual facts, else ifrs-full (a foreign filer's 20-F)
	const facts = doc.facts as Record<string, Record<string, any> | undefined>;
	const taxonomy = (["us-gaap", "ifrs-full"] as const).find(t => isObject(facts[t]) && currencyUnits(facts[t]!, MAPPINGS[t]).length > 0);
	if (!taxonomy) {
		const taxonomies = Object.keys(facts).join(", ") || "none";
		throw new SecDocumentError("No annual facts from 10-K or 20-F filings in this document", [
			{
				field: "facts",
				message: `annual statements come from us-gaap or ifrs-full facts of 10-K, 20-F (or amended) filings; this document has taxonomies: ${taxonomies}`,
				type: "secAnnualFacts",
			},
		]);
	}
	const tagFacts = facts[taxonomy]!;
	const mappings = MAPPINGS[taxonomy];
	const currencies = currencyUnits(tagFacts, mappings);
	if (currencies.length > 1) {
		throw new SecDocumentError(`The document reports its figures in ${currencies.length} currencies (${currencies.join(", ")}); a statement has one`, [
			{ field: `facts.${taxonomy}`, message: `monetary facts in ${currencies.join(", ")}: import a document in one currency`, type: "secCurrency", actual: currencies },
		]);
	}
	const currency = currencies[0];

	// per tag and period kind: end → fact (annual), and end → the quarter's own figure
	const byTag = new Map<string, Map<string, Fact>>();
	const quarterByTag = new Map<string, Map<string, QuarterFigure>>();
	const periodEnds = new Set<string>();
	const quarterEnds = new Set<string>();
	for (const mapping of mappings) {
		const unit = unitKey(mapping, currency);
		for (const source of mapping.sources) {
			if (source.period === "cover") continue; // dated by the periods found here: below
			for (const tag of tagsOf(source)) {
				const key = `${tag}|${source.period}`;
				if (byTag.has(key) || tagFacts[tag] === undefined) continue;
				const units = tagFacts[tag]?.units;
				if (!isObject(units)) {
					problems.push({ field: `facts.${taxonomy}.${tag}.units`, message: "must be an object of units", type: "object" });
					continue;
				}
				if (units[unit] === undefined) continue;
				const read = readFacts(units[unit], `facts.${taxonomy}.${tag}.units.${unit}`, problems);
				const found = latestByEnd(read, source.period === "instant");
				byTag.set(key, found);
				// a period is a fiscal year end: where an annual duration ends, or where total assets are reported
				if (source.period === "duration" || mapping.item === "total_assets") for (const end of found.keys()) periodEnds.add(end);
				const quarters = source.period === "instant" ? quarterInstants(read) : quarterDurations(read);
				quarterByTag.set(key, quarters);
				// a quarter ends where a quarter's flow ends, or where a quarterly report dates total assets
				if (source.period === "duration" || mapping.item === "total_assets") for (const end of quarters.keys()) quarterEnds.add(end);
			}
		}
	}
	if (problems.length) throw new SecDocumentError("Malformed facts in the companyfacts document", problems);
	if (periodEnds.size === 0) {
		throw new SecDocumentError("No annual facts from 10-K or 20-F filings in this document", [
			{ field: `facts.${taxonomy}`, message: `no ${taxonomy} fact of an annual report spans a fiscal year or dates total assets`, type: "secAnnualFacts" },
		]);
	}

	checkPeriods([...periodEnds].sort());
	const cover = coverFacts(doc.facts.dei, problems);
	if (problems.length) throw new SecDocumentError("Malformed facts in the companyfacts document", problems);
	byTag.set(`${COVER_SHARES}|cover`, coverByPeriod(cover, [...periodEnds], ANNUAL_FORMS));
	quarterByTag.set(`${COVER_SHARES}|cover`, coverByPeriod(cover, [...quarterEnds], QUARTER_FORMS) as Map<string, QuarterFigure>);

	const cik = String(doc.cik).replace(/^0+/, "") || "0";
	const entityName = typeof doc.entityName === "string" ? doc.entityName : "";
	const annualEnds = [...periodEnds].sort();
	const periods = annualEnds.map(end =>
		importedPeriod(mappings, byTag, end, { statement_type: "annual", fiscal_year: Number(end.slice(0, 4)), fiscal_period: "FY" }, currency, cik, entityName),
	);
	const ends = [...quarterEnds].sort();
	if (ends.length > MAX_QUARTERS_PER_DOCUMENT)
		throw new SecDocumentError(`The document has ${ends.length} quarterly periods; a filing history holds at most ${MAX_QUARTERS_PER_DOCUMENT}`, [
			{ field: "facts", message: `at most ${MAX_QUARTERS_PER_DOCUMENT} quarter ends per document, found ${ends.length}`, type: "secPeriods" },
		]);
	const quarters = ends.map(end =>
		importedPeriod(
			mappings,
			quarterByTag as unknown as Map<string, Map<string, Fact>>,
			end,
			{ statement_type: "quarterly", ...fiscalQuarterOf(end, annualEnds) },
			currency,
			cik,
			entityName,
		),
	);
	return { cik, entity_name: entityName, taxonomy, currency, periods, quarters };
}

/** A quarter's own figure of a tag: a fact, or the difference of two (a year-to-date figure less the one before). */
interface QuarterFigure extends Fact {
	/** The facts it was made of. */
	from: Fact[];
}

const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS;

/** The cover page's share counts (dei:EntityCommonStockSharesOutstanding), when the document has them. */
function coverFacts(dei: unknown, problems: FieldProblem[]): Fact[] {
	const units = isObject(dei) && isObject(dei.EntityCommonStockSharesOutstanding) ? dei.EntityCommonStockSharesOutstanding.units : undefined;
	if (!isObject(units) || units.shares === undefined) return [];
	return readFacts(units.shares, "facts.dei.EntityCommonStockSharesOutstanding.units.shares", problems);
}

/**
 * Per period end, the cover-page count of the report of that period: the first dated on or after the end and
 * within COVER_MAX_DAYS of it, from a report of the period's kind; of the same date, the first filed, unless a
 * later filing changed the count (then the latest: a restatement).
 */
function coverByPeriod(facts: Fact[], ends: string[], forms: Set<string>): Map<string, Fact> {
	const out = new Map<string, Fact>();
	const candidates = facts.filter(f => f.start === undefined && forms.has(f.form)).sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : a.filed < b.filed ? -1 : 1));
	for (const end of ends) {
		const first = candidates.find(f => f.end >= end && daysBetween(end, f.end) <= COVER_MAX_DAYS);
		if (!first) continue;
		const sameDate = candidates.filter(f => f.end === first.end);
		const latest = sameDate[sameDate.length - 1];
		out.set(end, latest.val === first.val ? first : latest);
	}
	return out;
}

/** The latest-filed fact per key (an amendment wins a tie). */
function latestBy(facts: Fact[], keyOf: (f: Fact) => string): Map<string, Fact> {
	const latest = new Map<string, Fact>();
	for (const f of facts) {
		const key = keyOf(f);
		const seen = latest.get(key);
		if (!seen || f.filed > seen.filed || (f.filed === seen.filed && f.form.endsWith("/A"))) latest.set(key, f);
	}
	return latest;
}

/** Balance-sheet figures at each quarter end, as the latest quarterly or annual report gave them. */
function quarterInstants(facts: Fact[]): Map<string, QuarterFigure> {
	const latest = latestBy(
		facts.filter(f => f.start === undefined && QUARTER_FORMS.has(f.form)),
		f => f.end,
	);
	return new Map([...latest].map(([end, f]) => [end, { ...f, from: [f] }]));
}

/**
 * Each quarter's own flow: a fact spanning the quarter (80–100 days), else the year-to-date figure at its end
 * less the one at the quarter before from the same start (10-Q cash flows are year-to-date; the fourth quarter
 * is the year less the first nine months when the filer reports only the year). Facts deduplicated by start and
 * end, the latest filed kept.
 */
function quarterDurations(facts: Fact[]): Map<string, QuarterFigure> {
	const latest = [
		...latestBy(
			facts.filter(f => f.start !== undefined && QUARTER_FORMS.has(f.form)),
			f => `${f.start}|${f.end}`,
		).values(),
	];
	const out = new Map<string, QuarterFigure>();
	for (const f of latest) {
		const days = daysBetween(f.start!, f.end);
		if (days >= QUARTER_MIN_DAYS && days <= QUARTER_MAX_DAYS) {
			const seen = out.get(f.end);
			if (!seen || f.filed > seen.filed) out.set(f.end, { ...f, from: [f] });
		}
	}
	const byStart = new Map<string, Fact[]>();
	for (const f of latest) byStart.set(f.start!, [...(byStart.get(f.start!) ?? []), f]);
	for (const spans of byStart.values()) {
		spans.sort((a, b) => (a.end < b.end ? -1 : 1));
		for (let i = 1; i < spans.length; i++) {
			const [before, to] = [spans[i - 1], spans[i]];
			const gap = daysBetween(before.end, to.end);
			if (out.has(to.end) || gap < QUARTER_MIN_DAYS || gap > QUARTER_MAX_DAYS) continue;
			out.set(to.end, { ...to, start: before.end, val: to.val - before.val, filed: to.filed > before.filed ? to.filed : before.filed, from: [to, before] });
		}
	}
	return out;
}

/**
 * The quarter of its fiscal year a quarter end is, counted back from the fiscal year end on or after it; the
 * statement's `fiscal_year` is the calendar year of its end, as for every statement (models/statement.ts).
 */
function fiscalQuarterOf(end: string, annualEnds: string[]): { fiscal_year: number; fiscal_period: string } {
	let yearEnd = annualEnds.find(e => e >= end && daysBetween(end, e) < 370);
	if (!yearEnd && annualEnds.length) {
		// after the last annual report: the same fiscal year end, a year (or more) on
		const last = annualEnds[annualEnds.length - 1];
		const years = Math.ceil(daysBetween(last, end) / 365.25 - 0.05);
		yearEnd = `${Number(last.slice(0, 4)) + Math.max(1, years)}${last.slice(4)}`;
	}
	const fiscal_year = Number(end.slice(0, 4));
	if (!yearEnd) return { fiscal_year, fiscal_period: `Q${Math.ceil(Number(end.slice(5, 7)) / 3)}` };
	const back = Math.round(daysBetween(end, yearEnd) / 91.3);
	return { fiscal_year, fiscal_period: `Q${Math.min(4, Math.max(1, 4 - back))}` };
}

/** One period's statement from the facts picked for `end`. */
function importedPeriod(
	mappings: Mapping[],
	byTag: Map<string, Map<string, Fact>>,
	end: string,
	kind: Pick<StatementData, "statement_type" | "fiscal_year" | "fiscal_period">,
	currency: string,
	cik: string,
	entityName: string,
): ImportedPeriod {
	{
		const statement: StatementData = {
			...kind,
			period_end: end,
			currency,
			balance_sheet: {},
			income_statement: {},
			cash_flow: {},
		};
		const found: string[] = [];
		const missing: string[] = [];
		const tags: Record<string, string> = {};
		const accessions = new Set<string>();
		let filed = "";
		for (const mapping of mappings) {
			const picked = pick(mapping, end, byTag);
			if (!picked) {
				missing.push(mapping.item);
				continue;
			}
			(statement[mapping.section] as Record<string, number>)[mapping.item] = picked.value;
			found.push(mapping.item);
			tags[mapping.item] = picked.tag;
			for (const fact of picked.facts.flatMap(f => (f as Partial<QuarterFigure>).from ?? [f])) {
				if (fact.accn) accessions.add(fact.accn);
				if (fact.filed > filed) filed = fact.filed;
			}
		}
		const source: StatementSource = { type: "sec_companyfacts", cik, entity_name: entityName, accession: [...accessions].sort(), filed };
		statement.source = source;
		return { period_end: end, statement, found, missing, tags };
	}
}

/** The line item's figure for the period: its first source that has one (a sum source needs every tag, a difference both sides). */
function pick(mapping: Mapping, end: string, byTag: Map<string, Map<string, Fact>>): { value: number; tag: string; facts: Fact[] } | null {
	for (const source of mapping.sources) {
		const at = (tag: string) => byTag.get(`${tag}|${source.period}`)?.get(end);
		const first = (tags: string[]) => tags.map(tag => ({ tag, fact: at(tag) })).find(f => f.fact !== undefined) as { tag: string; fact: Fact } | undefined;
		if (source.less) {
			const [from, less] = [first(source.tags), first(source.less)];
			if (from && less) return { value: from.fact.val - less.fact.val, tag: `${from.tag}-${less.tag}`, facts: [from.fact, less.fact] };
			continue;
		}
		if (source.sum) {
			const facts = source.tags.map(at);
			if (facts.every((f): f is Fact => f !== undefined)) return { value: facts.reduce((sum, f) => sum + f.val, 0), tag: source.tags.join("+"), facts };
			continue;
		}
		for (const tag of source.tags) {
			const fact = at(tag);
			if (fact) return { value: fact.val, tag, facts: [fact] };
		}
	}
	return null;
}
