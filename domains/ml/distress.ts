/**
 * The default `distress` model's inputs: the ratios of the Polish companies bankruptcy data set (Tomczak,
 * UCI 2016; Zięba, Tomczak & Tomczak, Expert Systems with Applications 58, 2016) that a company's annual
 * statements give. Polish accounting terms mapped to the statement's items (docs/ml.md): "gross profit"
 * (zysk brutto) is profit before tax; "profit on operating activities" is operating income; "financial
 * expenses" interest expense; fixed assets total assets − current assets; long-term liabilities total −
 * current liabilities; "constant capital" equity + long-term liabilities; "operating expenses" revenue −
 * operating income. Ratios of absolute size (log of total assets, working capital in currency) are left out:
 * the data set is in PLN.
 */
import { ALL_DOMAINS } from "../../models/ml";
import type { Statement } from "../../models/statement";

type Figures = Record<string, number | null | undefined>;
type Formula = (f: Figures, prior: Figures | null) => number | null;

const div = (a: number | null | undefined, b: number | null | undefined): number | null => (a == null || b == null || b === 0 ? null : a / b);
const sum = (...xs: Array<number | null | undefined>): number | null => (xs.some(x => x == null) ? null : xs.reduce<number>((s, x) => s + (x as number), 0));
const diff = (a: number | null | undefined, b: number | null | undefined): number | null => (a == null || b == null ? null : a - b);

/** Derived figures in the data set's vocabulary, from one statement's line items. */
function figuresOf(s: Statement): Figures {
	const b = s.balance_sheet as Figures;
	const i = s.income_statement as Figures;
	const fixedAssets = diff(b.total_assets, b.total_current_assets);
	const longTermLiabilities = diff(b.total_liabilities, b.total_current_liabilities);
	return {
		net_profit: i.net_income,
		total_assets: b.total_assets,
		total_liabilities: b.total_liabilities,
		equity: b.total_equity,
		current_assets: b.total_current_assets,
		short_term_liabilities: b.total_current_liabilities,
		working_capital: diff(b.total_current_assets, b.total_current_liabilities),
		retained_earnings: b.retained_earnings,
		ebit: i.income_before_tax != null && i.interest_expense != null ? i.income_before_tax + i.interest_expense : i.operating_income,
		sales: i.revenue,
		gross_profit: i.income_before_tax,
		depreciation: i.depreciation_and_amortization,
		inventory: b.inventory,
		receivables: b.accounts_receivable,
		operating_profit: i.operating_income,
		financial_expenses: i.interest_expense,
		fixed_assets: fixedAssets,
		long_term_liabilities: longTermLiabilities,
		constant_capital: sum(b.total_equity, longTermLiabilities),
		cash: sum(b.cash_and_equivalents, b.short_term_investments ?? 0),
		operating_expenses: diff(i.revenue, i.operating_income),
		cost_of_products_sold: i.cost_of_revenue,
	};
}

/** Column name in the data set → formula on the figures. */
export const DISTRESS_FEATURES: Record<string, Formula> = {
	"net profit / total assets": f => div(f.net_profit, f.total_assets),
	"total liabilities / total assets": f => div(f.total_liabilities, f.total_assets),
	"working capital / total assets": f => div(f.working_capital, f.total_assets),
	"current assets / short-term liabilities": f => div(f.current_assets, f.short_term_liabilities),
	"retained earnings / total assets": f => div(f.retained_earnings, f.total_assets),
	"EBIT / total assets": f => div(f.ebit, f.total_assets),
	"book value of equity / total liabilities": f => div(f.equity, f.total_liabilities),
	"sales / total assets": f => div(f.sales, f.total_assets),
	"equity / total assets": f => div(f.equity, f.total_assets),
	"(gross profit + depreciation) / total liabilities": f => div(sum(f.gross_profit, f.depreciation), f.total_liabilities),
	"total assets / total liabilities": f => div(f.total_assets, f.total_liabilities),
	"gross profit / total assets": f => div(f.gross_profit, f.total_assets),
	"gross profit / sales": f => div(f.gross_profit, f.sales),
	"(inventory * 365) / sales": f => div(f.inventory == null ? null : f.inventory * 365, f.sales),
	"sales (n) / sales (n-1)": (f, prior) => div(f.sales, prior?.sales),
	"profit on operating activities / total assets": f => div(f.operating_profit, f.total_assets),
	"net profit / sales": f => div(f.net_profit, f.sales),
	"(net profit + depreciation) / total liabilities": f => div(sum(f.net_profit, f.depreciation), f.total_liabilities),
	"profit on operating activities / financial expenses": f => div(f.operating_profit, f.financial_expenses),
	"working capital / fixed assets": f => div(f.working_capital, f.fixed_assets),
	"(total liabilities - cash) / sales": f => div(diff(f.total_liabilities, f.cash), f.sales),
	"operating expenses / short-term liabilities": f => div(f.operating_expenses, f.short_term_liabilities),
	"constant capital / total assets": f => div(f.constant_capital, f.total_assets),
	"(current assets - inventory - receivables) / short-term liabilities": f => div(diff(diff(f.current_assets, f.inventory), f.receivables), f.short_term_liabilities),
	"profit on operating activities / sales": f => div(f.operating_profit, f.sales),
	"(receivables * 365) / sales": f => div(f.receivables == null ? null : f.receivables * 365, f.sales),
	"(current assets - inventory) / short-term liabilities": f => div(diff(f.current_assets, f.inventory), f.short_term_liabilities),
	"current assets / total liabilities": f => div(f.current_assets, f.total_liabilities),
	"short-term liabilities / total assets": f => div(f.short_term_liabilities, f.total_assets),
	"equity / fixed assets": f => div(f.equity, f.fixed_assets),
	"(sales - cost of products sold) / sales": f => div(diff(f.sales, f.cost_of_products_sold), f.sales),
	"long-term liabilities / equity": f => div(f.long_term_liabilities, f.equity),
	"sales / inventory": f => div(f.sales, f.inventory),
	"sales / receivables": f => div(f.sales, f.receivables),
	"sales / short-term liabilities": f => div(f.sales, f.short_term_liabilities),
	"sales / fixed assets": f => div(f.sales, f.fixed_assets),
};

export const DISTRESS_FEATURE_NAMES = Object.keys(DISTRESS_FEATURES);

/**
 * The default model: gradient-boosted trees on the statement-computable ratios of the Polish 5year file (status
 * one year on). A ratio missing from the Polish data is a sign of distress there, but from a US statement only
 * means a line item is not reported: missing values are imputed, never a signal (docs/ml.md). Production needs
 * ROC AUC ≥ 0.85 on the hold-out and at most a quarter of the reference US filers labelled distressed.
 */
export const DEFAULT_DISTRESS_MODEL = {
	name: "distress",
	domain: ALL_DOMAINS,
	model_type: "gradient_boosted_trees",
	description: "Probability that a company goes bankrupt within a year, from ratios of its annual statements (Polish companies bankruptcy data, UCI, CC BY 4.0)",
	configuration: { features: DISTRESS_FEATURE_NAMES, missing_values: "impute_median", gates: { roc_auc: 0.85, reference_positive_share: 0.25 } },
	dataset: "polish-bankruptcy-5year",
} as const;

/** The features of the latest statement (with the one a year before for growth); those it cannot give are listed. */
export function statementFeatures(
	features: string[],
	current: Statement,
	prior: Statement | null,
): { values: Record<string, number | null>; not_computed: Array<{ feature: string; reason: string }> } {
	const f = figuresOf(current);
	const p = prior ? figuresOf(prior) : null;
	const values: Record<string, number | null> = {};
	const notComputed: Array<{ feature: string; reason: string }> = [];
	for (const name of features) {
		const formula = DISTRESS_FEATURES[name];
		const value = formula ? formula(f, p) : null;
		values[name] = value != null && Number.isFinite(value) ? value : null;
		if (values[name] == null)
			notComputed.push({
				feature: name,
				reason: !formula
					? "not computable from statements"
					: name.includes("(n-1)") && !prior
						? "needs the prior year's statement"
						: "a line item it needs is missing or zero",
			});
	}
	return { values, not_computed: notComputed };
}

/**
 * The realised outcome a distress prediction is judged by, since statements do not record bankruptcy (a
 * proxy, documented in docs/ml.md): the next annual statement shows equity at or below zero, or a net loss
 * together with negative operating cash flow. Null when the statement lacks what this needs.
 */
export const OBSERVED_DISTRESS = "next annual statement: total_equity ≤ 0, or net_income < 0 with operating_cash_flow < 0";
export function observedDistress(next: Statement): boolean | null {
	const equity = next.balance_sheet.total_equity;
	const income = next.income_statement.net_income;
	const cash = next.cash_flow.operating_cash_flow;
	if (equity != null && equity <= 0) return true;
	if (income != null && cash != null) return income < 0 && cash < 0;
	return equity == null ? null : false;
}
