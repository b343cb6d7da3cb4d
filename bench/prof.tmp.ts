import { ADMIN_PASSWORD, json, run, startPlatformProcess } from "./harness";
async function main() {
	const platform = await startPlatformProcess({ RATE_LIMIT_DEFAULT: "100000000", METRICS_ENABLED: "true", NODE_OPTIONS: "--cpu-prof --cpu-prof-dir=/tmp/prof" });
	try {
		const api = `${platform.url}/api/v1`;
		const admin = (await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token;
		await json("POST", `${api}/users`, { username: "bench", password: "bench-password-123", role: "analyst", domains: ["technology"] }, { authorization: `Bearer ${admin}` });
		const token = (await json("POST", `${api}/auth/login`, { username: "bench", password: "bench-password-123" })).token;
		const auth = { authorization: `Bearer ${token}` };
		const company = await json("POST", `${api}/companies`, { name: "Bench Corp", industry: "technology", ticker: "BNCH", country: "US", currency: "USD" }, auth);
		await run("warm-up", `${api}/companies/${company.id}`, { headers: auth, duration: 5 });
		const r = await run("company", `${api}/companies/${company.id}`, { headers: auth });
		console.log(r.requests_per_sec, r.latency_p99_ms);
	} finally {
		await platform.stop();
	}
}
main();
