import fs from "node:fs"; import os from "node:os"; import path from "node:path";
import { annualStatement } from "./test/helpers/fixtures";
import { ADMIN_PASSWORD, json, startPlatformProcess } from "./bench/harness";
(async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rprof-"));
	const platform = await startPlatformProcess({ NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`, RATE_LIMIT_PREMIUM: "100000000" });
	const api = `${platform.url}/api/v1`;
	const { token } = await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD });
	const headers = { authorization: `Bearer ${token}` };
	const ids: string[] = [];
	for (let i = 0; i < 200; i++) ids.push((await json("POST", `${api}/companies`, { name: `R${i}`, industry: "technology" }, headers)).id);
	const t = performance.now();
	let next = 0;
	await Promise.all(Array.from({ length: 8 }, async () => { while (next < ids.length) await json("POST", `${api}/companies/${ids[next++]}/statements`, annualStatement("2023-12-31"), headers); }));
	for (;;) {
		let done = 0;
		for (let i = 0; i < ids.length; i += 100) done += (await json("GET", `${api}/overviews?company_ids=${ids.slice(i, i + 100).join(",")}`, undefined, headers)).rows.filter((o: any) => o.workflow?.state === "succeeded").length;
		if (done >= ids.length) break;
		await new Promise(r => setTimeout(r, 200));
	}
	console.log("reviews/s", ids.length / ((performance.now() - t) / 1000));
	await platform.stop();
	const file = fs.readdirSync(dir).filter(f => f.endsWith(".cpuprofile")).map(f => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
	const p = JSON.parse(fs.readFileSync(file, "utf8"));
	const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
	const parent = new Map<number, number>();
	for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
	const incl = new Map<string, number>(); const self = new Map<string, number>(); const files = new Map<string, number>();
	let busy = 0, idle = 0;
	for (const s of p.samples) {
		const n = byId.get(s);
		if (["(idle)"].includes(n.callFrame.functionName)) { idle++; continue; }
		if (["(program)", "(garbage collector)"].includes(n.callFrame.functionName)) { self.set(n.callFrame.functionName, (self.get(n.callFrame.functionName) ?? 0) + 1); continue; }
		busy++;
		const key = (x: any) => `${x.callFrame.functionName} ${x.callFrame.url.split("/").slice(-2).join("/")}:${x.callFrame.lineNumber}`;
		self.set(key(n), (self.get(key(n)) ?? 0) + 1);
		const f = n.callFrame.url.includes("node_modules") ? n.callFrame.url.split("node_modules/")[1].split("/").slice(0, n.callFrame.url.split("node_modules/")[1].startsWith("@") ? 2 : 1).join("/") : n.callFrame.url.split("/").slice(-2).join("/");
		files.set(f, (files.get(f) ?? 0) + 1);
		const seen = new Set<string>();
		for (let id: number | undefined = s; id !== undefined; id = parent.get(id)) { const k = key(byId.get(id)); if (!seen.has(k)) incl.set(k, (incl.get(k) ?? 0) + 1); seen.add(k); }
	}
	console.log("busy", busy, "idle", idle);
	const callers = new Map<string, number>();
	for (const s of p.samples) {
		let id: number | undefined = s; let chain: string[] = []; let hit = false;
		for (; id !== undefined; id = parent.get(id)) { const n = byId.get(id); const k = `${n.callFrame.functionName} ${n.callFrame.url.split("/").slice(-3).join("/")}:${n.callFrame.lineNumber}`; if (/createWarningObject|wrapSafe|lru-cache/.test(k) && !hit) { hit = true; chain = [k]; continue; } if (hit) { chain.push(k); if (chain.length > 7) break; } }
		if (hit) { const c = chain.join(" <- "); callers.set(c, (callers.get(c) ?? 0) + 1); }
	}
	console.log("CALLERS", [...callers].sort((a, b) => b[1] - a[1]).slice(0, 12));
	const top = (m: Map<string, number>, n: number, f: (k: string) => boolean = () => true) => [...m].filter(([k]) => f(k)).sort((a, b) => b[1] - a[1]).slice(0, n);
	console.log("FILES", top(files, 25));
	console.log("SELF", top(self, 25));
	console.log("INCL ours", top(incl, 40, k => /services\/|lib\/|mixins\/|domains\/|middlewares\//.test(k)));
})();
