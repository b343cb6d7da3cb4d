/**
 * Issue 27, item 3: company reviews per second on the platform as `npm start` runs it (one process, embedded store,
 * the default ML model off as in the other benches). For N companies, one annual statement each is posted 8 at a
 * time; a review is done when the company's overview shows its workflow succeeded (analysis, the four automatic risk
 * assessments, compliance, the SWOT draft, every step audited and folded). Rate = N / the time from the first post to
 * the last review done. Run at two sizes, to see whether it holds as the store grows.
 */
import { annualStatement } from "../test/helpers/fixtures";
import { ADMIN_PASSWORD, json, machine, save, startPlatformProcess } from "./harness";

const SIZES = [60, 300];
const CONCURRENCY = 8;
const INDUSTRIES = ["technology", "manufacturing", "healthcare", "financial_services"];

async function reviews(n: number) {
	const platform = await startPlatformProcess({ RATE_LIMIT_PREMIUM: "100000000" });
	try {
		const api = `${platform.url}/api/v1`;
		const { token } = await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD });
		const headers = { authorization: `Bearer ${token}` };
		const ids: string[] = [];
		for (let i = 0; i < n; i++) ids.push((await json("POST", `${api}/companies`, { name: `Review Co ${i}`, industry: INDUSTRIES[i % INDUSTRIES.length] }, headers)).id);
		const started = performance.now();
		let next = 0;
		await Promise.all(
			Array.from({ length: CONCURRENCY }, async () => {
				while (next < n) await json("POST", `${api}/companies/${ids[next++]}/statements`, annualStatement("2023-12-31"), headers);
			}),
		);
		const posted = performance.now();
		// the review runs are counted with one cheap call a poll (reading N overviews every 100 ms would load the
		// platform more than the reviews do); then their overviews are awaited
		const total = async (state: string) => (await json("GET", `${api}/workflows?state=${state}&page_size=1`, undefined, headers)).total as number;
		while ((await total("succeeded")) + (await total("failed")) < n) {
			if (performance.now() - started > 600_000) throw new Error(`not all ${n} reviews ran after 10 minutes`);
			await new Promise(r => setTimeout(r, 100));
		}
		const done = new Set<string>();
		let failed = 0;
		while (done.size + failed < n) {
			failed = 0;
			for (let i = 0; i < ids.length; i += 100) {
				const chunk = ids.slice(i, i + 100).filter(id => !done.has(id));
				if (!chunk.length) continue;
				const { rows } = await json("GET", `${api}/overviews?company_ids=${chunk.join(",")}`, undefined, headers);
				for (const o of rows as Array<{ company_id: string; workflow: { state: string } | null }>) {
					if (o.workflow?.state === "succeeded") done.add(o.company_id);
					else if (o.workflow?.state === "failed") failed++;
				}
			}
			if (performance.now() - started > 600_000) throw new Error(`only ${done.size} of ${n} reviews done after 10 minutes`);
			if (done.size + failed < n) await new Promise(r => setTimeout(r, 100));
		}
		const seconds = (performance.now() - started) / 1000;
		return {
			companies: n,
			posted_s: Math.round(((posted - started) / 1000) * 10) / 10,
			done_s: Math.round(seconds * 10) / 10,
			reviews_per_sec: Math.round((done.size / seconds) * 10) / 10,
			failed,
		};
	} finally {
		await platform.stop();
	}
}

async function main() {
	console.log(`bench:review on ${machine()}`);
	const rows = [];
	for (const n of SIZES) rows.push(await reviews(n));
	console.log("| companies | statements posted in s | all reviews done in s | reviews/s | failed |\n|---:|---:|---:|---:|---:|");
	for (const r of rows) console.log(`| ${r.companies} | ${r.posted_s} | ${r.done_s} | ${r.reviews_per_sec} | ${r.failed} |`);
	save("review", { machine: machine(), concurrency: CONCURRENCY, rows });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
