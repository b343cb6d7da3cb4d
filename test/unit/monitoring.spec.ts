/**
 * The monitoring an operator deploys (deploy/): Prometheus's configuration and alert rules pass `promtool`, each
 * alert fires on the series that should fire it (deploy/alerts.test.yml), and the Grafana dashboard is a
 * provisioned dashboard whose every query reads a metric the platform exports (test/e2e/operations.spec.ts
 * checks the names against a live scrape).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

const root = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
const promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find(f => fs.existsSync(f));
const missing = promtool ? null : "promtool is not installed (Debian package prometheus; .ci/run installs it)";
if (missing && process.env.CI) throw new Error(`monitoring checks cannot run in CI: ${missing}`);
if (missing) console.warn(`\n!!!!!!!! SKIPPING the promtool checks: ${missing} (they run, and must pass, in CI) !!!!!!!!\n`);
const describePromtool = missing ? describe.skip : describe;

const run = (...args: string[]) => spawnSync(promtool!, args, { cwd: path.join(root, "deploy"), encoding: "utf8" });

describePromtool("Prometheus configuration and alert rules (promtool)", () => {
	it("the configuration and its rule file are valid", () => {
		const res = run("check", "config", "prometheus.yml");
		expect(`${res.stdout}${res.stderr}`).toContain("SUCCESS");
		expect(res.status).toBe(0);
	});

	it("each alert fires on the series that should fire it, with its annotations, and not before", () => {
		const res = run("test", "rules", "alerts.test.yml");
		expect(`${res.stdout}${res.stderr}`).toContain("SUCCESS");
		expect(res.status).toBe(0);
	});

	it("a broken rule is refused (the check can fail)", () => {
		const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "bizops-rules-"));
		fs.writeFileSync(path.join(dir, "bad.yml"), "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: sum(rate(x[5m])\n");
		expect(() => execFileSync(promtool!, ["check", "rules", path.join(dir, "bad.yml")], { stdio: "pipe" })).toThrow();
	});
});

describe("the Grafana dashboard and its provisioning", () => {
	const dashboard = JSON.parse(read("deploy/grafana/dashboards/bizops.json"));
	const compose = YAML.parse(read("docker-compose.yml"));

	it("is provisioned in docker-compose with Prometheus as its data source", () => {
		expect(compose.services.grafana.volumes).toEqual(
			expect.arrayContaining(["./deploy/grafana/provisioning:/etc/grafana/provisioning:ro", "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro"]),
		);
		const datasource = YAML.parse(read("deploy/grafana/provisioning/datasources/prometheus.yml")).datasources[0];
		expect(datasource).toMatchObject({ type: "prometheus", uid: "prometheus", url: "http://prometheus:9090" });
		expect(YAML.parse(read("deploy/grafana/provisioning/dashboards/bizops.yml")).providers[0].options.path).toBe("/var/lib/grafana/dashboards");
		expect(compose.services.prometheus.volumes).toContain("./deploy/alerts.yml:/etc/prometheus/alerts.yml:ro");
	});

	it("shows traffic, errors, p50 and p99 per route, rate limiting, analyses, imports, training jobs and node count", () => {
		const exprs: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string; datasource: { uid: string } }> }) =>
			p.targets.map(t => {
				expect(t.datasource.uid).toBe("prometheus");
				return t.expr;
			}),
		);
		const all = exprs.join("\n");
		for (const needed of [
			/rate\(bizops_http_duration_count\[/,
			/status=~"5\.\."/,
			/histogram_quantile\(0\.5, sum by \(route, le\)/,
			/histogram_quantile\(0\.99, sum by \(route, le\)/,
			/bizops_requests_rate_limited_total/,
			/bizops_analyses_computed_total/,
			/bizops_sec_imports_total/,
			/bizops_ml_training_jobs_total/,
			/moleculer_registry_nodes_online\)/,
		])
			expect(all).toMatch(needed);
		// panels do not overlap
		const cells = new Set<string>();
		for (const { gridPos: g } of dashboard.panels)
			for (let x = g.x; x < g.x + g.w; x++)
				for (let y = g.y; y < g.y + g.h; y++) {
					expect(cells.has(`${x},${y}`)).toBe(false);
					cells.add(`${x},${y}`);
				}
	});
});
