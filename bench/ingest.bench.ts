/**
 * `npm run bench:ingest` (issue 23): companies per minute through `POST /companies/from-sec` against a local SEC
 * serving recorded answers, on the platform as `npm start` runs it (one process, embedded store, SEC's default
 * rate of 8 requests per second). The goal is the SEC rate, not the platform: each new company takes three
 * requests (the ticker map, revalidated; submissions; companyfacts), so the rate allows 8 × 60 / 3 = 160 a
 * minute. The load filers are Marvell's recorded answers under other CIKs and tickers (test/helpers/fake-sec.ts
 * `alias`): 1.3 MB of companyfacts, 22 annual and quarterly periods each.
 */
import { startFakeSec } from "../test/helpers/fake-sec";
import { ADMIN_PASSWORD, json, machine, save, startPlatformProcess } from "./harness";

const COMPANIES = Number(process.env.COMPANIES ?? 120);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const RATE = 8;

async function main() {
	const sec = await startFakeSec();
	const MARVELL = 1835632;
	for (let i = 0; i < COMPANIES; i++) sec.alias(9_100_000 + i, `LOAD${i}`, MARVELL);
	const platform = await startPlatformProcess({
		SEC_USER_AGENT: "bizops-bench ops@example.com",
		SEC_DATA_BASE_URL: sec.url,
		SEC_FILES_BASE_URL: sec.url,
		SEC_REQUESTS_PER_SECOND: String(RATE),
		RATE_LIMIT_DEFAULT: "1000000",
		RATE_LIMIT_PREMIUM: "1000000",
	});
	try {
		const api = `${platform.url}/api/v1`;
		const { token } = await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD });
		const headers = { authorization: `Bearer ${token}` };
		const latencies: number[] = [];
		let next = 0;
		let failed = 0;
		let periods = 0;
		const started = Date.now();
		await Promise.all(
			Array.from({ length: CONCURRENCY }, async () => {
				while (next < COMPANIES) {
					const i = next++;
					const t = Date.now();
					try {
						const answer = await json("POST", `${api}/companies/from-sec`, { ticker: `LOAD${i}` }, headers);
						periods += answer.import.periods.length;
					} catch (err) {
						failed++;
						console.error((err as Error).message.slice(0, 300));
					}
					latencies.push(Date.now() - t);
				}
			}),
		);
		const seconds = (Date.now() - started) / 1000;
		const perMinute = ((COMPANIES - failed) / seconds) * 60;
		const bound = (RATE * 60) / 3;
		latencies.sort((a, b) => a - b);
		const result = {
			machine: machine(),
			companies: COMPANIES,
			failed,
			periods_imported: periods,
			seconds: Math.round(seconds * 10) / 10,
			companies_per_minute: Math.round(perMinute),
			sec_rate_bound_per_minute: bound,
			vs_sec_rate_bound: Math.round((perMinute / bound) * 100) / 100,
			sec_requests: sec.requests.length,
			sec_max_requests_in_any_second: sec.maxWithin(1000),
			latency_p50_ms: latencies[Math.floor(latencies.length / 2)],
			latency_p99_ms: latencies[Math.floor(latencies.length * 0.99)],
		};
		console.log(JSON.stringify(result, null, 2));
		save("ingest", result);
	} finally {
		await platform.stop();
		await sec.close();
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
