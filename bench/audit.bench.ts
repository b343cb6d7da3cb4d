/**
 * Issue 27, item 3: audit appends per second on one node (goal ≥ 2,000/s, embedded and on MongoDB), with the
 * chain verified afterwards. Records go in as the audit middleware sends them — on the durable audit channel —
 * to the audit service of one broker (the embedded store, or CongoDB standing in for MongoDB), and the rate is
 * the time until the head holds them all. Baseline in the same run: the same number of inserts into a plain
 * collection of the same store, one at a time as an append did before batching.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startPlatform, type Platform } from "../test/helpers/platform";
import { newKekEntry, writeKekFile } from "../lib/keyring";
import { call, sendToChannel } from "../lib/contract-calls";
import { servicePrincipal } from "../lib/principal";
import { Audit } from "../contracts";
import { machine, save } from "./harness";
import { openStore, type Repository } from "../mixins/db.mixin";
import type { AuditRecord } from "../domains/audit/chain";

const RECORDS = 5000;

/** A key file for the MongoDB run (a node with MONGO_URI reads one; the embedded run makes its own). */
function keyFile(): string {
	const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bizops-bench-keys-")), "keys.json");
	writeKekFile(file, [newKekEntry()]);
	return file;
}

const record = (i: number, run: string): AuditRecord => ({
	event_id: `${run}-${i}`,
	action: "companies.updated",
	entity: { type: "companies", id: `c${i % 100}` },
	actor: { id: `u${i % 10}`, username: `analyst-${i % 10}`, role: "analyst" },
	request_id: `r${i}`,
	at: new Date().toISOString(),
	payload: { company: { id: `c${i % 100}`, name: `Company ${i % 100}`, industry: "technology" }, by: `u${i % 10}` },
	company_id: `c${i % 100}`,
	domain: "technology",
});

async function measure(name: string, env: Record<string, string>) {
	const platform: Platform = await startPlatform({ services: ["audit"], env: { ...env, LOG_LEVEL: "error" } });
	try {
		const audit = platform.broker.getLocalService("audit") as unknown as { store: Repository; heads: Repository; verifyChain?: unknown };
		const run = `bench-${Date.now()}`;
		// baseline: plain inserts into a collection of the same store, one at a time
		const plain = await openStore(platform.broker, `bench_plain_${Date.now()}`);
		let t = performance.now();
		for (let i = 0; i < 500; i++) await plain.insert({ probe: i, run });
		const insertsPerSec = 500 / ((performance.now() - t) / 1000);
		await plain.removeMany({ run });
		await plain.disconnect();
		const before = await audit.store.count({ query: {} });
		t = performance.now();
		await Promise.all(Array.from({ length: RECORDS }, (_, i) => sendToChannel(platform.broker, Audit.channels.events, record(i, run))));
		while ((await audit.store.count({ query: {} })) < before + RECORDS) await new Promise(r => setTimeout(r, 20));
		const seconds = (performance.now() - t) / 1000;
		const verified = await call(platform.broker, Audit.actions.verify, {}, { meta: { user: servicePrincipal("bench") }, timeout: 0 });
		return {
			store: name,
			records: RECORDS,
			seconds: Math.round(seconds * 100) / 100,
			appends_per_sec: Math.round(RECORDS / seconds),
			plain_inserts_per_sec: Math.round(insertsPerSec),
			chain_ok: verified.ok,
			entries_checked: verified.entries_checked,
		};
	} finally {
		await platform.stop();
	}
}

async function main() {
	console.log(`bench:audit on ${machine()}`);
	const rows = [await measure("embedded (NeDB)", { ENCRYPTION_KEY_FILE: keyFile() })];
	// CongoDB (the in-process MongoDB the tests use; ESM-only, hence the dynamic import) stands in for MongoDB
	const esm = new Function("s", "return import(s)") as (s: string) => Promise<{ congodb: { CongoServer: new (o: object) => { start(): Promise<void>; stop(): Promise<void> } } }>;
	const { congodb } = await esm("@push.rocks/smartmongo");
	const port = 27900 + Math.floor(Math.random() * 90);
	const congo = new congodb.CongoServer({ port, host: "127.0.0.1" });
	await congo.start();
	try {
		rows.push(await measure("MongoDB wire protocol (CongoDB)", { MONGO_URI: `mongodb://127.0.0.1:${port}/bench_audit`, ENCRYPTION_KEY_FILE: keyFile() }));
	} finally {
		await congo.stop();
	}
	console.log("| store | records | s | appends/s | plain inserts/s (one at a time) | chain |\n|---|---:|---:|---:|---:|---|");
	for (const r of rows)
		console.log(
			`| ${r.store} | ${r.records} | ${r.seconds} | ${r.appends_per_sec} | ${r.plain_inserts_per_sec} | ${r.chain_ok ? `verifies (${r.entries_checked})` : "BROKEN"} |`,
		);
	save("audit", { machine: machine(), rows });
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
