/**
 * Retention (issue 26, docs/operations.md "Retention"): drift counts, the scores a model gave companies and the
 * overviews of deleted companies are removed once older than their setting, by the owning service's sweep; what is
 * younger stays, and 0 keeps everything.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ADMIN_PASSWORD, eventually, startPlatform, type Platform } from "../helpers/platform";
import { verifyArchives } from "../../lib/audit-archive";
import { sendToChannel } from "../../lib/contract-calls";
import { Audit } from "../../contracts";
import type { Repository } from "../../mixins/db.mixin";

const SERVICES = ["api", "auth", "companies", "flags", "audit", "overview", "ml.registry", "ml.datasets", "ml.prediction"];
const DAY = 86_400_000;

describe("retention", () => {
	let platform: Platform;
	afterEach(() => platform?.stop());

	it("removes drift counts and company scores past their days, and keeps the younger ones", async () => {
		platform = await startPlatform({
			services: SERVICES,
			env: { ML_DEFAULT_MODEL: "false", ML_SHIPPED_DATASETS: "false", RETENTION_DRIFT_COUNTS_DAYS: "30", RETENTION_COMPANY_SCORES_DAYS: "0" },
		});
		const prediction = platform.broker.getLocalService("ml.prediction") as unknown as {
			driftCounts: Repository;
			companyScores: Repository;
			sweepRetention(): Promise<{ drift_counts: number; company_scores: number }>;
		};
		const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
		for (const daysAgo of [45, 31, 29, 1]) await prediction.driftCounts.insert({ model_id: "m1", version: 1, counts: {}, at: at(daysAgo) });
		for (const daysAgo of [400, 2]) await prediction.companyScores.insert({ model_id: "m1", version: 1, company_id: "c1", at: at(daysAgo) });
		expect(await prediction.sweepRetention()).toEqual({ drift_counts: 2, company_scores: 0 });
		const left = (await prediction.driftCounts.find({ query: {} })).map(d => d.at as string).sort();
		expect(left).toHaveLength(2);
		expect(Date.parse(left[0])).toBeGreaterThan(Date.now() - 30 * DAY);
		// RETENTION_COMPANY_SCORES_DAYS=0: kept forever
		expect(await prediction.companyScores.count({ query: {} })).toBe(2);
	});

	it("removes a deleted company's overview once its tombstone is past its days", async () => {
		platform = await startPlatform({ services: SERVICES, env: { ML_DEFAULT_MODEL: "false", ML_SHIPPED_DATASETS: "false", RETENTION_OVERVIEW_TOMBSTONES_DAYS: "0.00002" } });
		const token = await platform.login("admin", ADMIN_PASSWORD);
		const gone = (await platform.request("POST", "/companies", { token, body: { name: "Gone Co", industry: "technology" } })).body;
		const kept = (await platform.request("POST", "/companies", { token, body: { name: "Kept Co", industry: "technology" } })).body;
		expect((await platform.request("DELETE", `/companies/${gone.id}`, { token })).status).toBe(200);
		const overview = platform.broker.getLocalService("overview") as unknown as { store: Repository; sweepRetention(): Promise<number> };
		const tombstone = await eventually(
			"the tombstone",
			async () => overview.store.findOne({ company_id: gone.id, deleted: true }),
			found => !!found,
			200,
			50,
		);
		const expires = Date.parse(tombstone!.updated_at as string) + 0.00002 * DAY;
		await eventually(
			"its retention past",
			async () => Date.now(),
			now => now > expires,
			100,
			50,
		);
		expect(await overview.sweepRetention()).toBe(1);
		expect(await overview.store.findOne({ company_id: gone.id })).toBeNull();
		expect((await platform.request("GET", `/companies/${kept.id}/overview`, { token })).status).toBe(200);
	});

	it("archives the trail's entries past RETENTION_AUDIT_DAYS (verified before they leave the store); the chain still verifies from the archive", async () => {
		const archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-audit-archive-"));
		platform = await startPlatform({
			services: SERVICES,
			env: { ML_DEFAULT_MODEL: "false", ML_SHIPPED_DATASETS: "false", RETENTION_AUDIT_DAYS: "30", AUDIT_ARCHIVE_DIR: archiveDir },
		});
		const audit = platform.broker.getLocalService("audit") as unknown as { archiveOld(): Promise<number>; store: Repository };
		// records of 40 days ago, as the audit channel delivers them (events of an earlier time), then today's
		const old = Array.from({ length: 25 }, (_, i) => ({
			event_id: `old-${i}-${Date.now()}`,
			action: "companies.created",
			entity: { type: "companies", id: `c${i}` },
			actor: { id: "u-old", username: "old-analyst", role: "analyst" },
			request_id: null,
			at: new Date(Date.now() - 40 * DAY + i * 1000).toISOString(),
			payload: { n: i },
			company_id: null,
			domain: "technology",
		}));
		for (const record of old) await sendToChannel(platform.broker, Audit.channels.events, record);
		await eventually(
			"the old records appended",
			() => audit.store.count({ query: {} }),
			n => n >= 25,
			200,
			50,
		);
		const token = await platform.login("admin", ADMIN_PASSWORD);
		await platform.request("POST", "/companies", { token, body: { name: "Recent Co", industry: "technology" } });
		// old again after today's: the chain is archived from its start only, so these stay
		for (const record of old.slice(0, 3)) await sendToChannel(platform.broker, Audit.channels.events, { ...record, event_id: `${record.event_id}-late` });
		const before = await eventually(
			"every record appended",
			async () => (await platform.request("GET", "/audit/verify", { token })).body,
			v => v.ok && v.entries_checked >= 29,
			200,
			50,
		);
		expect(fs.readdirSync(archiveDir)).toEqual([]);
		expect(await audit.archiveOld()).toBe(25);
		expect(await audit.archiveOld()).toBe(0);
		const verified = await verifyArchives(archiveDir);
		expect(verified).toEqual({ anchor: { seq: 25, hash: expect.any(String) }, files: 1, problem: null });
		expect(await audit.store.count({ query: { seq: { $lte: 25 } } })).toBe(0);
		const after = (await platform.request("GET", "/audit/verify", { token })).body;
		expect(after).toMatchObject({ ok: true, archived_through: 25, head_seq: before.head_seq, entries_checked: before.entries_checked - 25 });
		// the archive is the stored entries: their chain checks from the genesis, and a changed line is named
		const file = path.join(
			archiveDir,
			fs.readdirSync(archiveDir).find(f => f.endsWith(".ndjson"))!,
		);
		fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"action":"companies.created"', '"action":"companies.deleted"'));
		expect((await verifyArchives(archiveDir)).problem).toMatch(/SHA-256 is not the manifest's/);
	});
});
