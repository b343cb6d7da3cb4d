/** The gateway's route manifest: current with the services' own declarations, and the only thing of theirs it loads. */
import { execFileSync } from "child_process";
import fs from "fs";
import path from "path";
import { buildManifest, MANIFEST_FILE } from "../../bin/routes";
import { manifestJson } from "../../mixins/rest-routes";

const ROOT = path.resolve(__dirname, "../..");

describe("route manifest (services/routes.json)", () => {
	it("matches the services' rest declarations (run `npm run routes` after changing them)", () => {
		expect(fs.readFileSync(MANIFEST_FILE, "utf8")).toBe(manifestJson(buildManifest()));
	});

	it("lists every shipped service but the gateway, and routes with their params", () => {
		const manifest = buildManifest();
		expect(manifest.services).toEqual([
			"audit",
			"auth",
			"companies",
			"compliance",
			"domains",
			"finance",
			"flags",
			"integration",
			"ml.datasets",
			"ml.evaluation",
			"ml.prediction",
			"ml.registry",
			"ml.training",
			"orchestrator",
			"overview",
			"reports",
			"risk",
			"strategy",
		]);
		const create = manifest.routes.find(r => r.name === "companies.create")!;
		expect(create).toMatchObject({ method: "POST", path: "/companies", permission: ["write", "financial_data"] });
		// a pattern survives as its source
		expect(JSON.parse(manifestJson(manifest)).routes.find((r: { name: string }) => r.name === "companies.create").params.ticker.pattern).toBe("^[A-Z0-9.-]{1,10}$");
	});

	it("the gateway loads no other service's code", () => {
		const script = `require("./services/api.service"); console.log(JSON.stringify(Object.keys(require.cache).filter(f => /[\\\\/]services[\\\\/](?!api\\.service)[^\\\\/]+\\.service\\.ts$/.test(f))))`;
		const loaded = JSON.parse(
			execFileSync(process.execPath, ["-r", "@swc-node/register", "-e", script], { cwd: ROOT, env: { ...process.env, NODE_ENV: "test" }, encoding: "utf8" })
				.trim()
				.split("\n")
				.pop()!,
		);
		expect(loaded).toEqual([]);
	});
});
