/**
 * Issue 26: what encryption at rest costs (docs/security.md, "Encryption at rest"; goal: under 10 % on a
 * write-heavy path, none on the cached read).
 *
 * 1. The repository the services write through, on the embedded store's files: the same risk-assessment-shaped
 *    documents inserted, updated and read with the collection's declared fields encrypted and, as the baseline in the
 *    same run, through a repository without a cipher — alternating rounds, best of each.
 * 2. The platform as `npm start` runs it (its own process, CPU-profiled): manual risk assessments posted (each one
 *    stored, audited — actor and payload sealed —, folded into the overview, journalled), then cached company reads.
 *    From each run's profile: the share of the busy CPU time whose stack passes through the encryption code
 *    (lib/envelope.ts, lib/field-cipher.ts, lib/keyring.ts), a start-up-only profile subtracted.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Repository } from "../mixins/db.mixin";
import { FieldCipher } from "../lib/field-cipher";
import { Keyring, newKekEntry, writeKekFile } from "../lib/keyring";
import { ENCRYPTED_COLLECTIONS } from "../models/encrypted-fields";
import { ADMIN_PASSWORD, json, machine, run, save, startPlatformProcess, type LoadResult } from "./harness";

const DbService = require("moleculer-db");

const DOCS = 3000;
/** The write path's companies: a risk register grows over many of them, not one. */
const COMPANIES = 100;
const ROUNDS = 3;
const CRYPTO_FILES = ["/lib/envelope.ts", "/lib/field-cipher.ts", "/lib/keyring.ts"];

async function nedb(dir: string, name: string): Promise<any> {
	const adapter = new DbService.MemoryAdapter({ filename: path.join(dir, `${name}.db`) });
	adapter.init({}, { schema: { collection: name } });
	await adapter.connect();
	return adapter;
}

const assessment = (i: number) => ({
	company_id: `c${i % 50}`,
	industry: "technology",
	risk_type: "operational",
	method: "manual",
	title: `Key supplier ${i} fails to deliver`,
	mitigation_strategies: ["second source", "safety stock"],
	treatment: { strategy: "mitigate", owner: `owner-${i % 7}` },
	risk_score: 40,
	level: "medium",
	created_by: "analyst",
	assessed_at: new Date().toISOString(),
});

/** ms per operation for inserts, updates and reads of DOCS documents through `repo`. */
async function repositoryRound(repo: Repository): Promise<{ insert: number; update: number; read: number }> {
	const ids: unknown[] = [];
	let t = performance.now();
	for (let i = 0; i < DOCS; i++) ids.push((await repo.insert(assessment(i)))._id);
	const insert = (performance.now() - t) / DOCS;
	t = performance.now();
	for (let i = 0; i < DOCS; i++) await repo.updateById(ids[i], { $set: { title: `Updated ${i}`, updated_at: new Date().toISOString() } });
	const update = (performance.now() - t) / DOCS;
	t = performance.now();
	for (let i = 0; i < DOCS; i++) await repo.findById(ids[i]);
	const read = (performance.now() - t) / DOCS;
	return { insert, update, read };
}

async function repositoryLayer() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-crypto-bench-"));
	const keys = new Repository(await nedb(dir, "encryption_keys"), null);
	const keyring = new Keyring(keys, [newKekEntry()]);
	const best = { plain: { insert: Infinity, update: Infinity, read: Infinity }, encrypted: { insert: Infinity, update: Infinity, read: Infinity } };
	for (let r = 0; r < ROUNDS; r++) {
		for (const kind of ["plain", "encrypted"] as const) {
			const adapter = await nedb(dir, `risk_${kind}_${r}`);
			const cipher = kind === "encrypted" ? new FieldCipher("risk_assessments", ENCRYPTED_COLLECTIONS.risk_assessments, async () => keyring) : null;
			const result = await repositoryRound(new Repository(adapter, null, cipher));
			for (const k of ["insert", "update", "read"] as const) best[kind][k] = Math.min(best[kind][k], result[k]);
		}
	}
	fs.rmSync(dir, { recursive: true, force: true });
	return best;
}

interface ProfileNode {
	id: number;
	callFrame: { url: string; functionName: string };
	children?: number[];
}

/** Busy samples (not idle, GC or the program itself) and those whose stack passes through the encryption code. */
function cryptoShare(file: string): { busy: number; crypto: number } {
	const profile = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: ProfileNode[]; samples: number[] };
	const parent = new Map<number, number>();
	const byId = new Map(profile.nodes.map(n => [n.id, n]));
	for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
	const inCrypto = new Map<number, boolean>();
	const crypto = (id: number): boolean => {
		if (inCrypto.has(id)) return inCrypto.get(id)!;
		const n = byId.get(id)!;
		const own = CRYPTO_FILES.some(f => n.callFrame.url.endsWith(f));
		const up = parent.get(id);
		const v = own || (up !== undefined && crypto(up));
		inCrypto.set(id, v);
		return v;
	};
	let busy = 0;
	let inside = 0;
	for (const id of profile.samples) {
		const name = byId.get(id)!.callFrame.functionName;
		if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") continue;
		busy++;
		if (crypto(id)) inside++;
	}
	return { busy, crypto: inside };
}

/** The main thread's profile written into `dir` (worker threads write their own). */
function mainProfile(dir: string): string {
	const files = fs.readdirSync(dir).filter(f => f.endsWith(".cpuprofile"));
	const main = files.find(f => /\.0\.\d+\.cpuprofile$/.test(f)) ?? files[0];
	return path.join(dir, main);
}

async function profiled(keyFile: string, load: ((api: string, headers: Record<string, string>) => Promise<LoadResult[]>) | null) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-crypto-prof-"));
	const platform = await startPlatformProcess({ ENCRYPTION_KEY_FILE: keyFile, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`, RATE_LIMIT_PREMIUM: "100000000" });
	let results: LoadResult[] = [];
	try {
		const api = `${platform.url}/api/v1`;
		const { token } = await json("POST", `${api}/auth/login`, { username: "admin", password: ADMIN_PASSWORD });
		if (load) results = await load(api, { authorization: `Bearer ${token}`, "content-type": "application/json" });
	} finally {
		await platform.stop();
	}
	const share = cryptoShare(mainProfile(dir));
	fs.rmSync(dir, { recursive: true, force: true });
	return { results, share };
}

async function main() {
	console.log(`bench:crypto on ${machine()}`);
	const layer = await repositoryLayer();
	const pct = (enc: number, plain: number) => Math.round((enc / plain - 1) * 1000) / 10;
	const layerRows = (["insert", "update", "read"] as const).map(k => ({
		operation: k,
		plain_ms: Math.round(layer.plain[k] * 1000) / 1000,
		encrypted_ms: Math.round(layer.encrypted[k] * 1000) / 1000,
		overhead_pct: pct(layer.encrypted[k], layer.plain[k]),
	}));

	const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-crypto-keys-")), "encryption-keys.json");
	writeKekFile(keyFile, [newKekEntry()]);
	const startOnly = await profiled(keyFile, null);
	const writes = await profiled(keyFile, async (api, headers) => {
		const paths: string[] = [];
		for (let i = 0; i < COMPANIES; i++)
			paths.push(`/api/v1/companies/${(await json("POST", `${api}/companies`, { name: `Crypto Bench Co ${i}`, industry: "technology" }, headers)).id}/risk-assessments`);
		const body = JSON.stringify({
			risk_type: "operational",
			title: "Key supplier fails to deliver",
			likelihood: 3,
			impact: 4,
			mitigation_strategies: ["second source"],
			treatment: { strategy: "mitigate", owner: "coo" },
		});
		return [await run(`POST manual risk assessment, ${COMPANIES} companies (stored, audited, folded)`, api, { method: "POST", body, headers, connections: 8, paths })];
	});
	const reads = await profiled(keyFile, async (api, headers) => {
		const id = (await json("POST", `${api}/companies`, { name: "Crypto Bench Read Co", industry: "technology" }, headers)).id;
		return [await run("GET company (cached)", `${api}/companies/${id}`, { headers, connections: 50 })];
	});
	const net = (p: { busy: number; crypto: number }) => ({ busy: p.busy - startOnly.share.busy, crypto: Math.max(0, p.crypto - startOnly.share.crypto) });
	const shareOf = (p: { busy: number; crypto: number }) => Math.round((net(p).crypto / Math.max(1, net(p).busy)) * 1000) / 10;
	const profileRows = [
		{ run: "start-up only (subtracted)", busy_samples: startOnly.share.busy, crypto_samples: startOnly.share.crypto, crypto_share_pct: null },
		{ run: "writes", busy_samples: writes.share.busy, crypto_samples: writes.share.crypto, crypto_share_pct: shareOf(writes.share) },
		{ run: "cached reads", busy_samples: reads.share.busy, crypto_samples: reads.share.crypto, crypto_share_pct: shareOf(reads.share) },
	];
	const loads = [...writes.results, ...reads.results];

	console.log("\nRepository layer (embedded store files), ms per operation, best of", ROUNDS, "rounds of", DOCS);
	console.log("| operation | plain ms | encrypted ms | overhead |\n|---|---:|---:|---:|");
	for (const r of layerRows) console.log(`| ${r.operation} | ${r.plain_ms} | ${r.encrypted_ms} | ${r.overhead_pct} % |`);
	console.log("\nThe platform as npm start runs it (CPU-profiled main thread)");
	console.log("| scenario | req/s | p50 ms | p99 ms | errors | non-2xx |\n|---|---:|---:|---:|---:|---:|");
	for (const r of loads) console.log(`| ${r.name} | ${r.requests_per_sec} | ${r.latency_p50_ms} | ${r.latency_p99_ms} | ${r.errors} | ${r.non_2xx} |`);
	console.log("| profile | busy samples | in encryption code | share of the run's own CPU |\n|---|---:|---:|---:|");
	for (const r of profileRows) console.log(`| ${r.run} | ${r.busy_samples} | ${r.crypto_samples} | ${r.crypto_share_pct ?? ""}${r.crypto_share_pct == null ? "" : " %"} |`);
	save("crypto", { machine: machine(), repository: layerRows, load: loads, profile: profileRows });
	fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
