/**
 * The deployment files say what the code does: YAML that parses, node groups whose SERVICES exist, probes
 * on endpoints that are served, every environment variable documented, and Kubernetes manifests that pass
 * the API schemas (kubernetes-models).
 */
import { execFileSync } from "child_process";
import fs from "fs";
import path from "path";
import YAML from "yaml";
import { loadConfig } from "../../config";

const ROOT = path.resolve(__dirname, "../..");
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
const K8S = fs
	.readdirSync(path.join(ROOT, "k8s"))
	.filter(f => f.endsWith(".yaml"))
	.map(f => `k8s/${f}`);
const k8sDocs = K8S.flatMap(f => YAML.parseAllDocuments(read(f)).map(d => ({ file: f, obj: d.toJS() as any })));
const compose = YAML.parse(read("docker-compose.yml"));
const configurationDoc = read("docs/configuration.md");

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
		const all = fs
			.readdirSync(path.join(ROOT, "services"))
			.filter(f => f.endsWith(".service.ts"))
			.map(f => f.replace(".service.ts", ""));
		expect(new Set(named)).toEqual(new Set(all));
	});

	it("probe endpoints that are served: the gateway's on 3000, the node health server's on 3001", () => {
		const probes: Array<{ path: string; port: number }> = [];
		for (const { obj } of k8sDocs.filter(d => d.obj.metadata?.name?.startsWith("bizops-") && d.obj.kind === "Deployment")) {
			for (const c of containersOf(obj)) for (const p of [c.livenessProbe, c.readinessProbe]) probes.push(p.httpGet);
		}
		expect(probes.length).toBe(20); // liveness and readiness of ten groups
		const served = new Set(["3000 /api/v1/health/live", "3000 /api/v1/health/ready", "3001 /health/live", "3001 /health/ready"]);
		for (const p of probes) expect(served.has(`${p.port} ${p.path}`)).toBe(true);
		// and those paths are really what the code serves
		expect(read("services/api.service.ts")).toMatch(/rest: "GET \/health\/live"/);
		expect(read("services/api.service.ts")).toMatch(/const API_PATH = "\/api\/v1"/);
		expect(read("middlewares/node-health.middleware.ts")).toMatch(/req\.url === "\/health\/ready"/);
		expect(compose["x-bizops"].healthcheck.test.join(" ")).toContain("http://127.0.0.1:3001/health/ready");
	});

	it("document (docs/configuration.md) every environment variable they set, and every one the configuration reads", () => {
		const names = new Set<string>();
		for (const { obj } of k8sDocs) {
			if (obj.kind === "ConfigMap") Object.keys(obj.data).forEach(k => names.add(k));
			// a Secret read as environment variables (envFrom); the key file's Secret is mounted as a file
			if (obj.kind === "Secret" && obj.metadata.name === "bizops-secrets") Object.keys(obj.stringData).forEach(k => names.add(k));
			for (const c of containersOf(obj)) for (const e of c.env ?? []) names.add(e.name);
		}
		for (const line of read(".env.example").split("\n")) if (/^[A-Z_]+=/.test(line)) names.add(line.split("=")[0]);
		for (const f of fs.readdirSync(path.join(ROOT, "config/environments")))
			for (const m of read(`config/environments/${f}`)
				.replace(/^\s*#.*$/gm, "")
				.matchAll(/\$\{([A-Z0-9_]+)/g))
				names.add(m[1]);
		const undocumented = [...names].filter(n => !configurationDoc.includes(`\`${n}\``));
		expect(undocumented).toEqual([]);
	});

	describe("what a Kubernetes operator expects of each bizops node group", () => {
		const deployments = k8sDocs.filter(d => d.obj.kind === "Deployment" && d.obj.metadata.name.startsWith("bizops-")).map(d => d.obj);
		const bytes = (q: string) => {
			const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(q)!;
			return Number(m[1]) * { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, "": 1 }[m[2] ?? ""]!;
		};

		const GROUPS = ["api", "compliance", "core", "domains", "finance", "integration", "ml", "ml-training", "reports", "strategy"];
		it("has all ten groups", () => {
			expect(deployments.map(d => d.metadata.labels.group).sort()).toEqual(GROUPS);
		});

		it.each(GROUPS)("%s: a PodDisruptionBudget and replicas spread across nodes", group => {
			const d = deployments.find(x => x.metadata.labels.group === group);
			const pdb = k8sDocs.find(x => x.obj.kind === "PodDisruptionBudget" && x.obj.spec.selector.matchLabels.group === group)?.obj;
			expect(pdb).toBeDefined();
			expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
			expect(pdb.spec.maxUnavailable ?? d.spec.replicas - pdb.spec.minAvailable).toBeLessThan(d.spec.replicas);
			const spread = d.spec.template.spec.topologySpreadConstraints;
			expect(spread.map((c: { topologyKey: string }) => c.topologyKey)).toContain("kubernetes.io/hostname");
			for (const c of spread) expect(c.labelSelector.matchLabels).toEqual(d.spec.selector.matchLabels);
		});

		it.each(GROUPS)("%s: a hardened container", group => {
			const pod = deployments.find(x => x.metadata.labels.group === group).spec.template.spec;
			expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
			for (const c of pod.containers) {
				expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
				// a writable /tmp on an emptyDir, as the root filesystem is read-only
				const tmp = c.volumeMounts.find((v: { mountPath: string }) => v.mountPath === "/tmp");
				expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
			}
		});

		it("memory limits fit the largest request a pod accepts", () => {
			const limitOf = (group: string) => bytes(deployments.find(x => x.metadata.labels.group === group).spec.template.spec.containers[0].resources.limits.memory);
			// finance parses SEC imports of up to 50 MB, about 4× the body in memory while parsed (bench/README.md), so
			// many at once per node, and buffers the bodies of those waiting
			const importLimit = 50 * 1024 ** 2;
			const bulkhead = /importSec: \{[^]*?bulkhead: \{ enabled: true, concurrency: (\d+), maxQueueSize: (\d+) \}/.exec(read("services/finance.service.ts"))!;
			const [parsing, waiting] = [Number(bulkhead[1]), Number(bulkhead[2])];
			expect(limitOf("finance")).toBeGreaterThanOrEqual(256 * 1024 ** 2 + parsing * 4 * importLimit + waiting * importLimit);
			const heap = /--max-old-space-size=(\d+)/.exec(JSON.stringify(deployments.find(x => x.metadata.labels.group === "finance").spec.template.spec.containers[0].env))!;
			expect(Number(heap[1]) * 1024 ** 2).toBeLessThan(limitOf("finance"));
			// the gateway never holds an import: it streams it on to finance
			const routes = require("../../services/api.service").gatewayRoutes(loadConfig({ NODE_ENV: "test" })) as Array<{ path: string; aliases?: Record<string, string> }>;
			expect(routes.find(r => r.path === "/companies")?.aliases?.["POST /:id/import/sec"]).toBe("stream:finance.importSec");
			expect(limitOf("api")).toBeGreaterThanOrEqual(bytes("512Mi"));
			// ml parses uploads and scores evaluations in threads, two of each at a time: each its heap and, outside
			// it, the file's bytes, text and rows (about three times the body)
			const envOf = (group: string, name: string) =>
				deployments.find(x => x.metadata.labels.group === group).spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === name)?.value;
			const threads = ["create", "evaluate"].reduce((n, action) => {
				const source = read(action === "evaluate" ? "services/ml.evaluation.service.ts" : "services/ml.datasets.service.ts");
				return n + Number(new RegExp(`${action}: \\{[^]*?bulkhead: \\{ enabled: true, concurrency: (\\d+)`).exec(source)![1]);
			}, 0);
			const workerHeap = Number(envOf("ml", "ML_WORKER_MEMORY_MB")) * 1024 ** 2;
			expect(limitOf("ml")).toBeGreaterThanOrEqual(512 * 1024 ** 2 + threads * (workerHeap + 3 * importLimit));
		});

		it("every node reads the key-encryption keys from their own Secret, mounted read-only where ENCRYPTION_KEY_FILE points", () => {
			const configMap = k8sDocs.find(x => x.obj.kind === "ConfigMap" && x.obj.metadata.name === "bizops-config")!.obj;
			const keyFile = configMap.data.ENCRYPTION_KEY_FILE as string;
			expect(keyFile).toMatch(/^\/etc\/bizops\/keys\//);
			expect(deployments.length).toBeGreaterThanOrEqual(8);
			for (const d of deployments) {
				const volume = d.spec.template.spec.volumes.find((v: { secret?: { secretName: string } }) => v.secret?.secretName === "bizops-encryption-keys");
				expect([d.metadata.name, volume?.secret.defaultMode]).toEqual([d.metadata.name, 0o440]);
				expect(d.spec.template.spec.securityContext.fsGroup).toBeDefined();
				const mount = d.spec.template.spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume.name);
				expect(mount).toMatchObject({ mountPath: path.dirname(keyFile), readOnly: true });
			}
			const secret = k8sDocs.find(x => x.obj.kind === "Secret" && x.obj.metadata.name === "bizops-encryption-keys")!.obj;
			expect(Object.keys(secret.stringData)).toEqual([path.basename(keyFile)]);
		});

		it("NATS requires credentials from the Secret, and only bizops pods reach it", () => {
			const nats = k8sDocs.find(x => x.obj.kind === "StatefulSet" && x.obj.metadata.name === "nats")!.obj.spec.template.spec.containers[0];
			expect(nats.args.join(" ")).toContain("--user $(NATS_USER) --pass $(NATS_PASSWORD)");
			for (const name of ["NATS_USER", "NATS_PASSWORD"]) expect(nats.env.find((e: { name: string }) => e.name === name).valueFrom.secretKeyRef.name).toBe("bizops-secrets");
			const secret = k8sDocs.find(x => x.obj.kind === "Secret")!.obj;
			expect(Object.keys(secret.stringData)).toEqual(expect.arrayContaining(["NATS_USER", "NATS_PASSWORD"]));
			for (const d of deployments) expect(d.spec.template.spec.containers[0].envFrom).toContainEqual({ secretRef: { name: "bizops-secrets" } });
			const policy = k8sDocs.find(x => x.obj.kind === "NetworkPolicy" && x.obj.spec.podSelector.matchLabels?.app === "nats")!.obj;
			const clients = policy.spec.ingress.find((r: { ports: Array<{ port: number }> }) => r.ports.some(p => p.port === 4222));
			expect(clients.from).toEqual([{ podSelector: { matchLabels: { app: "bizops" } } }]);
			expect(compose.services.nats.command.join(" ")).toMatch(/--user \$\{NATS_USER.*--pass \$\{NATS_PASSWORD/);
		});

		it("only Prometheus reaches the nodes' unauthenticated /metrics; clients reach only the gateway's HTTP port", () => {
			const policies = k8sDocs.filter(x => x.obj.kind === "NetworkPolicy" && x.obj.spec.podSelector.matchLabels?.app === "bizops").map(x => x.obj);
			const rules = policies.flatMap(p => p.spec.ingress as Array<{ from?: unknown[]; ports: Array<{ port: number }> }>);
			const metrics = rules.filter(r => r.ports.some(p => p.port === 3030));
			expect(metrics).toHaveLength(1);
			expect(metrics[0].from).toEqual([{ podSelector: { matchLabels: { app: "prometheus" } } }]);
			const open = rules.filter(r => !r.from).flatMap(r => r.ports.map(p => p.port));
			expect(open.sort()).toEqual([3000, 3001]);
			const gatewayPolicy = policies.find(p => p.spec.podSelector.matchLabels.group === "api");
			expect(gatewayPolicy.spec.ingress[0].ports.map((p: { port: number }) => p.port)).toEqual([3000]);
		});
	});

	it("pass the Kubernetes API schemas", () => {
		const node = process.execPath;
		const out = execFileSync(node, [path.join(ROOT, "test/helpers/validate-k8s.mjs"), ...K8S.map(f => path.join(ROOT, f))], { encoding: "utf8" });
		const results: Array<{ file: string; kind: string; name: string; error?: string }> = JSON.parse(out);
		expect(results.filter(r => r.error)).toEqual([]);
		expect(results.map(r => r.kind)).toEqual(
			expect.arrayContaining(["Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap", "Secret", "StatefulSet", "PodDisruptionBudget", "NetworkPolicy"]),
		);
	});

	it("the schema check does catch a broken manifest", () => {
		const broken = path.join(require("os").tmpdir(), `broken-${process.pid}.yaml`);
		fs.writeFileSync(broken, read("k8s/finance.yaml").replace("containerPort: 3000", 'containerPort: "http"'));
		const out = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, "test/helpers/validate-k8s.mjs"), broken], { encoding: "utf8" }));
		expect(out.find((r: { error?: string }) => r.error)?.error).toMatch(/containerPort/);
	});
});
