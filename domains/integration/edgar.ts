/**
 * What the SEC EDGAR connector reads from SEC's answers: the ticker map (sec.gov/files/company_tickers.json),
 * a filer's submissions (data.sec.gov/submissions/CIK##########.json) and SEC's rate-threshold page. Source:
 * SEC, "EDGAR Application Programming Interfaces" (sec.gov/search-filings/edgar-application-programming-interfaces)
 * and "Accessing EDGAR Data" (fair access: at most 10 requests per second, a User-Agent naming the requester).
 */

/** A CIK as SEC's file names write it: ten digits, zero-padded. */
export function paddedCik(cik: string | number): string {
	return String(cik).replace(/^0+/, "").padStart(10, "0");
}

/** A CIK as the platform keeps it: without its leading zeros. */
export function plainCik(cik: string | number): string {
	return String(cik).replace(/^0+/, "") || "0";
}

/** SEC's answer to a client over the rate: a 403 whose HTML says so (SEC also answers 429). */
export function isRateThresholdPage(body: string): boolean {
	return /Request Rate Threshold Exceeded/i.test(body);
}

/** An HTML page where data was expected (SEC answers some errors with a 200 and a page). */
export function looksLikeHtml(contentType: string | null, body: string): boolean {
	return /text\/html/i.test(contentType ?? "") || /^\s*<(!doctype|html|\?xml)/i.test(body.slice(0, 200));
}

export interface TickerEntry {
	cik: string;
	ticker: string;
	title: string;
}

/** company_tickers.json (`{"0": {"cik_str", "ticker", "title"}, …}`) by upper-case ticker, the first entry of each kept. */
export function tickerIndexOf(doc: unknown): Map<string, TickerEntry> {
	if (!doc || typeof doc !== "object") throw new Error("company_tickers.json is not an object");
	const index = new Map<string, TickerEntry>();
	for (const entry of Object.values(doc as Record<string, { cik_str?: unknown; ticker?: unknown; title?: unknown }>)) {
		if (typeof entry?.ticker !== "string" || entry.cik_str == null) continue;
		const ticker = entry.ticker.toUpperCase();
		if (!index.has(ticker)) index.set(ticker, { cik: plainCik(String(entry.cik_str)), ticker, title: String(entry.title ?? "") });
	}
	return index;
}

/** The filer of a ticker in company_tickers.json, case-insensitively. */
export function findTicker(doc: unknown, ticker: string): TickerEntry | null {
	return tickerIndexOf(doc).get(ticker.trim().toUpperCase()) ?? null;
}

/** A filer as its submissions document describes it. */
export interface SecFiler {
	cik: string;
	/** Where the description comes from: the filer's submissions, or (SEC or a mirror has none) company_tickers.json's entry. */
	described_by: "submissions" | "company_tickers";
	name: string;
	tickers: string[];
	sic: number | null;
	sic_description: string | null;
	/** MMDD, e.g. "1231". */
	fiscal_year_end: string | null;
	former_names: Array<{ name: string; from: string | null; to: string | null }>;
	/** ISO 3166-1 alpha-2 where SEC's address says the United States (a two-letter state); else unknown. */
	country: string | null;
}

/** A filer as company_tickers.json alone describes it (name and ticker; no SIC, fiscal year end or address). */
export const filerOfTickerEntry = (entry: TickerEntry): SecFiler => ({
	cik: entry.cik,
	described_by: "company_tickers",
	name: entry.title,
	tickers: entry.ticker ? [entry.ticker] : [],
	sic: null,
	sic_description: null,
	fiscal_year_end: null,
	former_names: [],
	country: null,
});

const US_STATES = new Set(
	"AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR".split(" "),
);

export function filerOfSubmissions(doc: unknown): SecFiler {
	const d = doc as Record<string, any>;
	if (!d || typeof d !== "object" || d.cik == null || typeof d.name !== "string") throw new Error("the submissions document has no cik and name");
	const sic = d.sic != null && /^\d+$/.test(String(d.sic)) ? Number(d.sic) : null;
	const state = d.addresses?.business?.stateOrCountry;
	return {
		cik: plainCik(String(d.cik)),
		described_by: "submissions",
		name: d.name.trim(),
		tickers: Array.isArray(d.tickers) ? d.tickers.filter((t: unknown): t is string => typeof t === "string").map((t: string) => t.toUpperCase()) : [],
		sic,
		sic_description: typeof d.sicDescription === "string" && d.sicDescription ? d.sicDescription : null,
		fiscal_year_end: typeof d.fiscalYearEnd === "string" && /^\d{4}$/.test(d.fiscalYearEnd) ? d.fiscalYearEnd : null,
		former_names: Array.isArray(d.formerNames)
			? d.formerNames
					.filter((f: any) => typeof f?.name === "string")
					.map((f: any) => ({ name: f.name, from: typeof f.from === "string" ? f.from.slice(0, 10) : null, to: typeof f.to === "string" ? f.to.slice(0, 10) : null }))
			: [],
		country: typeof state === "string" && US_STATES.has(state) ? "US" : null,
	};
}
