/**
 * The web app (/app) in a real headless browser (Debian's chromium through playwright-core) against a started
 * platform with real data (Tesla's imported 10-K figures): sign in, the portfolio, the Tesla page with its
 * Altman z′ and a drawn trend chart, the heat map opening its risk, the deploy button by role, the not-found
 * page for a viewer of another domain; nothing fetched from another origin, no console error, no WCAG 2.1 AA
 * violation axe-core finds (contrast, names, roles, keyboard reachability). Screenshots of
 * each view are written to a temporary folder (its path is printed) for a person to look at.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { syntheticCsv } from "../helpers/fixtures";
import { ADMIN_PASSWORD, finishedJob, reviewedTesla, startPlatform, type Platform } from "../helpers/platform";

const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const { buildWeb } = require("../../bin/build-web.js") as { buildWeb(outDir: string): Promise<Record<string, number>> };

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(f => fs.existsSync(f));
const missing = CHROMIUM ? null : "chromium is not installed (Debian package chromium; .ci/run installs it)";
if (missing && process.env.CI) throw new Error(`the web app browser test cannot run in CI: ${missing}`);
if (missing) console.warn(`\n!!!!!!!! SKIPPING the web app browser test: ${missing} (it runs, and must pass, in CI) !!!!!!!!\n`);
const describeBrowser = missing ? describe.skip : describe;

jest.setTimeout(90_000);

const SHOTS = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-web-screenshots-"));
const password = (username: string) => `${username}-password-123`;

describeBrowser("the web app in a browser", () => {
	let platform: Platform;
	let browser: Browser;
	let tesla: { id: string };
	let modelId: string;

	beforeAll(async () => {
		const webDir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-web-"));
		await buildWeb(webDir);
		platform = await startPlatform({ env: { WEB_DIR: webDir } });
		const admin = await platform.login("admin", ADMIN_PASSWORD);
		const analyst = (await platform.createUser(admin, { username: "web-analyst", role: "analyst", domains: ["manufacturing"] })).token;
		const mfgAdmin = (await platform.createUser(admin, { username: "web-admin", role: "domain_admin", domains: ["manufacturing"] })).token;
		await platform.createUser(admin, { username: "web-tech-viewer", role: "viewer", domains: ["technology"] });

		tesla = await reviewedTesla(platform, admin);
		const risk = await platform.request("POST", `/companies/${tesla.id}/risk-assessments`, {
			token: analyst,
			body: { risk_type: "operational", title: "Battery cell supply", likelihood: 4, impact: 3 },
		});
		expect(risk.status).toBe(201);

		const ds = await platform.request("POST", "/ml/datasets", {
			token: mfgAdmin,
			body: { name: "web-synthetic", format: "csv", label: "distress", content: syntheticCsv(), domain: "manufacturing" },
		});
		const model = await platform.request("POST", "/ml/models", {
			token: mfgAdmin,
			body: {
				name: "web-lr",
				domain: "manufacturing",
				model_type: "logistic_regression",
				configuration: { min_input_coverage: 0.6 },
			},
		});
		modelId = model.body.id;
		const job = await platform.request("POST", `/ml/models/${modelId}/train`, { token: mfgAdmin, body: { dataset_id: ds.body.id } });
		expect((await finishedJob(platform, mfgAdmin, job.body.id)).state).toBe("succeeded");

		browser = await chromium.launch({
			executablePath: CHROMIUM,
			args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
		});
		console.log(`web app screenshots: ${SHOTS}`);
	}, 180_000);
	afterAll(async () => {
		await browser?.close();
		await platform?.stop();
	});

	/**
	 * WCAG 2.1 A and AA violations on the page as it is (axe-core, evaluated through the browser's debugging
	 * protocol, so the page's content security policy stays as served), as "rule: the first offending element".
	 */
	async function accessibilityViolations(page: Page): Promise<string[]> {
		await page.evaluate(AXE);
		const violations = (await page.evaluate(
			`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }).then(r => r.violations.map(v => v.id + ": " + v.nodes[0].html.slice(0, 120)))`,
		)) as string[];
		return violations;
	}

	/** A page signed in as `username`, recording console errors, failed requests and requests to other origins. */
	async function signedIn(username: string): Promise<{ page: Page; problems: string[]; foreign: string[] }> {
		const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
		const problems: string[] = [];
		const foreign: string[] = [];
		page.on("pageerror", err => problems.push(`page error: ${err.message}`));
		// a failed request is logged by the browser too: it is counted once, by the response listener below
		page.on("console", msg => msg.type() === "error" && !/^Failed to load resource/.test(msg.text()) && problems.push(`console: ${msg.text()}`));
		// a 404 is a page's answer (not found) only where the test expects one; any other failed request is a problem
		page.on("response", res => res.status() >= 400 && problems.push(`${res.status()} ${res.url().replace(platform.url, "")}`));
		page.on("request", req => !req.url().startsWith(platform.url) && !req.url().startsWith("data:") && foreign.push(req.url()));
		await page.goto(`${platform.url}/`);
		await page.getByLabel("Username").fill(username);
		await page.getByLabel("Password").fill(username === "admin" ? ADMIN_PASSWORD : password(username));
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("heading", { name: "Portfolio" }).waitFor();
		return { page, problems, foreign };
	}

	it("signs an analyst in; the portfolio, Tesla's page with its scores and charts, its statements and its heat map", async () => {
		const { page, problems, foreign } = await signedIn("web-analyst");
		expect(page.url()).toBe(`${platform.url}/app/`);
		const row = page.getByRole("table", { name: "Companies" }).getByRole("row").filter({ hasText: "Tesla, Inc." });
		await row.waitFor();
		await expect(row.textContent()).resolves.toMatch(/grey/);
		await page.screenshot({ path: path.join(SHOTS, "portfolio.png"), fullPage: true });
		expect(await accessibilityViolations(page)).toEqual([]);

		await row.getByRole("link", { name: "Tesla, Inc." }).click();
		await page.getByRole("heading", { name: "Tesla, Inc." }).waitFor();
		expect(page.url()).toBe(`${platform.url}/app/companies/${tesla.id}`);
		const altman = page.locator('[data-score="altman"]');
		await expect(altman.textContent()).resolves.toMatch(/z′/);
		expect(await altman.locator(".value").textContent()).toBe("1.70");
		await expect(altman.textContent()).resolves.toMatch(/grey/);
		await page.getByText("(2021-12-31, annual)").waitFor();
		// a trend chart drawn: uPlot's canvas with a size
		const canvas = page.locator("figure.chart canvas").first();
		await canvas.waitFor();
		expect(await canvas.evaluate(c => (c as unknown as { width: number }).width)).toBeGreaterThan(100);
		await page.getByText(/Against \d+ peers of manufacturing/).waitFor();
		await page.screenshot({ path: path.join(SHOTS, "company.png"), fullPage: true });
		expect(await accessibilityViolations(page)).toEqual([]);

		// a report made by a reports node and saved by the browser, with the token the page holds
		const saved = page.waitForEvent("download", { timeout: 60_000 });
		await page.getByRole("region", { name: "Reports of Tesla, Inc." }).getByRole("button", { name: "PDF report" }).click();
		const download = await saved;
		expect(download.suggestedFilename()).toMatch(/^tesla-inc-\d{4}-\d{2}-\d{2}\.pdf$/);
		const pdf = fs.readFileSync((await download.path())!);
		expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
		await page
			.getByRole("status")
			.filter({ hasText: `Saved ${download.suggestedFilename()}` })
			.waitFor();
		// the reports the analyst may read, the file downloaded again from there
		await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
		const made = page.getByRole("table", { name: "Reports" }).getByRole("row").filter({ hasText: "company (PDF)" });
		await made.first().waitFor();
		expect(await accessibilityViolations(page)).toEqual([]);
		const again = page.waitForEvent("download", { timeout: 30_000 });
		await made
			.first()
			.getByRole("button", { name: /Download/ })
			.click();
		expect((await again).suggestedFilename()).toBe(download.suggestedFilename());
		await page.goBack();
		await page.getByRole("heading", { name: "Tesla, Inc." }).waitFor();

		await page.getByRole("link", { name: "Statements" }).click();
		await page.getByRole("table", { name: "balance sheet" }).waitFor();
		await page.screenshot({ path: path.join(SHOTS, "statements.png"), fullPage: true });
		expect(await accessibilityViolations(page)).toEqual([]);

		await page.getByRole("link", { name: "Risk" }).click();
		const cell = page.getByRole("button", { name: /likelihood .*: 1 risk/ });
		await cell.first().click();
		await page.getByRole("region", { name: "Risks of the cell" }).getByText("Battery cell supply").waitFor();
		await page.getByText("Automatic assessments").waitFor();
		await page.screenshot({ path: path.join(SHOTS, "risk.png"), fullPage: true });
		expect(await accessibilityViolations(page)).toEqual([]);

		await page.getByRole("link", { name: "Compliance" }).click();
		await page
			.getByRole("table", { name: /requirements/ })
			.first()
			.waitFor();
		await page.screenshot({ path: path.join(SHOTS, "compliance.png"), fullPage: true });
		expect(await accessibilityViolations(page)).toEqual([]);
		await page.getByRole("link", { name: "Plans" }).click();
		await page.getByText("Strengths").first().waitFor();
		await page.screenshot({ path: path.join(SHOTS, "plans.png"), fullPage: true });
		expect(await accessibilityViolations(page)).toEqual([]);

		// a deep link loads as is
		await page.goto(`${platform.url}/app/companies/${tesla.id}/risk`);
		await page.getByRole("grid", { name: "Risk heat map" }).waitFor();
		expect(foreign).toEqual([]);
		expect(problems).toEqual([]);
	});

	it("shows an analyst no deploy button; a domain_admin sees the version's curves, deploys, and sees the alias move", async () => {
		const analyst = await signedIn("web-analyst");
		await analyst.page.goto(`${platform.url}/app/ml/models/${modelId}`);
		await analyst.page.getByRole("table", { name: "Versions" }).waitFor();
		expect(await analyst.page.getByRole("button", { name: "Deploy to production" }).count()).toBe(0);

		const { page, problems, foreign } = await signedIn("web-admin");
		await page.getByRole("link", { name: "Models" }).click();
		await page.getByRole("link", { name: "web-lr" }).click();
		await page.getByRole("table", { name: "Versions" }).waitFor();
		expect(await page.locator('[data-alias="production"]').textContent()).toBe("none");
		// the version's hold-out curves, drawn
		await page.getByText("ROC, version 1").waitFor();
		await page.getByText("Precision-recall, version 1").waitFor();
		expect(await page.locator("figure.chart canvas").count()).toBe(2);
		page.once("dialog", dialog => void dialog.accept("Passed its gates; reviewed"));
		await page.getByRole("button", { name: "Deploy to production" }).click();
		await page.locator('[data-alias="production"]', { hasText: "1" }).waitFor();
		await page.getByText(/deploy production: none → 1 by web-admin — Passed its gates; reviewed/).waitFor();
		await page.screenshot({ path: path.join(SHOTS, "ml-model.png"), fullPage: true });
		expect(await accessibilityViolations(page)).toEqual([]);
		expect(foreign).toEqual([]);
		expect(problems).toEqual([]);
	});

	it("shows a viewer of another domain the not-found page for Tesla, no Operations, and the API's message for a refused filter", async () => {
		const { page, problems } = await signedIn("web-tech-viewer");
		expect(await page.getByRole("link", { name: "Operations" }).count()).toBe(0);
		await page.goto(`${platform.url}/app/companies/${tesla.id}`);
		await page.getByRole("heading", { name: "Not found" }).waitFor();
		await page.screenshot({ path: path.join(SHOTS, "not-found.png") });
		// a refused filter is shown with the API's own message
		await page.goto(`${platform.url}/app/`);
		await page.getByLabel("Country").fill("1");
		await page.getByRole("button", { name: "Filter" }).click();
		await page.getByRole("alert").filter({ hasText: "Not accepted: country: an ISO 3166-1 alpha-2 code (e.g. US)" }).waitFor();
		// the API's 404 for Tesla (the page's answer) and its 422 for the filter are the only failed requests
		expect(problems.map(p => p.replace(/\?.*/, ""))).toEqual([`404 /api/v1/companies/${tesla.id}`, "422 /api/v1/companies"]);
	});

	it("shows a super_admin the operations view, and the audit chain verifies", async () => {
		const { page, problems, foreign } = await signedIn("admin");
		await page.getByRole("link", { name: "Operations" }).click();
		// the one node of this platform, running every service
		await page.getByRole("table", { name: "Nodes" }).getByText("integration").waitFor();
		await page.getByRole("button", { name: "Verify the chain" }).click();
		await page.getByRole("status").filter({ hasText: "The chain holds" }).waitFor();
		await page.screenshot({ path: path.join(SHOTS, "operations.png"), fullPage: true });
		expect(await accessibilityViolations(page)).toEqual([]);
		// signing out ends the session: a reload shows the sign-in form
		await Promise.all([page.waitForResponse(res => res.url().endsWith("/api/v1/auth/logout")), page.getByRole("button", { name: "Sign out" }).click()]);
		await page.reload();
		await page.getByRole("button", { name: "Sign in" }).waitFor();
		expect(foreign).toEqual([]);
		expect(problems).toEqual([]);
	});

	it("serves index.html uncached with a strict policy at every app path, and its hashed assets for good", async () => {
		const deep = await fetch(`${platform.url}/app/companies/anything`);
		expect(deep.status).toBe(200);
		expect(deep.headers.get("cache-control")).toBe("no-cache");
		expect(deep.headers.get("content-security-policy")).toMatch(/default-src 'none'; script-src 'self'/);
		const html = await deep.text();
		const script = /src="(\/app\/assets\/app-[0-9a-f]{12}\.js)"/.exec(html)![1];
		const asset = await fetch(`${platform.url}${script}`);
		expect(asset.status).toBe(200);
		expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
		expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
		expect((await fetch(`${platform.url}/app/assets/app-000000000000.js`)).status).toBe(404);
		// a path that climbs out of the assets is an app path (index.html), never a file from elsewhere
		const climbing = await fetch(`${platform.url}/app/assets/..%2F..%2F..%2Fpackage.json`);
		expect(await climbing.text()).toContain('<div id="app">');
		expect((await fetch(`${platform.url}/app/`, { method: "POST" })).status).toBe(405);
	});
});

describeBrowser("the web app's session", () => {
	it("refreshes the access token before it expires, so a page open past its lifetime keeps working", async () => {
		const webDir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-web-session-"));
		await buildWeb(webDir);
		// an 8-second access token: the app refreshes it after 5 s (its floor), before it expires
		const platform = await startPlatform({ env: { WEB_DIR: webDir, JWT_EXPIRATION: "8" } });
		const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
		try {
			const page = await browser.newPage();
			const failures: string[] = [];
			page.on("response", res => res.status() >= 400 && failures.push(`${res.status()} ${res.url()}`));
			await page.goto(`${platform.url}/app/`);
			await page.getByLabel("Username").fill("admin");
			await page.getByLabel("Password").fill(ADMIN_PASSWORD);
			await page.getByRole("button", { name: "Sign in" }).click();
			await page.getByRole("heading", { name: "Portfolio" }).waitFor();
			const signedInAt = Date.now();
			// two refreshes: the second with the token the first gave
			for (let i = 0; i < 2; i++) expect((await page.waitForResponse(res => res.url().endsWith("/api/v1/auth/refresh"), { timeout: 10_000 })).status()).toBe(200);
			expect(Date.now() - signedInAt).toBeGreaterThan(8_000);
			// past the first token's lifetime, the app still reads as the user
			await page.getByRole("link", { name: "Models" }).click();
			await page.getByRole("heading", { name: "Models" }).waitFor();
			expect(failures).toEqual([]);
		} finally {
			await browser.close();
			await platform.stop();
		}
	}, 60_000);
});
