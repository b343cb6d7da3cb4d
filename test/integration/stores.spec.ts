/**
 * The companies and finance services on a local broker, called as other services call them
 * (ctx.meta.user), with one suite run on both stores the db mixin offers: the embedded NeDB files and
 * MongoDB (CongoDB, started by the global setup).
 */
import fs from "fs";
import os from "os";
import { Readable } from "stream";
import path from "path";
import type { ServiceBroker } from "moleculer";
import type { Principal } from "../../domains/identity/rbac";
import { BlobIntegrityError, EncryptedBlobStore, FileBlobStore, GridFsBlobStore } from "../../lib/blob-store";
import { memoryKeyring } from "../helpers/keyring";
import { openMongoClients } from "../../lib/mongo-client";
import { startPlatform, type Platform } from "../helpers/platform";

const principal = (role: Principal["role"], domains: string[]): Principal => ({ id: `${role}-${domains.join("+")}`, username: role, role, domains, tier: "default", kind: "user" });
const superAdmin = principal("super_admin", ["*"]);
const techAnalyst = principal("analyst", ["technology"]);
const healthAdmin = principal("domain_admin", ["healthcare"]);

// The id format shows which store answered: NeDB's 16-character ids, MongoDB's ObjectIds.
const stores: Array<[string, () => Record<string, string>, RegExp]> = [
	["embedded NeDB", () => ({}), /^[A-Za-z0-9]{16}$/],
	["MongoDB (CongoDB)", () => ({ MONGO_URI: `${process.env.TEST_MONGO_URI}/bizops_${Date.now()}_${Math.floor(Math.random() * 1e6)}` }), /^[0-9a-f]{24}$/],
];

describe.each(stores)("companies on %s", (_name, env, idFormat) => {
	let platform: Platform;
	let broker: ServiceBroker;
	const call = (action: string, params: object, user: Principal | null, opts: { stream?: Readable } = {}) => broker.call(action, params, { meta: { user }, ...opts });
	/** The SEC import's body arrives as a stream, as the gateway passes it on. */
	const teslaStream = () => Readable.from([fs.readFileSync(path.resolve(__dirname, "../../data/sec-companyfacts/tesla.json"))]);

	beforeAll(async () => {
		platform = await startPlatform({ services: ["companies", "finance", "flags"], env: env() });
		broker = platform.broker;
	});
	afterAll(() => platform.stop());

	it("creates, reads, updates and deletes with string ids and ISO timestamps", async () => {
		const created: any = await call("companies.create", { name: "Store Co", industry: "technology", ticker: "STOR" }, techAnalyst);
		expect(created.id).toMatch(idFormat);
		expect(new Date(created.created_at).toISOString()).toBe(created.created_at);
		expect(await call("companies.get", { id: created.id }, techAnalyst)).toEqual(created);
		const updated: any = await call("companies.update", { id: created.id, name: "Store Co 2" }, techAnalyst);
		expect(updated).toMatchObject({ id: created.id, name: "Store Co 2", ticker: "STOR" });
		expect(updated.updated_at >= created.updated_at).toBe(true);
		await call("companies.remove", { id: created.id }, superAdmin);
		await expect(call("companies.get", { id: created.id }, superAdmin)).rejects.toMatchObject({ code: 404 });
	});

	it("scopes reads and writes by the caller's domains, also between services", async () => {
		const health: any = await call("companies.create", { name: "Clinic", industry: "healthcare" }, healthAdmin);
		await expect(call("companies.get", { id: health.id }, techAnalyst)).rejects.toMatchObject({ code: 404 });
		await expect(call("companies.update", { id: health.id, name: "x" }, techAnalyst)).rejects.toMatchObject({ code: 404 });
		const list: any = await call("companies.list", { page_size: 100 }, techAnalyst);
		expect(list.rows.find((c: { id: string }) => c.id === health.id)).toBeUndefined();
		await expect(call("companies.list", {}, null)).rejects.toMatchObject({ code: 401 });
		await expect(call("companies.remove", { id: health.id }, techAnalyst)).rejects.toMatchObject({ code: 403 });
	});

	it("pages, sorts and filters in the store", async () => {
		for (const [name, cik] of [
			["b-one", "1234"],
			["a-two", "1235"],
			["c-three", "1236"],
		])
			await call("companies.create", { name, industry: "manufacturing", cik }, superAdmin);
		const page: any = await call("companies.list", { industry: "manufacturing", sort: "-name", page: 1, page_size: 2 }, superAdmin);
		expect(page).toMatchObject({ total: 3, page: 1, page_size: 2, total_pages: 2 });
		expect(page.rows.map((c: { name: string }) => c.name)).toEqual(["c-three", "b-one"]);
		// a CIK is stored without leading zeros, so SEC's ten-digit form finds it too
		const byCik: any = await call("companies.list", { cik: "0000001234" }, superAdmin);
		expect(byCik.rows.map((c: { name: string }) => c.name)).toEqual(["b-one"]);
	});

	it("reports its store healthy for readiness", async () => {
		await expect(broker.call("companies.storeHealth")).resolves.toEqual({ status: "ok" });
	});

	describe("finance", () => {
		let companyId: string;
		const statement = (period_end: string, net_income: number) => ({
			statement_type: "annual",
			period_end,
			balance_sheet: { total_current_assets: 500, total_current_liabilities: 250, total_assets: 1500, total_liabilities: 700, total_equity: 800 },
			income_statement: { revenue: 2000, cost_of_revenue: 1200, operating_income: 400, net_income },
			cash_flow: { operating_cash_flow: 350, capital_expenditure: 150 },
		});

		beforeAll(async () => {
			companyId = ((await call("companies.create", { name: "Finance Store Co", industry: "technology", cik: "1318605" }, superAdmin)) as any).id;
		});

		it("keeps one statement per company, type and period; lists by range; replaces and deletes", async () => {
			const a: any = await call("finance.createStatement", { id: companyId, ...statement("2022-12-31", 100) }, techAnalyst);
			expect(a.id).toMatch(idFormat);
			await expect(call("finance.createStatement", { id: companyId, ...statement("2022-12-31", 100) }, techAnalyst)).rejects.toMatchObject({ code: 409 });
			await call("finance.createStatement", { id: companyId, ...statement("2023-12-31", 200) }, techAnalyst);
			const ranged: any = await call("finance.listStatements", { id: companyId, from: "2023-01-01" }, techAnalyst);
			expect(ranged.rows.map((s: { period_end: string }) => s.period_end)).toEqual(["2023-12-31"]);
			const replaced: any = await call("finance.replaceStatement", { id: a.id, ...statement("2022-12-31", 150) }, techAnalyst);
			expect(replaced.income_statement.net_income).toBe(150);
			const analysis: any = await call("finance.analysis", { id: companyId }, techAnalyst);
			expect(analysis.period_end).toBe("2023-12-31");
			expect(analysis.trends.growth.net_income[0].value).toBeCloseTo((200 - 150) / 150, 10);
			await call("finance.removeStatement", { id: a.id }, superAdmin);
			await expect(call("finance.getStatement", { id: a.id }, superAdmin)).rejects.toMatchObject({ code: 404 });
			await expect(call("finance.listStatements", { id: companyId }, healthAdmin)).rejects.toMatchObject({ code: 404 });
		});

		it("imports SEC companyfacts idempotently", async () => {
			const first: any = await call("finance.importSec", { id: companyId }, techAnalyst, { stream: teslaStream() });
			expect(first.created).toBeGreaterThanOrEqual(10);
			const again: any = await call("finance.importSec", { id: companyId }, techAnalyst, { stream: teslaStream() });
			expect(again).toMatchObject({ created: 0, updated: 0 });
			const annual = first.periods.filter((p: { statement_type: string; action: string }) => p.statement_type === "annual" && p.action === "created").length;
			const all: any = await call("finance.listStatements", { id: companyId, statement_type: "annual", page_size: 100 }, techAnalyst);
			expect(all.total).toBe(annual + 1); // plus the 2023 statement made by hand above
			// and Tesla's quarters (10-Q)
			const quarters: any = await call("finance.listStatements", { id: companyId, statement_type: "quarterly", page_size: 100 }, techAnalyst);
			expect(quarters.total).toBe(first.created - annual);
			expect(quarters.total).toBeGreaterThanOrEqual(40);
		});

		it("undoes an import that fails half-way, leaving what was there before", async () => {
			const co: any = await call("companies.create", { name: "Half Import", industry: "technology" }, superAdmin);
			const before: any = await call("finance.createStatement", { id: co.id, ...statement("2019-12-31", 7) }, techAnalyst);
			const finance: any = platform.broker.getLocalService("finance");
			const insert = finance.adapter.insert.bind(finance.adapter);
			let inserts = 0;
			finance.adapter.insert = async (d: object) => {
				// Tesla has 13 annual periods, 2009–2021: 2019 exists already (updated), the 12th insert is 2021's
				if (++inserts === 12) throw new Error("disk full");
				return insert(d);
			};
			try {
				await expect(call("finance.importSec", { id: co.id }, techAnalyst, { stream: teslaStream() })).rejects.toThrow();
			} finally {
				finance.adapter.insert = insert;
			}
			const left: any = await call("finance.listStatements", { id: co.id, page_size: 100 }, techAnalyst);
			expect(inserts).toBe(12);
			expect(left.rows).toEqual([before]); // the 2019 statement made by hand, as it was before Tesla's 2019 figures were merged in
		});

		it("takes a company's statements with it when the company is deleted", async () => {
			const co: any = await call("companies.create", { name: "Short Lived", industry: "technology" }, superAdmin);
			await call("finance.createStatement", { id: co.id, ...statement("2023-12-31", 1) }, superAdmin);
			await call("companies.remove", { id: co.id }, superAdmin);
			// the cascade arrives on the durable channel, after the deletion answered
			const left = () => (platform.broker.getLocalService("finance") as any).store.count({ query: { company_id: co.id } });
			for (let i = 0; i < 100 && (await left()) > 0; i++) await new Promise(r => setTimeout(r, 50));
			expect(await left()).toBe(0);
		});
	});
});

describe("blob store (ML data sets and artifacts)", () => {
	const blobs = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
	// a GridFS chunk is 255 KB: one chunk, several, and an empty file
	const sizes = [0, 12, 255 * 1024 * 2 + 7];
	const mongoUri = () => `${process.env.TEST_MONGO_URI}/bizops_blobs_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;

	it.each([
		["files under DATA_DIR", () => new FileBlobStore(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-blobs-")))],
		["GridFS", () => new GridFsBlobStore(mongoUri(), 2000)],
	])("on %s keeps blobs of one chunk and of several, encrypted, read back verified", async (_name, open) => {
		const raw = open();
		const store = new EncryptedBlobStore(raw, (await memoryKeyring()).lease);
		try {
			for (const size of sizes) {
				const bytes = blobs(size);
				const { sha256 } = await store.put(bytes);
				expect((await store.get(sha256))?.equals(bytes)).toBe(true);
			}
			// what is stored is not the plaintext: a marker written in a blob is nowhere in its stored bytes
			const marker = Buffer.from("blob-marker-7f3a9c plaintext that must not be stored");
			const { sha256 } = await store.put(marker);
			const stored = (await raw.read(sha256))!;
			expect(stored.includes(Buffer.from("blob-marker-7f3a9c"))).toBe(false);
			expect((await store.get(sha256))?.equals(marker)).toBe(true);
			// one byte changed in the ciphertext: refused, never served
			stored[stored.length - 1] ^= 1;
			await raw.delete(sha256);
			await raw.write(sha256, stored);
			await expect(store.get(sha256)).rejects.toBeInstanceOf(BlobIntegrityError);
			expect(await store.get("0".repeat(64))).toBeNull();
		} finally {
			await store.close();
		}
	});

	it("GridFS and every collection of a process share one MongoDB client, closed when the last lets go", async () => {
		const uri = mongoUri();
		const [a, b] = [new GridFsBlobStore(uri, 2000), new GridFsBlobStore(uri, 2000)];
		const before = openMongoClients();
		await a.write("a".repeat(64), blobs(3));
		await b.write("b".repeat(64), blobs(4));
		expect(openMongoClients()).toBe(before + 1);
		await a.close();
		expect(openMongoClients()).toBe(before + 1);
		await b.close();
		expect(openMongoClients()).toBe(before);
	});
});
