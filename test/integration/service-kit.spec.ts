/**
 * The service kit: a company-scoped service defined here, in the test alone, gets REST routes through the
 * gateway, access control, scoping by the caller's domains, per-scope caching and the company deletion
 * cascade, without a line changed anywhere else.
 */
import type { Context } from "moleculer";
import { defineService, type ThisOf } from "../../lib/service";
import { COMPANY_SCOPE_KEYS, createCompanyScopedMixin } from "../../mixins/company-scoped.mixin";
import { createDbMixin } from "../../mixins/db.mixin";
import { nowIso } from "../../models/common";
import { ADMIN_PASSWORD, startPlatform, type Platform } from "../helpers/platform";

let handled = 0;

const NotesService = defineService()({
	name: "notes",
	settings: { rest: "/" },
	mixins: [createDbMixin("notes", [{ fields: { company_id: 1 } }]), createCompanyScopedMixin("notes")],
	actions: {
		create: {
			rest: "POST /companies/:id/notes",
			permission: ["write", "financial_data"],
			params: { $$strict: true, id: { type: "string", max: 64 }, text: { type: "string", min: 1, max: 500 } },
			async handler(ctx: Context<{ id: string; text: string }, { $statusCode?: number }>) {
				const company = await this.company(ctx, ctx.params.id);
				ctx.meta.$statusCode = 201;
				return this.insertEntity({ company_id: company.id, text: ctx.params.text, created_at: nowIso(), updated_at: nowIso() });
			},
		},
		list: {
			rest: "GET /companies/:id/notes",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: { type: "string", max: 64 } },
			cache: { keys: ["id", ...COMPANY_SCOPE_KEYS] },
			async handler(ctx: Context<{ id: string }>) {
				handled++;
				const company = await this.company(ctx, ctx.params.id);
				return { rows: await this.findEntities({ query: { company_id: company.id }, sort: ["created_at"] }) };
			},
		},
		get: {
			rest: "GET /notes/:id",
			permission: ["read", "financial_data"],
			params: { $$strict: true, id: { type: "string", max: 64 } },
			async handler(ctx: Context<{ id: string }>) {
				return this.ownedEntity(ctx, ctx.params.id, "Note");
			},
		},
	},
});

// `this` is typed from the definition, so a slip is a compile error (tsc runs on the tests too), not an `any`
defineService()({
	name: "typed",
	mixins: [createDbMixin("typed")],
	methods: {
		label(n: number): string {
			return `#${n}`;
		},
	},
	actions: {
		one: {
			handler() {
				// @ts-expect-error a method the service does not have
				this.lable(1);
				// @ts-expect-error the wrong argument type
				this.label("1");
				// @ts-expect-error the db mixin's helper takes a query object
				void this.countEntities("all");
				return this.label(1).toUpperCase();
			},
		},
	},
});

let platform: Platform;
let admin: string;
let analyst: string;
let viewer: string;
let outsider: string;

beforeAll(async () => {
	platform = await startPlatform({ extraServices: [NotesService] });
	admin = await platform.login("admin", ADMIN_PASSWORD);
	analyst = (await platform.createUser(admin, { username: "kit-analyst", role: "analyst", domains: ["technology"] })).token;
	viewer = (await platform.createUser(admin, { username: "kit-viewer", role: "viewer", domains: ["technology"] })).token;
	outsider = (await platform.createUser(admin, { username: "kit-outsider", role: "analyst", domains: ["healthcare"] })).token;
});
afterAll(() => platform.stop());

it("a company-scoped service defined in a test gets routes, RBAC, scoping, caching and the deletion cascade", async () => {
	const co = (await platform.request("POST", "/companies", { token: admin, body: { name: "Kit Co", industry: "technology" } })).body;
	// REST routes from its own `rest` declarations, with the gateway's authentication and validation
	const note = await platform.request("POST", `/companies/${co.id}/notes`, { token: analyst, body: { text: "Strong quarter" } });
	expect(note.status).toBe(201);
	expect((await platform.request("POST", `/companies/${co.id}/notes`, { token: analyst, body: { text: "x", colour: "red" } })).status).toBe(422);
	expect((await platform.request("GET", `/companies/${co.id}/notes`)).status).toBe(401);
	// RBAC: a viewer reads but may not write
	expect((await platform.request("POST", `/companies/${co.id}/notes`, { token: viewer, body: { text: "no" } })).status).toBe(403);
	expect((await platform.request("GET", `/notes/${note.body.id}`, { token: viewer })).body.text).toBe("Strong quarter");
	// scoping: another industry's analyst sees nothing, not even that it exists
	expect((await platform.request("GET", `/companies/${co.id}/notes`, { token: outsider })).status).toBe(404);
	expect((await platform.request("GET", `/notes/${note.body.id}`, { token: outsider })).status).toBe(404);
	expect((await platform.request("POST", `/companies/${co.id}/notes`, { token: outsider, body: { text: "mine" } })).status).toBe(404);
	// caching per scope, cleaned when its own data changes
	handled = 0;
	await platform.request("GET", `/companies/${co.id}/notes`, { token: viewer });
	await platform.request("GET", `/companies/${co.id}/notes`, { token: viewer });
	expect(handled).toBe(1);
	await platform.request("POST", `/companies/${co.id}/notes`, { token: analyst, body: { text: "Second" } });
	expect((await platform.request("GET", `/companies/${co.id}/notes`, { token: viewer })).body.rows).toHaveLength(2);
	// the deletion cascade through the durable channel
	expect((await platform.request("DELETE", `/companies/${co.id}`, { token: admin })).status).toBe(200);
	for (let i = 0; i < 50 && (await platform.request("GET", `/notes/${note.body.id}`, { token: admin })).status !== 404; i++) await new Promise(r => setTimeout(r, 50));
	const store = platform.broker.getLocalService("notes") as unknown as ThisOf<typeof NotesService>;
	expect(await store.countEntities({ company_id: co.id })).toBe(0);
});
