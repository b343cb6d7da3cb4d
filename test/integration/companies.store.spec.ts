/**
 * The companies service on a local broker, called as other services call it (ctx.meta.user), on both
 * stores the db mixin offers: the embedded NeDB files and MongoDB (CongoDB, started by the global setup).
 */
import type { ServiceBroker } from "moleculer";
import type { Principal } from "../../domains/identity/rbac";
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
	const call = (action: string, params: object, user: Principal | null) => broker.call(action, params, { meta: { user } });

	beforeAll(async () => {
		platform = await startPlatform({ services: ["companies"], env: env() });
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
		for (const name of ["b-one", "a-two", "c-three"]) await call("companies.create", { name, industry: "manufacturing", cik: "1234" }, superAdmin);
		const page: any = await call("companies.list", { industry: "manufacturing", sort: "-name", page: 1, page_size: 2 }, superAdmin);
		expect(page).toMatchObject({ total: 3, page: 1, page_size: 2, total_pages: 2 });
		expect(page.rows.map((c: { name: string }) => c.name)).toEqual(["c-three", "b-one"]);
		const byCik: any = await call("companies.list", { cik: "1234" }, superAdmin);
		expect(byCik.total).toBe(3);
	});

	it("reports its store healthy for readiness", async () => {
		await expect(broker.call("companies.storeHealth")).resolves.toEqual({ status: "ok" });
	});
});
