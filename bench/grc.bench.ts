/**
 * Issue 11: KPIs, compliance rules and automatic risk for 1,000 companies, in process (the domain functions
 * the services call), with the rate of each and of the three together; the analysis they read is computed
 * beforehand and timed apart, as the services read it from finance's cache.
 */
import { regulation, type RuleRequirement } from "../domains/compliance/catalogue";
import { evaluateRegulation } from "../domains/compliance/evaluation";
import { analyze, type Analysis } from "../domains/finance/analysis";
import { evaluateKpis, type KpiResult } from "../domains/industries/module";
import { industryModule } from "../domains/industries/registry";
import { assessAutomatic, AUTOMATIC_RISK_TYPES } from "../domains/risk/scoring";
import { syntheticStatements } from "../test/helpers/fixtures";
import { annualStatement } from "../test/helpers/fixtures";
import { ADMIN_PASSWORD, json, machine, save, startPlatformProcess } from "./harness";

const COMPANIES = 1000;
const ROUNDS = 5;

function bankMetrics(i: number): Record<string, number> {
	const rwa = 1000 + (i % 97) * 10;
	return {
		cet1_capital: rwa * (0.03 + (i % 13) * 0.005),
		tier1_capital: rwa * (0.05 + (i % 13) * 0.005),
		total_capital: rwa * (0.07 + (i % 13) * 0.005),
		risk_weighted_assets: rwa,
		leverage_exposure: rwa * 2.5,
		hqla: 100 + (i % 40),
		net_cash_outflows_30d: 110,
		available_stable_funding: 100 + (i % 30),
		required_stable_funding: 110,
		gross_loans: 800,
		non_performing_loans: 10 + (i % 50),
		loan_loss_reserves: 20,
		operating_expenses: 55 + (i % 20),
		operating_revenue: 100,
	};
}

/** Best of ROUNDS runs of `fn` over every company, in ms. */
function time(fn: (i: number) => void): number {
	let best = Infinity;
	for (let r = 0; r < ROUNDS; r++) {
		const started = performance.now();
		for (let i = 0; i < COMPANIES; i++) fn(i);
		best = Math.min(best, performance.now() - started);
	}
	return best;
}

/** Runs `fn` over 0..n−1 with at most `limit` in flight; the elapsed ms. */
async function timed(n: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<number> {
	const started = performance.now();
	let next = 0;
	await Promise.all(
		Array.from({ length: limit }, async () => {
			while (next < n) await fn(next++);
		}),
	);
	return performance.now() - started;
}

/** The same through the services: HTTP to the gateway of one platform process, records and assessments stored. */
async function throughServices(): Promise<Array<readonly [string, number]>> {
	const platform = await startPlatformProcess({ RATE_LIMIT_PREMIUM: "100000000" });
	try {
		const api = `${platform.url}/api/v1`;
		const auth = { authorization: `Bearer ${(await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD })).token}` };
		const ids: string[] = [];
		await timed(COMPANIES, 16, async i => {
			const co = await json("POST", `${api}/companies`, { name: `GRC Bank ${i}`, industry: "financial_services" }, auth);
			await json("POST", `${api}/companies/${co.id}/operational-metrics`, { period_end: "2024-12-31", metrics: bankMetrics(i) }, auth);
			await json("POST", `${api}/companies/${co.id}/statements`, annualStatement("2024-12-31"), auth);
			ids[i] = co.id;
		});
		const evaluateMs = await timed(COMPANIES, 16, i => json("POST", `${api}/companies/${ids[i]}/compliance/evaluate`, { regulation_type: "basel_iii" }, auth));
		const riskMs = await timed(COMPANIES, 16, i => json("POST", `${api}/companies/${ids[i]}/risk-assessments/auto`, undefined, auth));
		return [
			["through the services: Basel III record evaluated and stored (KPIs computed, cached after)", evaluateMs],
			["through the services: 4 automatic risk assessments scored and stored", riskMs],
		] as const;
	} finally {
		await platform.stop();
	}
}

async function main() {
	const statements = syntheticStatements(COMPANIES, 5);
	const bank = industryModule("financial_services")!;
	const basel = regulation("basel_iii")!;
	const metrics = Array.from({ length: COMPANIES }, (_, i) => bankMetrics(i));
	const analyses: Analysis[] = [];
	const analysisMs = time(i => (analyses[i] = analyze({ company_id: `c${i}`, industry: "financial_services", statements: statements[i] })!));
	const kpis: KpiResult[][] = [];
	const kpiMs = time(i => (kpis[i] = evaluateKpis(bank, { metrics: metrics[i], period_days: 365, finance: {} })));
	const figuresOf = (i: number) => (rule: RuleRequirement) => {
		const kpi = "kpi" in rule.figure ? kpis[i].find(k => k.name === (rule.figure as { kpi: string }).kpi) : undefined;
		return kpi ? { value: kpi.value, period_end: "2024-12-31", formula: kpi.formula, inputs: kpi.inputs } : undefined;
	};
	const now = new Date();
	const rulesMs = time(i => evaluateRegulation(basel, figuresOf(i), {}, now));
	const riskMs = time(i => AUTOMATIC_RISK_TYPES.forEach(t => assessAutomatic(t, analyses[i])));
	const allMs = time(i => {
		const k = evaluateKpis(bank, { metrics: metrics[i], period_days: 365, finance: {} });
		kpis[i] = k;
		evaluateRegulation(basel, figuresOf(i), {}, now);
		for (const t of AUTOMATIC_RISK_TYPES) assessAutomatic(t, analyses[i]);
	});
	const rate = (ms: number) => Math.round((COMPANIES / ms) * 1000);
	const rows = [
		["analysis (read by risk; finance's, cached by the services)", analysisMs],
		["KPIs (10 per bank)", kpiMs],
		["Basel III rules (6 rules + 1 attestation)", rulesMs],
		["automatic risk (4 assessments)", riskMs],
		["KPIs + rules + risk together", allMs],
		...(await throughServices()),
	] as const;
	console.log(`\n${machine()}; ${COMPANIES} companies; in process: best of ${ROUNDS} rounds; through the services: 16 at a time over HTTP, one process\n`);
	console.log("| step | ms for 1,000 companies | companies/s |\n|---|---:|---:|");
	for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(1)} | ${rate(ms).toLocaleString("en-US")} |`);
	save("grc", { machine: machine(), companies: COMPANIES, rows: rows.map(([name, ms]) => ({ name, ms, per_sec: rate(ms) })) });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
