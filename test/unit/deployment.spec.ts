/**
 * The deployment files say what the code does: YAML that parses, node groups whose SERVICES exist, probes
 * on endpoints that are served, every environment variable documented, and Kubernetes manifests that pass
 * the API schemas (kubernetes-models).
 */
import { execFileSync } from "child_process";
import fs from "fs";
import path from "path";
import YAML from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
const K8S = fs.readdirSync(path.join(ROOT, "k8s")).filter(f => f.endsWith(".yaml")).map(f => `k8s/${f}`);
const k8sDocs = K8S.flatMap(f => YAML.parseAllDocuments(read(f)).map(d => ({ file: f, obj: d.toJS() as any })));
const compose = YAML.parse(read("docker-compose.yml"));
const readme = read("README.md");

const containersOf = (obj: any): any[] => obj?.spec?.template?.spec?.containers ?? [];

describe("deployment files", () => {
	it("parse as YAML without errors", () => {
		for (const f of [...K8S, "docker-compose.yml", "deploy/prometheus.yml"]) {
			for (const doc of YAML.parseAllDocuments(read(f))) expect(doc.errors).toEqual([]);
		}
		expect(k8sDocs.length).toBeGreaterThanOrEqual(10);
	});

	it("name only services that exist, and run every service somewhere", () => {
		const groups: string[] = [];
		for (const { obj } of k8sDocs) for (const c of containersOf(obj)) for (const e of c.env ?? []) if (e.name === "SERVICES") groups.push(e.value);
		for (const svc of Object.values<any>(compose.services)) if (svc.environment?.SERVICES) groups.push(svc.environment.SERVICES);
		const named = groups.flatMap(g => g.split(",").map((s: string) => s.trim()));
		for (const name of named) expect(fs.existsSync(path.join(ROOT, "services", `${name}.service.ts`))).toBe(true);
		const all = fs.readdirSync(path.join(ROOT, "services")).filter(f => f.endsWith(".service.ts")).map(f => f.replace(".service.ts", ""));
		expect(new Set(named)).toEqual(new Set(all));
	});

	it("probe endpoints that are served: the gateway's on 3000, the node health server's on 3001", () => {
		const probes: Array<{ path: string; port: number }> = [];
		for (const { obj } of k8sDocs.filter(d => d.obj.metadata?.name?.startsWith("bizops-") && d.obj.kind === "Deployment")) {
			for (const c of containersOf(obj)) for (const p of [c.livenessProbe, c.readinessProbe]) probes.push(p.httpGet);
		}
		expect(probes.length).toBe(6);
		const served = new Set(["3000 /api/v1/health/live", "3000 /api/v1/health/ready", "3001 /health/live", "3001 /health/ready"]);
		for (const p of probes) expect(served.has(`${p.port} ${p.path}`)).toBe(true);
		// and those paths are really what the code serves
		expect(read("services/api.service.ts")).toMatch(/rest: "GET \/health\/live"/);
		expect(read("services/api.service.ts")).toMatch(/path: "\/api\/v1"/);
		expect(read("middlewares/node-health.middleware.ts")).toMatch(/req\.url === "\/health\/ready"/);
		expect(compose["x-bizops"].healthcheck.test.join(" ")).toContain("http://127.0.0.1:3001/health/ready");
	});

	it("document every environment variable they set, and every one the configuration reads", () => {
		const names = new Set<string>();
		for (const { obj } of k8sDocs) {
			if (obj.kind === "ConfigMap") Object.keys(obj.data).forEach(k => names.add(k));
			if (obj.kind === "Secret") Object.keys(obj.stringData).forEach(k => names.add(k));
			for (const c of containersOf(obj)) for (const e of c.env ?? []) names.add(e.name);
		}
		for (const line of read(".env.example").split("\n")) if (/^[A-Z_]+=/.test(line)) names.add(line.split("=")[0]);
		for (const f of fs.readdirSync(path.join(ROOT, "config/environments"))) for (const m of read(`config/environments/${f}`).replace(/^\s*#.*$/gm, "").matchAll(/\$\{([A-Z0-9_]+)/g)) names.add(m[1]);
		const undocumented = [...names].filter(n => !readme.includes(`\`${n}\``));
		expect(undocumented).toEqual([]);
	});

	it("pass the Kubernetes API schemas", () => {
		const node = process.execPath;
		const out = execFileSync(node, [path.join(ROOT, "test/helpers/validate-k8s.mjs"), ...K8S.map(f => path.join(ROOT, f))], { encoding: "utf8" });
		const results: Array<{ file: string; kind: string; name: string; error?: string }> = JSON.parse(out);
		expect(results.filter(r => r.error)).toEqual([]);
		expect(results.map(r => r.kind)).toEqual(expect.arrayContaining(["Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap", "Secret", "StatefulSet"]));
	});

	it("the schema check does catch a broken manifest", () => {
		const broken = path.join(require("os").tmpdir(), `broken-${process.pid}.yaml`);
		fs.writeFileSync(broken, read("k8s/finance.yaml").replace("containerPort: 3000", 'containerPort: "http"'));
		const out = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, "test/helpers/validate-k8s.mjs"), broken], { encoding: "utf8" }));
		expect(out.find((r: { error?: string }) => r.error)?.error).toMatch(/containerPort/);
	});
});
