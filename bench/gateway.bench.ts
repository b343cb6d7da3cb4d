/**
 * Issue 2: authenticated cached `GET /api/v1/companies/:id` and `GET /api/v1/health/live` through the
 * gateway, each beside a bare http server returning the same JSON, in the same run. The rate limiter
 * stays on; the bench client's limit is raised through RATE_LIMIT_DEFAULT.
 */
import { ADMIN_PASSWORD, json, machine, run, save, startBareServer, startPlatformProcess, table, type LoadResult } from "./harness";

async function main() {
	const platform = await startPlatformProcess({ RATE_LIMIT_DEFAULT: "100000000" });
	const results: LoadResult[] = [];
	const bare: Record<string, number> = {};
	try {
		const api = `${platform.url}/api/v1`;
		const admin = (await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token;
		await json("POST", `${api}/users`, { username: "bench", password: "bench-password-123", role: "analyst", domains: ["technology"] }, { authorization: `Bearer ${admin}` });
		const token = (await json("POST", `${api}/auth/login`, { username: "bench", password: "bench-password-123" })).token;
		const auth = { authorization: `Bearer ${token}` };
		const company = await json("POST", `${api}/companies`, { name: "Bench Corp", industry: "technology", ticker: "BNCH", country: "US", currency: "USD" }, auth);
		const companyBody = JSON.stringify(await json("GET", `${api}/companies/${company.id}`, undefined, auth));

		results.push(await run("GET /companies/:id (JWT, cached)", `${api}/companies/${company.id}`, { headers: auth }));
		results.push(await run("GET /health/live", `${api}/health/live`));

		for (const [name, body] of [["GET /companies/:id (JWT, cached)", companyBody], ["GET /health/live", JSON.stringify({ status: "ok" })]] as const) {
			const server = await startBareServer(body);
			try {
				const r = await run(`bare http (${name})`, server.url);
				bare[name] = r.requests_per_sec;
				results.push(r);
			} finally {
				await server.stop();
			}
		}
	} finally {
		await platform.stop();
	}
	console.log(`\n${machine()}; autocannon -c 50 -d 10 (after a 5 s warm-up)\n`);
	console.log(table(results, bare));
	save("gateway", { machine: machine(), results, bare });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
