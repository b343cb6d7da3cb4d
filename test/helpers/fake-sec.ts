/**
 * A local SEC EDGAR for the connector's tests: serves the recorded answers of data/sec-edgar/ (and the
 * companyfacts of data/sec-companyfacts/) at the paths SEC uses, with ETags, and on request answers as SEC does
 * when it is unhappy (its 403 threshold page, a 429, an HTML page with a 200, a 500). It records when each
 * request came and with which User-Agent, so a test can count requests per second.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const DATA = path.resolve(__dirname, "../../data");

export type FakeSecMode = "normal" | "threshold403" | "too_many_429" | "html200" | "error500" | "huge200";

export interface FakeSec {
	url: string;
	/** Every request: when (ms), its path and User-Agent, and whether it revalidated. */
	requests: Array<{ at: number; path: string; userAgent: string | undefined; conditional: boolean }>;
	mode: FakeSecMode;
	/** Requests answered per mode before going back to normal (Infinity: until changed). */
	modeCount: number;
	/** ms each answer is held back (to let concurrent importers overlap). */
	delayMs: number;
	/** The most requests seen in any window of `ms`. */
	maxWithin(ms: number): number;
	/**
	 * Serves a recorded filer's answers under another CIK and ticker as well (its name suffixed), for load: the
	 * platform's work per company is the same, and no more recorded filers are needed.
	 */
	alias(cik: number, ticker: string, recordedCik: number): void;
	close(): Promise<void>;
}

function fileOf(urlPath: string): string | null {
	if (urlPath === "/files/company_tickers.json") return path.join(DATA, "sec-edgar/company_tickers.json");
	const submissions = /^\/submissions\/(CIK\d{10})\.json$/.exec(urlPath);
	if (submissions) return path.join(DATA, "sec-edgar/submissions", `${submissions[1]}.json`);
	const facts = /^\/api\/xbrl\/companyfacts\/(CIK\d{10})\.json$/.exec(urlPath);
	// the companyfacts shipped for the file-upload tests (Tesla, Snowflake, Logistic Properties of the Americas) are SEC's too
	const shipped: Record<string, string> = { CIK0001318605: "tesla.json", CIK0001640147: "snowflake.json", CIK0001997711: "logistic-properties-americas.json" };
	if (facts) return shipped[facts[1]] ? path.join(DATA, "sec-companyfacts", shipped[facts[1]]) : path.join(DATA, "sec-edgar/companyfacts", `${facts[1]}.json`);
	return null;
}

export async function startFakeSec(): Promise<FakeSec> {
	const fake: FakeSec = {
		url: "",
		requests: [],
		mode: "normal",
		modeCount: Infinity,
		delayMs: 0,
		maxWithin(ms: number) {
			const times = this.requests.map(r => r.at).sort((a, b) => a - b);
			let best = 0;
			for (let i = 0, j = 0; i < times.length; i++) {
				while (times[i] - times[j] >= ms) j++;
				best = Math.max(best, i - j + 1);
			}
			return best;
		},
		close: () => new Promise(resolve => server.close(() => resolve())),
		alias(cik, ticker, recordedCik) {
			aliases.set(cik, { ticker, recordedCik });
			answers.clear();
		},
	};
	const aliases = new Map<number, { ticker: string; recordedCik: number }>();
	const answers = new Map<string, Buffer>();
	const padded = (cik: number) => `CIK${String(cik).padStart(10, "0")}`;
	/** The body at a path: a recorded file, or an alias's made from its recorded filer's (kept once made). */
	const bodyOf = (urlPath: string): Buffer | null => {
		const made = answers.get(urlPath);
		if (made) return made;
		let body: Buffer | null;
		if (urlPath === "/files/company_tickers.json" && aliases.size) {
			const doc = JSON.parse(fs.readFileSync(fileOf(urlPath)!, "utf8"));
			let i = Object.keys(doc).length;
			for (const [cik, a] of aliases) doc[String(i++)] = { cik_str: cik, ticker: a.ticker, title: `${a.ticker} (load)` };
			body = Buffer.from(JSON.stringify(doc));
		} else {
			const cik = Number(/CIK(\d{10})\.json$/.exec(urlPath)?.[1]);
			const alias = aliases.get(cik);
			if (alias) {
				const recorded = fileOf(urlPath.replace(padded(cik), padded(alias.recordedCik)));
				if (!recorded || !fs.existsSync(recorded)) return null;
				const doc = JSON.parse(fs.readFileSync(recorded, "utf8"));
				doc.cik = urlPath.startsWith("/submissions/") ? String(cik) : cik;
				if (urlPath.startsWith("/submissions/")) Object.assign(doc, { name: `${doc.name} (${alias.ticker})`, tickers: [alias.ticker] });
				else doc.entityName = `${doc.entityName} (${alias.ticker})`;
				body = Buffer.from(JSON.stringify(doc));
			} else {
				const file = fileOf(urlPath);
				body = file && fs.existsSync(file) ? fs.readFileSync(file) : null;
			}
		}
		if (body) answers.set(urlPath, body);
		return body;
	};
	const server = http.createServer(async (req, res) => {
		const urlPath = (req.url ?? "/").split("?")[0];
		const conditional = req.headers["if-none-match"] != null;
		fake.requests.push({ at: Date.now(), path: urlPath, userAgent: req.headers["user-agent"], conditional });
		if (fake.delayMs) await new Promise(r => setTimeout(r, fake.delayMs));
		if (fake.mode !== "normal") {
			const mode = fake.mode;
			if (--fake.modeCount <= 0) fake.mode = "normal";
			if (mode === "threshold403") {
				res.writeHead(403, { "content-type": "text/html" });
				return res.end(fs.readFileSync(path.join(DATA, "sec-edgar/fixtures/rate-exceeded-403.html")));
			}
			if (mode === "too_many_429") {
				res.writeHead(429, { "content-type": "text/plain" });
				return res.end("Too Many Requests");
			}
			if (mode === "huge200") {
				// an answer announcing 60 MB: a client that reads it all would hold it
				res.writeHead(200, { "content-type": "application/json", "content-length": String(60 * 1024 * 1024) });
				return res.end('{"cik": 1, "facts": {');
			}
			if (mode === "html200") {
				res.writeHead(200, { "content-type": "text/html" });
				return res.end("<!DOCTYPE html><html><body>Your request could not be completed.</body></html>");
			}
			res.writeHead(500, { "content-type": "text/plain" });
			return res.end("Internal Server Error");
		}
		const body = bodyOf(urlPath);
		if (!body) {
			// SEC's own 404: S3's NoSuchKey
			res.writeHead(404, { "content-type": "application/xml" });
			return res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
		}
		const etag = `"${crypto.createHash("sha1").update(body).digest("hex")}"`;
		if (req.headers["if-none-match"] === etag) {
			res.writeHead(304, { etag });
			return res.end();
		}
		res.writeHead(200, { "content-type": "application/json", etag });
		res.end(body);
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", () => resolve()));
	fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
	return fake;
}
