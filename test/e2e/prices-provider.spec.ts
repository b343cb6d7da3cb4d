/**
 * The daily price connector against a local Tiingo (test/helpers/fake-prices.ts): a company's prices by its
 * ticker, the same rows as the file, the key in Tiingo's header; incremental fetches from the day after the
 * last price, the whole history again after a dividend; the provider's rate held and its pause kept; what a
 * refused key, an HTML page and a misconfiguration give; and the scheduled refresh.
 */
import { APPLE_ROWS, startFakePrices, type FakePrices } from "../helpers/fake-prices";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";

const KEY = "tiingo-test-key-0123456789";
let fake: FakePrices;

beforeAll(async () => {
	fake = await startFakePrices();
});
afterAll(() => fake.close());

const providerEnv = (extra: Record<string, string> = {}) => ({ PRICES_PROVIDER: "tiingo", PRICES_BASE_URL: fake.url, PRICES_API_KEY: KEY, ...extra });
const between = (from: string, to: string) => APPLE_ROWS.filter(r => r.date >= from && r.date <= to);

describe("fetching a company's prices from Tiingo", () => {
	let platform: Platform;
	let token: string;
	let apple: { id: string };

	beforeAll(async () => {
		platform = await startPlatform({ env: providerEnv() });
		token = await platform.login("admin", ADMIN_PASSWORD);
		apple = (await platform.request("POST", "/companies", { token, body: { name: "Apple Inc.", ticker: "AAPL", industry: "manufacturing" } })).body;
	});
	afterAll(() => platform.stop());

	it("stores the ticker's rows for the range, as the file has them, with the key in Tiingo's header", async () => {
		const res = await platform.request("POST", `/companies/${apple.id}/prices/fetch`, { token, body: { from: "2017-01-01", to: "2017-12-31" } });
		expect(res.status).toBe(200);
		const year = between("2017-01-01", "2017-12-31");
		expect(res.body).toMatchObject({
			provider: "tiingo",
			ticker: "AAPL",
			requested: { from: "2017-01-01", to: "2017-12-31" },
			history_refetched: false,
			rows: year.length,
			from: year[0].date,
			to: year[year.length - 1].date,
			created: year.length,
		});
		const last = fake.requests[fake.requests.length - 1];
		expect(last.path).toBe("/tiingo/daily/AAPL/prices");
		expect(last.authorization).toBe(`Token ${KEY}`);
		expect(last.query.get("startDate")).toBe("2017-01-01");
		const stored = (await platform.request("GET", `/companies/${apple.id}/prices?from=2017-01-01&to=2017-12-31`, { token })).body.rows;
		expect(stored.map((r: { date: string; close: number; volume: number }) => [r.date, r.close, r.volume])).toEqual(year.map(r => [r.date, r.close, r.volume]));
		expect((await platform.request("GET", "/integration/prices/status", { token })).body).toMatchObject({
			enabled: true,
			provider: "tiingo",
			paused_until: null,
			max_requests: 50,
			window_seconds: 3600,
		});
	});

	it("goes on from the day after the last price; a dividend among the new rows fetches the whole history again", async () => {
		fake.dividends.set("2018-01-10", 0.63);
		const before = fake.requests.length;
		const res = await platform.request("POST", `/companies/${apple.id}/prices/fetch`, { token, body: {} });
		expect(res.status).toBe(200);
		const asked = fake.requests.slice(before).map(r => r.query.get("startDate"));
		// the day after 29 December 2017, then, for the dividend, from the first price held
		expect(asked).toEqual(["2017-12-30", "2017-01-03"]);
		const added = between("2018-01-01", "9999");
		expect(res.body).toMatchObject({ history_refetched: true, created: added.length, unchanged: between("2017-01-01", "2017-12-31").length });
		// nothing new since: nothing stored, one request
		const again = await platform.request("POST", `/companies/${apple.id}/prices/fetch`, { token, body: {} });
		expect(again.body).toMatchObject({ rows: 0, created: 0, from: null, requested: { from: "2018-02-08" } });
	});

	it("answers what is wrong: no ticker, a ticker the provider does not have, dates the wrong way round", async () => {
		const plain = (await platform.request("POST", "/companies", { token, body: { name: "No Ticker Ltd", industry: "technology" } })).body;
		const none = await platform.request("POST", `/companies/${plain.id}/prices/fetch`, { token, body: {} });
		expect(none.status).toBe(422);
		expect(none.body.message).toBe("The company 'No Ticker Ltd' has no ticker: set one to fetch its prices");
		const unknown = (await platform.request("POST", "/companies", { token, body: { name: "Unlisted", ticker: "ZZZZ", industry: "technology" } })).body;
		const missing = await platform.request("POST", `/companies/${unknown.id}/prices/fetch`, { token, body: {} });
		expect(missing.status).toBe(404);
		expect(missing.body.message).toMatch(/Tiingo has no prices of ZZZZ/);
		const backwards = await platform.request("POST", `/companies/${apple.id}/prices/fetch`, { token, body: { from: "2018-01-01", to: "2017-01-01" } });
		expect(backwards.status).toBe(422);
	});

	it("keeps to the caller's rights: a viewer may not fetch", async () => {
		const viewer = await platform.createUser(token, { username: "price-viewer", role: "viewer", domains: ["manufacturing"] });
		const res = await platform.request("POST", `/companies/${apple.id}/prices/fetch`, { token: viewer.token, body: {} });
		expect(res.status).toBe(403);
	});
});

describe("the provider's rules", () => {
	let platform: Platform;
	let token: string;
	const ids: string[] = [];

	beforeAll(async () => {
		// two requests in two seconds, so the test sees the limit hold and a pause end quickly
		platform = await startPlatform({ env: providerEnv({ PRICES_MAX_REQUESTS: "2", PRICES_WINDOW_SECONDS: "2", PRICES_RETRIES: "0" }) });
		token = await platform.login("admin", ADMIN_PASSWORD);
		for (let i = 0; i < 4; i++) {
			fake.tickers.add(`AAP${i}`);
			ids.push((await platform.request("POST", "/companies", { token, body: { name: `Load ${i}`, ticker: `AAP${i}`, industry: "technology" } })).body.id);
		}
	});
	afterAll(() => platform.stop());

	it("holds the provider's rate however many fetches run at once", async () => {
		fake.requests.length = 0;
		const answers = await Promise.all(ids.map(id => platform.request("POST", `/companies/${id}/prices/fetch`, { token, body: { from: "2018-01-01" } })));
		expect(answers.map(a => a.status)).toEqual(ids.map(() => 200));
		expect(fake.requests.length).toBe(4);
		expect(fake.maxPer(2000)).toBeLessThanOrEqual(2);
	});

	it("pauses all traffic to the provider when it says the allocation is used up, and says until when", async () => {
		fake.mode = "allocation200";
		const paused = await platform.request("POST", `/companies/${ids[0]}/prices/fetch`, { token, body: { from: "2017-01-01", to: "2017-01-31" } });
		fake.mode = "normal";
		expect(paused.status).toBe(503);
		expect(paused.body.message).toMatch(/^Tiingo traffic is paused until .*: Tiingo said the request rate was exceeded$/);
		const status = (await platform.request("GET", "/integration/prices/status", { token })).body;
		expect(Date.parse(status.paused_until)).toBeGreaterThan(Date.now() - 100);
		// while paused nothing goes out
		const sent = fake.requests.length;
		const still = await platform.request("POST", `/companies/${ids[1]}/prices/fetch`, { token, body: { from: "2017-01-01", to: "2017-01-31" } });
		expect(still.status).toBe(503);
		expect(fake.requests.length).toBe(sent);
		// and after the window it goes on
		await eventually(
			"the pause to end",
			async () => (await platform.request("GET", "/integration/prices/status", { token })).body.paused_until,
			until => until == null,
			200,
			50,
		);
		expect((await platform.request("POST", `/companies/${ids[1]}/prices/fetch`, { token, body: { from: "2017-01-01", to: "2017-01-31" } })).status).toBe(200);
	});

	it("names a refused key and an HTML page as the provider's failures (502), never the key itself", async () => {
		fake.mode = "bad_key401";
		const refused = await platform.request("POST", `/companies/${ids[2]}/prices/fetch`, { token, body: { from: "2017-02-01", to: "2017-02-28" } });
		fake.mode = "html200";
		const html = await platform.request("POST", `/companies/${ids[2]}/prices/fetch`, { token, body: { from: "2017-02-01", to: "2017-02-28" } });
		fake.mode = "normal";
		expect(refused.status).toBe(502);
		expect(refused.body.message).toBe("Tiingo answered 401 for prices of AAP2: it refused the API key (PRICES_API_KEY)");
		expect(html.status).toBe(502);
		expect(html.body.message).toBe("Tiingo answered prices of AAP2 with an HTML page, not prices");
		expect(JSON.stringify([refused.body, html.body])).not.toContain(KEY);
	});
});

describe("configuration", () => {
	it("a provider that needs a key and has none: the node refuses to start, naming the setting", async () => {
		await expect(startPlatform({ services: ["integration"], env: { PRICES_PROVIDER: "tiingo" } })).rejects.toThrow(
			"PRICES_PROVIDER is tiingo: set PRICES_API_KEY (Tiingo requires a key)",
		);
	});

	it("without a provider, a fetch is a 503 naming what to set", async () => {
		const platform = await startPlatform();
		try {
			const token = await platform.login("admin", ADMIN_PASSWORD);
			const co = (await platform.request("POST", "/companies", { token, body: { name: "Apple", ticker: "AAPL", industry: "manufacturing" } })).body;
			const res = await platform.request("POST", `/companies/${co.id}/prices/fetch`, { token, body: {} });
			expect(res.status).toBe(503);
			expect(res.body.message).toMatch(/set PRICES_PROVIDER/);
			expect((await platform.request("GET", "/integration/prices/status", { token })).body).toMatchObject({ enabled: false, provider: null });
		} finally {
			await platform.stop();
		}
	});
});

describe("the scheduled price refresh", () => {
	it("brings every company with a ticker up to date once per firing, and lists its runs apart from SEC's", async () => {
		const platform = await startPlatform({ env: providerEnv({ PRICES_REFRESH_CRON: "*/2 * * * * *" }) });
		try {
			const token = await platform.login("admin", ADMIN_PASSWORD);
			const co = (await platform.request("POST", "/companies", { token, body: { name: "Apple", ticker: "AAPL", industry: "manufacturing" } })).body;
			await platform.request("POST", "/companies", { token, body: { name: "No ticker", industry: "technology" } });
			const run = await eventually(
				"a finished price refresh",
				async () => (await platform.request("GET", "/integration/prices/refresh-runs", { token })).body.rows,
				(rows: Array<{ state: string; companies: number }>) => rows.some(r => r.state !== "running" && r.companies === 1),
				200,
				50,
			);
			expect(run.find((r: { state: string }) => r.state !== "running")).toMatchObject({ source: "prices", state: "succeeded", companies: 1, refreshed: 1, failed: 0 });
			// the first fetch reaches ten years back
			const tenYearsBack = new Date(Date.now() - 10 * 365.25 * 86_400_000).toISOString().slice(0, 10);
			const stored = (await platform.request("GET", `/companies/${co.id}/prices`, { token })).body.rows;
			expect(stored.length).toBe(between(tenYearsBack, "9999").length);
			expect((await platform.request("GET", "/integration/sec/refresh-runs", { token })).body.rows).toEqual([]);
		} finally {
			await platform.stop();
		}
	});
});
