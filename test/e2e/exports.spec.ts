/**
 * Lists as files (issue 25, exports): `?format=csv|xlsx` or an Accept header on a list read gives the same rows
 * as the JSON, with the same filters and scoping; the CSV parses back to them (a formula neutralised), the XLSX,
 * read with the same library, has typed cells; an answer that is not a list is a 406.
 */
import ExcelJS from "exceljs";
import { annualStatement } from "../helpers/fixtures";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";
import { tableOf } from "../../domains/presentation/table";

let platform: Platform;
let admin: string;
let viewer: string;
let co: { id: string };

/** RFC 4180 back into rows (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let field = "";
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') {
				field += '"';
				i++;
			} else if (c === '"') quoted = false;
			else field += c;
		} else if (c === '"') quoted = true;
		else if (c === ",") {
			row.push(field);
			field = "";
		} else if (c === "\r" && text[i + 1] === "\n") {
			row.push(field);
			rows.push(row);
			row = [];
			field = "";
			i++;
		} else field += c;
	}
	return rows;
}

async function fetchFile(path: string, token: string, accept?: string) {
	const res = await fetch(`${platform.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) } });
	return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
	platform = await startPlatform();
	admin = await platform.login("admin", ADMIN_PASSWORD);
	viewer = (await platform.createUser(admin, { username: "export-viewer", role: "viewer", domains: ["healthcare"] })).token;
	co = (await platform.request("POST", "/companies", { token: admin, body: { name: 'Acme, "the" Works', industry: "manufacturing", ticker: "ACME", country: "US" } })).body;
	await platform.request("POST", "/companies", { token: admin, body: { name: '=HYPERLINK("http://evil.example","x")', industry: "manufacturing" } });
	await platform.request("POST", `/companies/${co.id}/statements`, { token: admin, body: annualStatement("2023-12-31") });
	await platform.request("POST", `/companies/${co.id}/statements`, { token: admin, body: annualStatement("2022-12-31", { revenue: 900 }) });
});
afterAll(() => platform.stop());

describe("exports of lists", () => {
	it("give the JSON page's rows as RFC 4180 CSV, a formula neutralised, by ?format or Accept", async () => {
		const json = (await platform.request("GET", "/companies?industry=manufacturing&sort=name", { token: admin })).body.rows;
		const file = await fetchFile("/companies?industry=manufacturing&sort=name&format=csv", admin);
		expect(file.status).toBe(200);
		expect(file.headers.get("content-type")).toBe("text/csv; charset=utf-8");
		expect(file.headers.get("content-disposition")).toBe('attachment; filename="companies-list.csv"');
		const [header, ...rows] = parseCsv(file.body.toString("utf8"));
		const expected = tableOf(json);
		expect(header).toEqual(expected.columns);
		expect(rows).toEqual(expected.rows.map(r => r.map(c => (c == null ? "" : typeof c === "string" && /^[=+\-@]/.test(c) ? `'${c}` : String(c)))));
		const names = rows.map(r => r[header.indexOf("name")]);
		expect(names).toContain('Acme, "the" Works');
		expect(names).toContain(`'=HYPERLINK("http://evil.example","x")`);
		// the same through the Accept header
		expect((await fetchFile("/companies?industry=manufacturing&sort=name", admin, "text/csv")).body.equals(file.body)).toBe(true);
	});

	it("give an XLSX workbook with typed cells: numbers, dates, percentages, a frozen bold header", async () => {
		const file = await fetchFile(`/companies/${co.id}/statements?format=xlsx&sort=period_end`, admin);
		expect(file.status).toBe(200);
		expect(file.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
		const workbook = new ExcelJS.Workbook();
		await workbook.xlsx.load(file.body as never);
		const sheet = workbook.worksheets[0];
		const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
		expect(sheet.getRow(1).font?.bold).toBe(true);
		expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
		const cell = (row: number, column: string) => sheet.getRow(row).getCell(header.indexOf(column) + 1);
		expect(cell(2, "period_end").value).toEqual(new Date("2022-12-31T00:00:00Z"));
		expect(cell(2, "period_end").numFmt).toBe("yyyy-mm-dd");
		expect(cell(2, "income_statement.revenue").value).toBe(900);
		const json = (await platform.request("GET", `/companies/${co.id}/statements?sort=period_end`, { token: admin })).body.rows;
		expect(cell(3, "income_statement.revenue").value).toBe(json[1].income_statement.revenue);
		expect(cell(2, "created_at").value).toBeInstanceOf(Date);
		// a fraction reads as a percentage: the overview's net margin
		const overviews = await fetchFile(`/overviews?company_ids=${co.id}&format=xlsx`, admin);
		const book = new ExcelJS.Workbook();
		await book.xlsx.load(overviews.body as never);
		const s = book.worksheets[0];
		const cols = (s.getRow(1).values as unknown[]).slice(1) as string[];
		const margin = s.getRow(2).getCell(cols.indexOf("analysis.ratios.net_margin") + 1);
		expect(typeof margin.value).toBe("number");
		expect(margin.numFmt).toBe("0.00%");
	});

	it("give a history as one row per period, a column per line item or ratio, and a company's KPIs as rows", async () => {
		const json = (await platform.request("GET", `/companies/${co.id}/ratios/history?ratios=profitability.net_margin,liquidity.current_ratio`, { token: admin })).body;
		const [header, ...rows] = parseCsv(
			(await fetchFile(`/companies/${co.id}/ratios/history?ratios=profitability.net_margin,liquidity.current_ratio&format=csv`, admin)).body.toString("utf8"),
		);
		expect(header).toEqual(["period_end", "statement_type", "fiscal_period", "profitability.net_margin", "liquidity.current_ratio"]);
		expect(rows).toEqual(
			json.ratios["profitability.net_margin"].map((p: { period_end: string; statement_type: string; fiscal_period: string; value: number }, i: number) => [
				p.period_end,
				p.statement_type,
				p.fiscal_period,
				String(p.value),
				String(json.ratios["liquidity.current_ratio"][i].value),
			]),
		);
		const items = parseCsv((await fetchFile(`/companies/${co.id}/statements/history?items=revenue,net_income&format=csv`, admin)).body.toString("utf8"));
		expect(items[0]).toEqual(["period_end", "statement_type", "fiscal_period", "revenue", "net_income"]);
		expect(items.length).toBe(3);
		const kpis = (await platform.request("GET", `/companies/${co.id}/kpis`, { token: admin })).body.kpis;
		const kpiRows = parseCsv((await fetchFile(`/companies/${co.id}/kpis?format=csv`, admin)).body.toString("utf8"));
		expect(kpiRows.slice(1).map(r => r[kpiRows[0].indexOf("name")])).toEqual(kpis.map((k: { name: string }) => k.name));
	});

	it("keep the caller's scope: a viewer of another domain exports none of these companies", async () => {
		const file = await fetchFile("/companies?format=csv", viewer);
		expect(file.status).toBe(200);
		expect(parseCsv(file.body.toString("utf8"))).toEqual([[""]]);
	});

	it("are in the OpenAPI document: a format parameter and the file types on table reads only", async () => {
		const doc = (await platform.request("GET", "/openapi.json")).body;
		const formatOf = (path: string) => doc.paths[`/api/v1${path}`].get.parameters?.find((p: { name: string }) => p.name === "format");
		for (const path of ["/companies", "/companies/{id}/kpis", "/companies/{id}/ratios/history", "/overviews"]) {
			expect(formatOf(path)).toMatchObject({ in: "query", schema: { enum: ["json", "csv", "xlsx"] } });
			expect(Object.keys(doc.paths[`/api/v1${path}`].get.responses["200"].content)).toEqual(
				expect.arrayContaining(["application/json", "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]),
			);
		}
		expect(formatOf("/companies/{id}")).toBeUndefined();
	});

	it("answer 406 for what is not a list, and for a format there is none of", async () => {
		const one = await platform.request("GET", `/companies/${co.id}?format=csv`, { token: admin });
		expect(one.status).toBe(406);
		expect(one.body.message).toBe("This answer is not a table: it comes as JSON only (CSV and XLSX are for lists, KPIs and histories)");
		const pdf = await platform.request("GET", "/companies?format=pdf", { token: admin });
		expect(pdf.status).toBe(406);
		expect(pdf.body.message).toBe("format: csv, xlsx or json");
		// JSON stays the default, and format=json says so
		expect((await platform.request("GET", "/companies?format=json", { token: admin })).body.rows.length).toBeGreaterThan(0);
	});
});
