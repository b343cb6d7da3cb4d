/** Price providers: their URLs, their refusals, a CSV's corporate actions, and the settings a provider needs. */
import { loadConfig } from "../../config";
import { parsePriceCsv } from "../../domains/market/prices";
import { corporateActionIn, noPriceRows, notPriceCsv, PRICE_PROVIDER_PRESETS, priceRateExceeded, priceUrl, redactKey } from "../../domains/market/providers";
import { priceSource } from "../../lib/price-client";

const deps = { redis: null, prefix: "t", maxBodyBytes: 1000, logger: { warn() {}, info() {} }, count() {} };
const settings = (env: Record<string, string>) => loadConfig({ NODE_ENV: "test", ...env }).prices;

describe("price provider URLs", () => {
	it("fill Tiingo's end-of-day URL with the ticker and dates, the base without its trailing slash", () => {
		expect(priceUrl(PRICE_PROVIDER_PRESETS.tiingo.url, { base: "https://api.tiingo.com/", ticker: "BRK.B", from: "2017-01-01", to: "2017-12-31", key: "k" })).toBe(
			"https://api.tiingo.com/tiingo/daily/BRK.B/prices?startDate=2017-01-01&endDate=2017-12-31&resampleFreq=daily&format=csv",
		);
	});

	it("fill a custom template, its key encoded in the URL and hidden from what is shown", () => {
		const url = priceUrl("https://prices.example/d/{ticker}.csv?d1={from_compact}&d2={to_compact}&apikey={key}", {
			base: null,
			ticker: "A&B",
			from: "2017-01-01",
			to: "2017-12-31",
			key: "s3cr/t",
		});
		expect(url).toBe("https://prices.example/d/A%26B.csv?d1=20170101&d2=20171231&apikey=s3cr%2Ft");
		expect(redactKey(url, "s3cr/t")).toBe("https://prices.example/d/A%26B.csv?d1=20170101&d2=20171231&apikey=***");
	});
});

describe("what a provider answers", () => {
	it("takes a 429, or a JSON message about the allocation or rate limit, for the rate exceeded", () => {
		expect(priceRateExceeded(429, "")).toBe(true);
		expect(priceRateExceeded(200, '{"detail":"Error: You have run over your hourly request allocation."}')).toBe(true);
		expect(priceRateExceeded(200, "date,close\n2017-01-03,116.15\n")).toBe(false);
		expect(priceRateExceeded(404, '{"detail":"Error: Ticker \'zzzz\' not found"}')).toBe(false);
	});

	it("takes an HTML page or a JSON message with a 200 for what it is, not prices", () => {
		expect(notPriceCsv("text/html", "<html></html>")).toBe("an HTML page, not prices");
		expect(notPriceCsv("application/json", '{"detail":"Invalid token."}')).toBe("a message, not prices: Invalid token.");
		expect(notPriceCsv("text/csv", "date,close\n")).toBeNull();
		expect(noPriceRows("date,close,high,low,open,volume\n")).toBe(true);
		expect(noPriceRows("date,close,high,low,open,volume\n2017-01-03,1,1,1,1,1\n")).toBe(false);
	});

	it("finds a split or a dividend among Tiingo's rows", () => {
		const header = "date,close,high,low,open,volume,adjClose,adjHigh,adjLow,adjOpen,adjVolume,divCash,splitFactor";
		expect(corporateActionIn(`${header}\n2017-01-03,1,1,1,1,1,1,1,1,1,1,0.00,1.0\n`)).toBe(false);
		expect(corporateActionIn(`${header}\n2017-01-03,1,1,1,1,1,1,1,1,1,1,0.57,1.0\n`)).toBe(true);
		expect(corporateActionIn(`${header}\n2014-06-09,1,1,1,1,1,1,1,1,1,1,0.00,7.0\n`)).toBe(true);
		expect(corporateActionIn("Date,Open,High,Low,Close,Volume\n2017-01-03,1,1,1,1,1\n")).toBe(false);
	});

	it("reads Tiingo's CSV (its columns in its order, adjClose) with the CSV upload's parser, a midnight timestamp as its day", () => {
		const { rows, problems } = parsePriceCsv(
			"date,close,high,low,open,volume,adjClose,divCash,splitFactor\n2017-01-04T00:00:00.000Z,116.02,116.51,115.75,115.85,21118116,111.71,0.0,1.0\n2017-01-03,116.15,116.33,114.76,115.8,28781865,111.84,0.0,1.0\n",
		);
		expect(problems).toEqual([]);
		expect(rows).toEqual([
			{ date: "2017-01-03", open: 115.8, high: 116.33, low: 114.76, close: 116.15, adj_close: 111.84, volume: 28781865 },
			{ date: "2017-01-04", open: 115.85, high: 116.51, low: 115.75, close: 116.02, adj_close: 111.71, volume: 21118116 },
		]);
	});
});

describe("the provider's settings", () => {
	it("none: no connector", () => {
		expect(priceSource(settings({}), deps)).toBeNull();
	});

	it("refuse what cannot work, naming the setting", () => {
		expect(() => priceSource(settings({ PRICES_PROVIDER: "tiingo" }), deps)).toThrow("PRICES_PROVIDER is tiingo: set PRICES_API_KEY (Tiingo requires a key)");
		expect(() => priceSource(settings({ PRICES_PROVIDER: "custom" }), deps)).toThrow(/set PRICES_URL_TEMPLATE/);
		expect(() => priceSource(settings({ PRICES_PROVIDER: "custom", PRICES_URL_TEMPLATE: "http://x/{symbol}" }), deps)).toThrow(/names \{symbol\}/);
		expect(() => loadConfig({ NODE_ENV: "test", PRICES_PROVIDER: "yahoo" })).toThrow("Configuration: PRICES_PROVIDER must be tiingo or custom, got 'yahoo'");
	});

	it("take the provider's published limit unless told otherwise", () => {
		expect(priceSource(settings({ PRICES_PROVIDER: "tiingo", PRICES_API_KEY: "k" }), deps)!.limit).toEqual({ maxRequests: 50, windowSeconds: 3600 });
		expect(
			priceSource(settings({ PRICES_PROVIDER: "custom", PRICES_URL_TEMPLATE: "http://x/{ticker}", PRICES_MAX_REQUESTS: "5", PRICES_WINDOW_SECONDS: "1" }), deps)!.limit,
		).toEqual({
			maxRequests: 5,
			windowSeconds: 1,
		});
	});
});
