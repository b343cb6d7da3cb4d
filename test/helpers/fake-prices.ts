/**
 * A local Tiingo end-of-day endpoint for the price connector's tests: `/tiingo/daily/:ticker/prices` answers a
 * ticker's daily prices from data/prices/AAPL.csv (every ticker the test names is served Apple's) in Tiingo's
 * CSV layout (`format=csv`), between `startDate` and `endDate`, with the dividends a test sets; and on request
 * answers as a provider does when it is unhappy (a 429, Tiingo's JSON about the hourly allocation with a 200,
 * a 401 for a key it refuses, an HTML page with a 200). It records each request's time, path, query and
 * Authorization header, so a test can count requests per window.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const CSV = fs.readFileSync(path.resolve(__dirname, "../../data/prices/AAPL.csv"), "utf8");

export type FakePricesMode = "normal" | "too_many_429" | "allocation200" | "bad_key401" | "html200";

export interface FakePrices {
	url: string;
	requests: Array<{ at: number; path: string; query: URLSearchParams; authorization: string | undefined }>;
	mode: FakePricesMode;
	/** Tickers served (Apple's prices); any other is Tiingo's 404. */
	tickers: Set<string>;
	/** Cash dividends by ex-date, in the `divCash` column. */
	dividends: Map<string, number>;
	/** The most requests seen in any window of `ms`. */
	maxPer(ms: number): number;
	close(): Promise<void>;
}

/** Apple's rows: date, open, high, low, close, volume. */
export const APPLE_ROWS = CSV.trim()
	.split("\n")
	.slice(1)
	.map(line => {
		const [date, open, high, low, close, volume] = line.split(",");
		return { date, open: +open, high: +high, low: +low, close: +close, volume: +volume };
	});

export async function startFakePrices(): Promise<FakePrices> {
	const fake: FakePrices = {
		url: "",
		requests: [],
		mode: "normal",
		tickers: new Set(["AAPL"]),
		dividends: new Map(),
		maxPer(ms) {
			const times = this.requests.map(r => r.at).sort((a, b) => a - b);
			let best = 0;
			for (let i = 0, j = 0; i < times.length; i++) {
				while (times[i] - times[j] >= ms) j++;
				best = Math.max(best, i - j + 1);
			}
			return best;
		},
		close: () => new Promise(resolve => server.close(() => resolve())),
	};
	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? "/", "http://localhost");
		fake.requests.push({ at: Date.now(), path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
		const json = (status: number, doc: unknown) => {
			res.writeHead(status, { "content-type": "application/json" });
			res.end(JSON.stringify(doc));
		};
		if (fake.mode === "too_many_429") return json(429, { detail: "Too many requests" });
		if (fake.mode === "allocation200")
			return json(200, {
				detail: "Error: You have run over your hourly request allocation. Please upgrade at https://api.tiingo.com/pricing to have your limits increased.",
			});
		if (fake.mode === "bad_key401") return json(401, { detail: "Invalid token." });
		if (fake.mode === "html200") {
			res.writeHead(200, { "content-type": "text/html" });
			return res.end("<!DOCTYPE html><html><body>Maintenance</body></html>");
		}
		const match = /^\/tiingo\/daily\/([^/]+)\/prices$/.exec(url.pathname);
		if (!match) return json(404, { detail: "Not found." });
		const ticker = decodeURIComponent(match[1]).toUpperCase();
		if (!fake.tickers.has(ticker)) return json(404, { detail: `Error: Ticker '${ticker.toLowerCase()}' not found` });
		const from = url.searchParams.get("startDate") ?? "0000";
		const to = url.searchParams.get("endDate") ?? "9999";
		const lines = ["date,close,high,low,open,volume,adjClose,adjHigh,adjLow,adjOpen,adjVolume,divCash,splitFactor"];
		for (const r of APPLE_ROWS)
			if (r.date >= from && r.date <= to)
				lines.push(
					[r.date, r.close, r.high, r.low, r.open, r.volume, r.close, r.high, r.low, r.open, r.volume, (fake.dividends.get(r.date) ?? 0).toFixed(2), "1.0"].join(","),
				);
		res.writeHead(200, { "content-type": "text/csv" });
		res.end(lines.join("\n") + "\n");
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", () => resolve()));
	fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
	return fake;
}
