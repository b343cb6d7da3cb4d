/** What the deployed monitoring (deploy/) reads: every metric name a dashboard query or an alert rule uses. */
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

const root = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");

export function monitoredMetricNames(): string[] {
	const dashboard = JSON.parse(read("deploy/grafana/dashboards/bizops.json"));
	const rules = YAML.parse(read("deploy/alerts.yml")).groups.flatMap((g: { rules: Array<{ expr: string }> }) => g.rules.map(r => r.expr));
	const exprs: string[] = [...dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map(t => t.expr)), ...rules];
	return [...new Set(exprs.flatMap(e => e.match(/\b(?:bizops|moleculer)_[a-z_]+/g) ?? []))].sort();
}
