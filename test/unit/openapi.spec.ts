import { buildOpenApi, ruleToSchema, type ActionInfo } from "../../mixins/openapi.mixin";

describe("fastest-validator → JSON Schema", () => {
	it("maps the rule types this project uses", () => {
		expect(ruleToSchema({ type: "string", min: 1, max: 5, pattern: /^[A-Z]+$/ })).toEqual({
			schema: { type: "string", minLength: 1, maxLength: 5, pattern: "^[A-Z]+$" },
			optional: false,
		});
		expect(ruleToSchema({ type: "number", integer: true, min: 1, optional: true })).toEqual({ schema: { type: "integer", minimum: 1 }, optional: true });
		expect(ruleToSchema({ type: "enum", values: ["a", "b"] }).schema).toEqual({ type: "string", enum: ["a", "b"] });
		expect(ruleToSchema({ type: "array", items: { type: "string" }, min: 1 }).schema).toEqual({ type: "array", items: { type: "string" }, minItems: 1 });
		expect(ruleToSchema("string|optional")).toEqual({ schema: { type: "string" }, optional: true });
		// either rule takes the value: any of them
		expect(
			ruleToSchema([
				{ type: "equal", value: "all" },
				{ type: "array", items: "string" },
			]).schema,
		).toEqual({
			anyOf: [
				{ type: "string", enum: ["all"] },
				{ type: "array", items: { type: "string" } },
			],
		});
		expect(ruleToSchema({ type: "object", strict: true, props: { a: { type: "boolean" }, b: { type: "date", optional: true } } }).schema).toEqual({
			type: "object",
			properties: { a: { type: "boolean" }, b: { type: "string", format: "date-time" } },
			required: ["a"],
			additionalProperties: false,
		});
	});

	it("puts path params in the path, GET params in the query and others in the body", () => {
		const actions = new Map<string, ActionInfo>([
			["x.get", { name: "x.get", params: { id: { type: "string" }, page: { type: "number", optional: true } } }],
			[
				"x.update",
				{ name: "x.update", params: { $$strict: true, id: { type: "string" }, name: { type: "string" } }, permission: ["write", "financial_data"] as [string, string] },
			],
		]);
		const doc: any = buildOpenApi(
			[
				{ method: "GET", path: "/x/:id", fullPath: "/api/v1/x/:id", actionName: "x.get" },
				{ method: "PATCH", path: "/x/:id", fullPath: "/api/v1/x/:id", actionName: "x.update" },
			],
			actions,
			{ title: "t", version: "1" },
		);
		const get = doc.paths["/api/v1/x/{id}"].get;
		expect(get.parameters).toEqual([
			{ name: "id", in: "path", required: true, schema: { type: "string" } },
			{ name: "page", in: "query", required: false, schema: { type: "number" } },
		]);
		const patch = doc.paths["/api/v1/x/{id}"].patch;
		expect(patch.requestBody.content["application/json"].schema).toEqual({
			type: "object",
			properties: { name: { type: "string" } },
			required: ["name"],
			additionalProperties: false,
		});
		expect(patch.description).toContain("write");
	});
});
