import { can, canManageAccount, canSeeIndustry, roleCan, visibleIndustries, RESOURCES, type Principal, type Role } from "../../domains/identity/rbac";

const p = (role: Role, domains: string[] = ["technology"]): Principal => ({ id: "u", username: "u", role, domains, tier: "default", kind: "user" });

describe("permission matrix (docs/api.md)", () => {
	it("viewer: read only", () => {
		for (const r of RESOURCES) {
			expect(roleCan("viewer", "read", r)).toBe(true);
			expect(roleCan("viewer", "write", r)).toBe(false);
			expect(roleCan("viewer", "execute", r)).toBe(false);
			expect(roleCan("viewer", "admin", r)).toBe(false);
		}
	});

	it("analyst: + write on all but ml_models, execute on ml_models", () => {
		for (const r of RESOURCES.filter(r => r !== "ml_models")) {
			expect(roleCan("analyst", "write", r)).toBe(true);
			expect(roleCan("analyst", "execute", r)).toBe(false);
		}
		expect(roleCan("analyst", "write", "ml_models")).toBe(false);
		expect(roleCan("analyst", "execute", "ml_models")).toBe(true);
		expect(roleCan("analyst", "admin", "financial_data")).toBe(false);
	});

	it("domain_admin inherits analyst and adds admin; super_admin has everything", () => {
		expect(roleCan("domain_admin", "execute", "ml_models")).toBe(true);
		expect(roleCan("domain_admin", "admin", "ml_models")).toBe(true);
		expect(roleCan("domain_admin", "admin", "financial_data")).toBe(true);
		for (const r of RESOURCES) for (const perm of ["read", "write", "execute", "admin"] as const) expect(roleCan("super_admin", perm, r)).toBe(true);
	});

	it("an unknown role has nothing", () => {
		expect(can({ ...p("viewer"), role: "owner" as Role }, "read", "financial_data")).toBe(false);
	});
});

describe("domain scoping", () => {
	it("sees only its industries, '*' sees all, super_admin sees all", () => {
		expect(canSeeIndustry(p("analyst", ["technology"]), "technology")).toBe(true);
		expect(canSeeIndustry(p("analyst", ["technology"]), "healthcare")).toBe(false);
		expect(canSeeIndustry(p("viewer", ["*"]), "healthcare")).toBe(true);
		expect(canSeeIndustry(p("super_admin", []), "healthcare")).toBe(true);
		expect(visibleIndustries(p("analyst", ["technology", "healthcare"]))).toEqual(["technology", "healthcare"]);
		expect(visibleIndustries(p("viewer", ["*"]))).toBeNull();
	});
});

describe("account management", () => {
	const da = p("domain_admin", ["technology", "healthcare"]);
	it("a domain_admin manages analysts and viewers within its domains only", () => {
		expect(canManageAccount(da, { role: "analyst", domains: ["technology"] })).toBe(true);
		expect(canManageAccount(da, { role: "viewer", domains: ["technology", "healthcare"] })).toBe(true);
		expect(canManageAccount(da, { role: "analyst", domains: ["manufacturing"] })).toBe(false);
		expect(canManageAccount(da, { role: "analyst", domains: ["*"] })).toBe(false);
		expect(canManageAccount(da, { role: "domain_admin", domains: ["technology"] })).toBe(false);
		expect(canManageAccount(da, { role: "analyst", domains: [] })).toBe(false);
	});
	it("analysts and viewers manage nobody; super_admin manages everyone", () => {
		expect(canManageAccount(p("analyst"), { role: "viewer", domains: ["technology"] })).toBe(false);
		expect(canManageAccount(p("super_admin", ["*"]), { role: "super_admin", domains: ["*"] })).toBe(true);
	});
});
