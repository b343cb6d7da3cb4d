/**
 * Daily price providers: where a ticker's prices come from, as a CSV with the common header (prices.ts parses
 * it), and how each says its rate was exceeded. `tiingo`: Tiingo's end-of-day endpoint
 * (https://www.tiingo.com/documentation/end-of-day, `format=csv`; the key in an `Authorization: Token` header;
 * its free plan allows 50 requests an hour). `custom`: any URL template answering that CSV (a data
 * warehouse, a mirror, another vendor's download URL), its key, if any, in the URL.
 */

export const PRICE_PROVIDERS = ["tiingo", "custom"] as const;
export type PriceProviderName = (typeof PRICE_PROVIDERS)[number];

export interface PriceProvider {
	name: PriceProviderName;
	/** As messages name it. */
	source: string;
	/** `{base}` is the base URL; `{ticker}`, `{from}`, `{to}` (YYYY-MM-DD), `{from_compact}`, `{to_compact}` (YYYYMMDD), `{key}`. */
	url: string;
	defaultBase: string | null;
	/** The key's header, `{key}` in its value; none: the key, if any, goes in the URL. */
	keyHeader: { name: string; value: string } | null;
	/** The provider's published limit, the default of PRICES_MAX_REQUESTS per PRICES_WINDOW_SECONDS. */
	limit: { maxRequests: number; windowSeconds: number };
}

export const PRICE_PROVIDER_PRESETS: Record<PriceProviderName, PriceProvider> = {
	tiingo: {
		name: "tiingo",
		source: "Tiingo",
		url: "{base}/tiingo/daily/{ticker}/prices?startDate={from}&endDate={to}&resampleFreq=daily&format=csv",
		defaultBase: "https://api.tiingo.com",
		keyHeader: { name: "authorization", value: "Token {key}" },
		limit: { maxRequests: 50, windowSeconds: 3600 },
	},
	custom: {
		name: "custom",
		source: "the price provider",
		url: "",
		defaultBase: null,
		keyHeader: null,
		limit: { maxRequests: 60, windowSeconds: 60 },
	},
};

const compact = (isoDate: string) => isoDate.replaceAll("-", "");

/** The URL of a ticker's daily prices from `from` to `to` (inclusive); every value URL-encoded. */
export function priceUrl(template: string, values: { base: string | null; ticker: string; from: string; to: string; key: string | null }): string {
	const fill: Record<string, string> = {
		base: (values.base ?? "").replace(/\/+$/, ""),
		ticker: encodeURIComponent(values.ticker),
		from: values.from,
		to: values.to,
		from_compact: compact(values.from),
		to_compact: compact(values.to),
		key: encodeURIComponent(values.key ?? ""),
	};
	return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name === "base" ? fill.base : (fill[name] ?? whole)));
}

/** The URL with its key hidden, for logs and messages. */
export const redactKey = (url: string, key: string | null): string => (key ? url.split(encodeURIComponent(key)).join("***") : url);

/** The placeholders a template may hold; the unknown ones it holds. */
export function unknownPlaceholders(template: string): string[] {
	const known = new Set(["base", "ticker", "from", "to", "from_compact", "to_compact", "key"]);
	return [...template.matchAll(/\{(\w+)\}/g)].map(m => m[1]).filter(name => !known.has(name));
}

/**
 * Whether an answer says the request rate was exceeded: a 429, or (as Tiingo and other vendors do) a JSON
 * message about the request allocation or rate limit, whatever its status.
 */
export function priceRateExceeded(status: number, body: string): boolean {
	if (status === 429) return true;
	return /^\s*[{[]/.test(body) && /request allocation|rate limit|too many requests/i.test(body.slice(0, 2000));
}

/** Why a 200 answer is not a price CSV (an HTML page, a JSON message), or null. */
export function notPriceCsv(contentType: string | null, body: string): string | null {
	const start = body.slice(0, 200).trimStart();
	if (/html/i.test(contentType ?? "") || /^<(!doctype|html)/i.test(start)) return "an HTML page, not prices";
	if (/^[{[]/.test(start)) return `a message, not prices: ${messageOf(body)}`;
	return null;
}

/** What a JSON error answer says (Tiingo's `detail`, others' `message`/`error`), short. */
export function messageOf(body: string): string {
	try {
		const doc = JSON.parse(body) as Record<string, unknown>;
		const said = doc.detail ?? doc.message ?? doc.error ?? doc.Information ?? doc.Note;
		if (typeof said === "string") return said.slice(0, 300);
	} catch {
		/* not JSON: its text */
	}
	return body.slice(0, 300).replace(/\s+/g, " ").trim();
}

/** Whether a price CSV holds no rows (a range with no trading day yet): nothing to store, not an error. */
export const noPriceRows = (csv: string): boolean => csv.split(/\r?\n/).filter(line => line.trim()).length <= 1;

/**
 * Whether the rows hold a split or a dividend (Tiingo's `splitFactor` ≠ 1 or `divCash` > 0): adjusted closes
 * held from before it are no longer on the same basis, so the whole history is fetched again, as Tiingo
 * advises ("The Fastest Method to Ingest Tiingo End-of-Day Stock API Data").
 */
export function corporateActionIn(csv: string): boolean {
	const lines = csv.split(/\r?\n/);
	const header = (lines[0] ?? "").split(",").map(h => h.trim().toLowerCase());
	const split = header.indexOf("splitfactor");
	const dividend = header.indexOf("divcash");
	if (split < 0 && dividend < 0) return false;
	return lines.slice(1).some(line => {
		const cells = line.split(",");
		return (split >= 0 && cells[split] != null && cells[split].trim() !== "" && Number(cells[split]) !== 1) || (dividend >= 0 && Number(cells[dividend]) > 0);
	});
}
