/**
 * The daily price provider's client (domains/market/providers.ts) on the shared fair-access client: the
 * provider's rate across every replica, a pause of all its traffic for a window after it says the rate was
 * exceeded, the API key in its header (or the URL) and never in a log.
 */
import type Redis from "ioredis";
import type { Config } from "../config";
import { PRICE_PROVIDER_PRESETS, notPriceCsv, priceRateExceeded, priceUrl, redactKey, unknownPlaceholders, type PriceProvider } from "../domains/market/providers";
import { FairAccessClient, type RequestOutcome } from "./fair-access-client";

export interface PriceSource {
	provider: PriceProvider;
	client: FairAccessClient;
	/** The rate every replica shares, as configured. */
	limit: { maxRequests: number; windowSeconds: number };
	/** The URL of a ticker's prices from `from` to `to`. */
	urlOf(ticker: string, from: string, to: string): string;
}

/** The configured provider, or why it cannot run (a start-up error: the operator's settings are incomplete). */
export function priceSource(
	settings: Config["prices"],
	deps: {
		redis: Redis | null;
		prefix: string;
		maxBodyBytes: number;
		logger: { warn(...args: unknown[]): void; info(...args: unknown[]): void };
		count(outcome: RequestOutcome): void;
	},
): PriceSource | null {
	if (!settings.provider) return null;
	const preset = PRICE_PROVIDER_PRESETS[settings.provider];
	const template = settings.provider === "custom" ? settings.url_template : preset.url;
	if (!template) throw new Error("PRICES_PROVIDER is custom: set PRICES_URL_TEMPLATE to the URL of a ticker's prices, with {ticker}, {from} and {to}");
	const unknown = unknownPlaceholders(template);
	if (unknown.length)
		throw new Error(`PRICES_URL_TEMPLATE names ${unknown.map(u => `{${u}}`).join(", ")}: it may use {base}, {ticker}, {from}, {to}, {from_compact}, {to_compact}, {key}`);
	if (!template.includes("{ticker}")) throw new Error("PRICES_URL_TEMPLATE has no {ticker}");
	if (preset.keyHeader && !settings.api_key) throw new Error(`PRICES_PROVIDER is ${settings.provider}: set PRICES_API_KEY (${preset.source} requires a key)`);
	const base = settings.base_url ?? preset.defaultBase;
	const maxRequests = settings.max_requests ?? preset.limit.maxRequests;
	const windowSeconds = settings.window_seconds ?? preset.limit.windowSeconds;
	if (maxRequests < 1 || windowSeconds <= 0) throw new Error("PRICES_MAX_REQUESTS must be at least 1 and PRICES_WINDOW_SECONDS above 0");
	const key = settings.api_key;
	const client = new FairAccessClient({
		source: preset.source,
		key: "prices",
		headers: preset.keyHeader && key ? { [preset.keyHeader.name]: preset.keyHeader.value.replace("{key}", key) } : {},
		maxRequests,
		// the provider counts requests as they arrive, a varying delay after they leave: 100 ms more keeps that jitter inside (as for SEC)
		windowMs: windowSeconds * 1000 + 100,
		timeoutMs: settings.timeout_ms,
		retries: settings.retries,
		// a provider's limits are per window: nothing is asked again before the window has passed
		pauseMs: windowSeconds * 1000,
		// what the prices' upload takes (4 MB of CSV, 20,000 rows at most)
		cacheBytes: 16 * 1024 * 1024,
		maxBodyBytes: deps.maxBodyBytes,
		rateExceeded: priceRateExceeded,
		notData: notPriceCsv,
		refused: status => (status === 401 || status === 403 ? (key ? "it refused the API key (PRICES_API_KEY)" : "it asks for an API key (PRICES_API_KEY)") : null),
		redact: url => redactKey(url, key),
		redis: deps.redis,
		prefix: deps.prefix,
		logger: deps.logger,
		count: deps.count,
	});
	return { provider: preset, client, limit: { maxRequests, windowSeconds }, urlOf: (ticker, from, to) => priceUrl(template, { base, ticker, from, to, key }) };
}
