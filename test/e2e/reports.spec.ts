/**
 * Reports (issue 25, docs/reports.md), on the embedded platform with Tesla's real 10-K figures: a company report
 * as a PDF that poppler reads back (the company's name, its Altman value, a filing's accession number) and
 * renders page by page; the same report as an XLSX with typed cells; a portfolio report that lists what moved
 * since the last one; scoping (a viewer of another domain neither lists nor downloads it); schedules that fire
 * and stop; retention that removes a report and its file.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, eventually, reviewedTesla, startPlatform, type Platform } from "../helpers/platform";
import { formatCell } from "../../domains/reports/document";

const POPPLER = spawnSync("pdftotext", ["-v"]).status === 0 && spawnSync("pdftoppm", ["-v"]).status === 0;
if (!POPPLER && process.env.CI) throw new Error("pdftotext and pdftoppm (Debian's poppler-utils) are needed: .ci/run installs them");
if (!POPPLER) console.warn("\n\n*** reports.spec: poppler-utils (pdftotext, pdftoppm) not installed: the PDF checks are SKIPPED ***\n\n");
const itWithPoppler = POPPLER ? it : it.skip;

let platform: Platform;
let admin: string;
let analyst: string;
let mfgViewer: string;
let techViewer: string;
let tesla: { id: string };

async function download(id: string, token: string) {
	const res = await fetch(`${platform.url}/api/v1/reports/${id}/file`, { headers: { authorization: `Bearer ${token}` } });
	return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Requests a report and waits until it is done (succeeded or failed). */
async function report(token: string, body: object) {
	const queued = await platform.request("POST", "/reports", { token, body });
	expect(queued.status).toBe(202);
	expect(queued.headers.get("location")).toBe(`/api/v1/reports/${queued.body.id}`);
	return eventually(
		`report ${queued.body.id}`,
		async () => (await platform.request("GET", `/reports/${queued.body.id}`, { token })).body,
		r => r.state === "succeeded" || r.state === "failed",
		600,
		50,
	);
}

function pdfText(pdf: Buffer): string {
	const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-report-")), "r.pdf");
	fs.writeFileSync(file, pdf);
	return execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
}

/** Every page rendered by pdftoppm: how many, each a PNG; pdftoppm says nothing on stderr. */
function renderPages(pdf: Buffer): number {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-pages-"));
	const file = path.join(dir, "r.pdf");
	fs.writeFileSync(file, pdf);
	const run = spawnSync("pdftoppm", ["-r", "40", "-png", file, path.join(dir, "page")], { encoding: "utf8" });
	expect(run.status).toBe(0);
	expect(run.stderr).toBe("");
	const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [file], { encoding: "utf8" }))![1]);
	const images = fs.readdirSync(dir).filter(f => f.endsWith(".png"));
	expect(images).toHaveLength(pages);
	for (const image of images) expect(fs.readFileSync(path.join(dir, image)).subarray(1, 4).toString()).toBe("PNG");
	return pages;
}

beforeAll(async () => {
	platform = await startPlatform({ env: { ML_DEFAULT_MODEL: "false" } });
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "report-analyst", role: "analyst", domains: ["manufacturing"] })).token;
	mfgViewer = (await platform.createUser(admin, { username: "report-mfg-viewer", role: "viewer", domains: ["manufacturing"] })).token;
	techViewer = (await platform.createUser(admin, { username: "report-tech-viewer", role: "viewer", domains: ["technology"] })).token;
	tesla = await reviewedTesla(platform, admin);
	expect(
		(
			await platform.request("POST", `/companies/${tesla.id}/risk-assessments`, {
				token: analyst,
				body: { risk_type: "operational", title: "Battery cell supply", likelihood: 4, impact: 3 },
			})
		).status,
	).toBe(201);
}, 120_000);
afterAll(() => platform.stop());

describe("company report", () => {
	let pdfReport: { id: string; file: { sha256: string; size: number; filename: string } };

	itWithPoppler("is a PDF with the company's name, its Altman value and its filings' accession numbers, every page rendering", async () => {
		pdfReport = await report(analyst, { kind: "company", company_id: tesla.id, format: "pdf" });
		expect(pdfReport).toMatchObject({ state: "succeeded", progress: 1, kind: "company", company_id: tesla.id, domains: ["manufacturing"], attempts: 1 });
		const file = await download(pdfReport.id, analyst);
		expect(file.status).toBe(200);
		expect(file.headers.get("content-type")).toBe("application/pdf");
		expect(file.headers.get("content-disposition")).toBe(`attachment; filename="${pdfReport.file.filename}"`);
		expect(pdfReport.file.filename).toMatch(/^tesla-inc-\d{4}-\d{2}-\d{2}\.pdf$/);
		// content-addressed: the file is its SHA-256
		const sha256 = createHash("sha256").update(file.body).digest("hex");
		expect(pdfReport.file).toMatchObject({ sha256, size: file.body.length });
		expect(file.headers.get("etag")).toBe(`"${sha256}"`);

		const text = pdfText(file.body);
		expect(text).toContain("Tesla, Inc.");
		const analysis = (await platform.request("GET", `/companies/${tesla.id}/analysis`, { token: analyst })).body;
		const altman = analysis.scores.altman;
		expect(text).toContain(`Altman Z (${altman.primary})`);
		expect(text).toContain(formatCell(altman[altman.primary], "number"));
		const statements = (await platform.request("GET", `/companies/${tesla.id}/statements?sort=-period_end&statement_type=annual&page_size=1`, { token: analyst })).body.rows;
		const accession: string = statements[0].source.accession[0];
		expect(accession).toMatch(/^\d{10}-\d{2}-\d{6}$/);
		expect(text).toContain(accession);
		// the manual risk, the platform's version, a formula's citation
		expect(text).toContain("Battery cell supply");
		expect(text).toMatch(/bizops \d+\.\d+\.\d+/);
		expect(text).toContain("Altman (1968)");
		expect(renderPages(file.body)).toBeGreaterThanOrEqual(3);
	});

	it("is an XLSX workbook whose cells are typed: numbers, percentages, dates", async () => {
		const done = await report(analyst, { kind: "company", company_id: tesla.id, format: "xlsx" });
		expect(done.state).toBe("succeeded");
		const file = await download(done.id, analyst);
		expect(file.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
		const workbook = new ExcelJS.Workbook();
		await workbook.xlsx.load(file.body as unknown as ArrayBuffer);
		const names = workbook.worksheets.map(s => s.name);
		expect(names).toEqual(expect.arrayContaining(["Cover", "Altman z_prime its drivers", "Statements", "Margins", "Formulas"]));
		const scores = workbook.worksheets.find(s => s.name.startsWith("Scores at "))!;
		expect(scores.getRow(1).font?.bold).toBe(true);
		expect(scores.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
		const analysis = (await platform.request("GET", `/companies/${tesla.id}/analysis`, { token: analyst })).body;
		const altman = scores.getRow(2);
		expect(String(altman.getCell(1).value)).toContain("Altman Z");
		expect(altman.getCell(2).value).toBeCloseTo(analysis.scores.altman[analysis.scores.altman.primary], 10);
		// a chart's data as a table of fractions shown as percentages
		const margins = workbook.getWorksheet("Margins")!;
		expect(margins.getRow(1).values).toEqual([undefined, "period", "gross_margin", "operating_margin", "net_margin"]);
		const lastMargin = margins.getRow(margins.rowCount).getCell(4);
		expect(typeof lastMargin.value).toBe("number");
		expect(lastMargin.numFmt).toBe("0.0%");
		// the filings: dates as dates, accession numbers as text
		const statements = workbook.getWorksheet("Statements")!;
		expect(statements.getRow(2).getCell(1).value).toBeInstanceOf(Date);
		expect(String(statements.getRow(2).getCell(7).value)).toMatch(/^\d{10}-\d{2}-\d{6}/);
	});

	it("is refused to a viewer of another domain (404, not listed) and given to a viewer of its own", async () => {
		const done = await report(analyst, { kind: "company", company_id: tesla.id, format: "xlsx" });
		expect((await platform.request("GET", `/reports/${done.id}`, { token: techViewer })).status).toBe(404);
		expect((await download(done.id, techViewer)).status).toBe(404);
		expect((await platform.request("GET", "/reports", { token: techViewer })).body.rows).toEqual([]);
		// a report of a company the caller does not see is not made either
		expect((await platform.request("POST", "/reports", { token: techViewer, body: { kind: "company", company_id: tesla.id } })).status).toBe(403);
		const ownDomain = await download(done.id, mfgViewer);
		expect(ownDomain.status).toBe(200);
		expect(createHash("sha256").update(ownDomain.body).digest("hex")).toBe(done.file.sha256);
		const listed = (await platform.request("GET", `/reports?company_id=${tesla.id}`, { token: mfgViewer })).body;
		expect(listed.rows.map((r: { id: string }) => r.id)).toContain(done.id);
		expect(listed.rows.every((r: { domains: string[] }) => r.domains.every(d => d === "manufacturing"))).toBe(true);
		// a viewer deletes nobody's report; its requester does
		expect((await platform.request("DELETE", `/reports/${done.id}`, { token: mfgViewer })).status).toBe(403);
		expect((await platform.request("DELETE", `/reports/${done.id}`, { token: analyst })).status).toBe(200);
		expect((await platform.request("GET", `/reports/${done.id}`, { token: analyst })).status).toBe(404);
	});

	it("names what is wrong with a request", async () => {
		const refused = async (body: object) => (await platform.request("POST", "/reports", { token: analyst, body })).body;
		expect((await refused({ kind: "company" })).message).toMatch(/company_id: required/);
		expect((await refused({ kind: "portfolio", company_id: tesla.id })).message).toMatch(/company_id: only for a company report/);
		expect((await refused({ kind: "portfolio", scope: { industry: "retail" } })).message).toMatch(/scope.industry: one of/);
		expect((await refused({ kind: "portfolio", scope: { company_ids: [tesla.id, "nope"] } })).message).toMatch(/scope.company_ids: no company nope/);
		expect((await platform.request("POST", "/reports", { token: analyst, body: { kind: "company", company_id: tesla.id, format: "docx" } })).status).toBe(422);
		expect((await platform.request("POST", "/reports", { token: analyst, body: { kind: "company", company_id: "missing" } })).status).toBe(404);
		expect((await platform.request("POST", "/reports", { token: mfgViewer, body: { kind: "company", company_id: tesla.id } })).status).toBe(403);
	});
});

describe("portfolio report", () => {
	itWithPoppler("lists the companies in scope with zone, risk and compliance, and what moved since the last report", async () => {
		const first = await report(analyst, { kind: "portfolio", scope: { industry: "manufacturing" }, format: "pdf" });
		expect(first.state).toBe("succeeded");
		const text = pdfText((await download(first.id, analyst)).body);
		expect(text).toContain("Tesla, Inc.");
		expect(text).toContain("The first report of this scope");
		const tsla = (await platform.request("GET", `/companies/${tesla.id}/overview`, { token: analyst })).body;
		expect(text).toContain(tsla.analysis.altman.zone);
		expect(text).toContain(tsla.risk.level);

		const newcomer = (await platform.request("POST", "/companies", { token: admin, body: { name: "Newcomer Works", industry: "manufacturing" } })).body;
		await platform.request("POST", `/companies/${newcomer.id}/statements`, { token: admin, body: annualStatement("2023-12-31") });
		const second = await report(analyst, { kind: "portfolio", scope: { industry: "manufacturing" }, format: "xlsx" });
		const workbook = new ExcelJS.Workbook();
		await workbook.xlsx.load((await download(second.id, analyst)).body as unknown as ArrayBuffer);
		const changes = workbook.worksheets.find(s => s.name.startsWith("Changes since"))!;
		expect(changes).toBeDefined();
		const moves = Array.from({ length: changes.rowCount - 1 }, (_, i) => [1, 2, 3, 4].map(c => changes.getRow(i + 2).getCell(c).value));
		expect(moves).toContainEqual(["Newcomer Works", "scope", null, "in"]);
		const companies = workbook.getWorksheet("Companies in scope")!;
		expect(companies.rowCount).toBe(3);
		const zones = workbook.getWorksheet("Altman zones")!;
		// the distribution counts every company once
		const counted = (zones.getSheetValues().slice(2) as unknown[][]).reduce((n, r) => n + Number(r[2]), 0);
		expect(counted).toBe(2);
	});
});

describe("schedules", () => {
	it("fire at their cron times with the owner's scope, list their runs, and stop when deleted", async () => {
		const bad = await platform.request("POST", "/report-schedules", { token: analyst, body: { name: "x", kind: "company", company_id: tesla.id, cron: "not a cron" } });
		expect(bad.status).toBe(422);
		expect(bad.body.message).toMatch(/^cron: /);
		const created = await platform.request("POST", "/report-schedules", {
			token: analyst,
			body: { name: "Every second", kind: "company", company_id: tesla.id, format: "xlsx", cron: "* * * * * *" },
		});
		expect(created.status).toBe(201);
		expect(created.body).toMatchObject({ name: "Every second", enabled: true, domains: ["manufacturing"] });
		expect(Date.parse(created.body.next_run)).toBeGreaterThan(Date.now() - 1000);
		const withRuns = await eventually(
			"two runs of the schedule",
			async () => (await platform.request("GET", `/report-schedules/${created.body.id}`, { token: analyst })).body,
			s => s.runs?.filter((r: { state: string }) => r.state === "succeeded").length >= 2,
			400,
			50,
		);
		const firings = withRuns.runs.map((r: { fired_at: string }) => r.fired_at);
		expect(new Set(firings).size).toBe(firings.length);
		expect(withRuns.runs[0]).toMatchObject({ schedule_id: created.body.id, created_by: "report-analyst", kind: "company" });
		expect((await platform.request("GET", "/report-schedules", { token: techViewer })).body.rows).toEqual([]);
		expect((await platform.request("DELETE", `/report-schedules/${created.body.id}`, { token: analyst })).status).toBe(200);
		// its timer is gone: no firing after the deletion
		const reports = platform.broker.getLocalService("reports") as unknown as { crons: Map<string, unknown> };
		expect(reports.crons.has(created.body.id)).toBe(false);
		expect((await platform.request("GET", `/report-schedules/${created.body.id}`, { token: analyst })).status).toBe(404);
	});
});

describe("a schedule's owner", () => {
	it("is read at each firing: once the owner no longer sees the company, the runs fail saying why", async () => {
		const owner = await platform.createUser(admin, { username: "schedule-owner", role: "analyst", domains: ["manufacturing"] });
		const created = await platform.request("POST", "/report-schedules", {
			token: owner.token,
			body: { name: "Tesla each second", kind: "company", company_id: tesla.id, format: "xlsx", cron: "* * * * * *" },
		});
		expect(created.status).toBe(201);
		await eventually(
			"a run as the owner",
			async () => (await platform.request("GET", `/report-schedules/${created.body.id}`, { token: admin })).body.runs ?? [],
			runs => runs.some((r: { state: string }) => r.state === "succeeded"),
			400,
			50,
		);
		expect((await platform.request("PATCH", `/users/${owner.id}`, { token: admin, body: { domains: ["technology"] } })).status).toBe(200);
		const failed = await eventually(
			"a run refused",
			async () => (await platform.request("GET", `/report-schedules/${created.body.id}`, { token: admin })).body.runs ?? [],
			runs => runs.some((r: { state: string }) => r.state === "failed"),
			400,
			50,
		);
		expect(failed.find((r: { state: string }) => r.state === "failed").error).toMatch(/^not run: Company not found/);
		expect((await platform.request("DELETE", `/report-schedules/${created.body.id}`, { token: admin })).status).toBe(200);
	});
});

describe("the queue", () => {
	it("takes at most REPORTS_MAX_ACTIVE_PER_USER reports of one user queued or running: a 429 beyond, others unaffected", async () => {
		// a node that renders nothing (REPORTS_CONCURRENCY=0): what is requested stays queued
		const paused = await startPlatform({
			env: { ML_DEFAULT_MODEL: "false", REPORTS_CONCURRENCY: "0", REPORTS_MAX_ACTIVE_PER_USER: "2" },
			services: ["api", "auth", "companies", "flags", "finance", "domains", "risk", "compliance", "strategy", "overview", "audit", "reports"],
		});
		try {
			const token = await paused.login("admin", ADMIN_PASSWORD);
			const other = (await paused.createUser(token, { username: "queue-other", role: "analyst", domains: ["technology"] })).token;
			const co = (await paused.request("POST", "/companies", { token, body: { name: "Queued Co", industry: "technology" } })).body;
			const ask = (t: string) => paused.request("POST", "/reports", { token: t, body: { kind: "company", company_id: co.id, format: "xlsx" } });
			expect((await ask(token)).status).toBe(202);
			expect((await ask(token)).status).toBe(202);
			const refused = await ask(token);
			expect(refused.status).toBe(429);
			expect(refused.body.message).toMatch(/You have 2 reports queued or being made: at most 2 at once/);
			expect((await ask(other)).status).toBe(202);
		} finally {
			await paused.stop();
		}
	});
});

describe("retention", () => {
	it("removes a report past its retention, and its file", async () => {
		const short = await startPlatform({
			env: { ML_DEFAULT_MODEL: "false", REPORTS_RETENTION_DAYS: "0.00002" },
			services: ["api", "auth", "companies", "flags", "finance", "domains", "risk", "compliance", "strategy", "overview", "audit", "reports"],
		});
		try {
			const token = await short.login("admin", ADMIN_PASSWORD);
			const co = (await short.request("POST", "/companies", { token, body: { name: "Short Lived", industry: "technology" } })).body;
			const queued = (await short.request("POST", "/reports", { token, body: { kind: "company", company_id: co.id, format: "xlsx" } })).body;
			const done = await eventually(
				"the report",
				async () => (await short.request("GET", `/reports/${queued.id}`, { token })).body,
				r => r.state === "succeeded",
				400,
				50,
			);
			const blob = path.join(short.dataDir, "blobs", done.file.sha256);
			expect(fs.existsSync(blob)).toBe(true);
			await eventually(
				"its expiry",
				async () => Date.now(),
				now => now > Date.parse(done.expires_at),
				200,
				50,
			);
			const reports = short.broker.getLocalService("reports") as unknown as { sweep(): Promise<number> };
			expect(await reports.sweep()).toBe(1);
			expect((await short.request("GET", `/reports/${queued.id}`, { token })).status).toBe(404);
			expect(fs.existsSync(blob)).toBe(false);
		} finally {
			await short.stop();
		}
	});
});
