/**
 * Market-based measures of a company at a period end, from its daily closes and its statement:
 * - annualised volatility: the standard deviation of daily log returns × √252 (Hull, Options, Futures, and
 *   Other Derivatives, 10th ed., §15.4);
 * - maximum drawdown: the largest fall from a running peak, as a share of the peak;
 * - Merton distance to default, the "naive" form of Bharath & Shumway, "Forecasting Default with the Merton
 *   Distance to Default Model", Review of Financial Studies 21(3), 2008: F = debt in current liabilities +
 *   ½ long-term debt (KMV's default point), σ_D = 0.05 + 0.25 σ_E, σ_V = E/(E+F) σ_E + F/(E+F) σ_D,
 *   μ = the stock's return over the past year, T = 1 year;
 *   DD = (ln((E+F)/F) + (μ − σ_V²/2) T) / (σ_V √T), probability of default N(−DD).
 */

export const TRADING_DAYS = 252;

export function annualisedVolatility(closes: number[]): number | null {
	const returns: number[] = [];
	for (let i = 1; i < closes.length; i++) if (closes[i - 1] > 0 && closes[i] > 0) returns.push(Math.log(closes[i] / closes[i - 1]));
	if (returns.length < 20) return null;
	const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
	const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1);
	return Math.sqrt(variance) * Math.sqrt(TRADING_DAYS);
}

export function maxDrawdown(closes: number[]): number | null {
	if (closes.length < 2) return null;
	let peak = closes[0];
	let worst = 0;
	for (const c of closes) {
		if (c > peak) peak = c;
		else if (peak > 0) worst = Math.max(worst, (peak - c) / peak);
	}
	return worst;
}

/** The standard normal distribution function (Abramowitz & Stegun 26.2.17, error below 7.5e−8). */
export function normalCdf(x: number): number {
	const t = 1 / (1 + 0.2316419 * Math.abs(x));
	const d = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
	const p = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
	return x >= 0 ? 1 - p : p;
}

export interface DistanceToDefault {
	distance_to_default: number | null;
	default_probability: number | null;
	/** The default point F, the asset volatility σ_V and the drift μ used. */
	inputs: { equity: number | null; default_point: number | null; equity_volatility: number | null; asset_volatility: number | null; drift: number | null };
	/** Why it is null, when it is. */
	null_reason?: string;
}

export function mertonDistanceToDefault(input: {
	equity: number | null;
	equityVolatility: number | null;
	shortTermDebt: number | null | undefined;
	longTermDebt: number | null | undefined;
	pastYearReturn: number | null;
}): DistanceToDefault {
	const { equity, equityVolatility, pastYearReturn } = input;
	const hasDebt = input.shortTermDebt != null || input.longTermDebt != null;
	const F = hasDebt ? (input.shortTermDebt ?? 0) + 0.5 * (input.longTermDebt ?? 0) : null;
	const none = (reason: string): DistanceToDefault => ({
		distance_to_default: null,
		default_probability: null,
		inputs: { equity, default_point: F, equity_volatility: equityVolatility, asset_volatility: null, drift: pastYearReturn },
		null_reason: reason,
	});
	if (equity == null || equity <= 0) return none("no market value of equity (prices and shares outstanding)");
	if (equityVolatility == null) return none("fewer than 20 daily returns in the year before the period end");
	if (F == null) return none("missing short_term_debt, long_term_debt");
	if (F <= 0) return none("no debt: nothing to default on");
	const mu = pastYearReturn ?? 0;
	const V = equity + F;
	const sigmaD = 0.05 + 0.25 * equityVolatility;
	const sigmaV = (equity / V) * equityVolatility + (F / V) * sigmaD;
	const dd = (Math.log(V / F) + (mu - sigmaV ** 2 / 2)) / sigmaV;
	return {
		distance_to_default: dd,
		default_probability: normalCdf(-dd),
		inputs: { equity, default_point: F, equity_volatility: equityVolatility, asset_volatility: sigmaV, drift: mu },
	};
}
