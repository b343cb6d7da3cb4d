/**
 * Encryption at rest's administration (docs/security.md, "Encryption at rest"), kept by auth: key status, rotation by
 * age and on demand, the rewrapping of data keys when ENCRYPTION_KEY_FILE gains a new key-encryption key, and the
 * background re-encryption (lib/key-rotation.ts) driven through every service that owns encrypted records.
 */
import type { Context } from "moleculer";
import { defineMixin, NOT_RETRIED } from "../lib/service";
import { CACHE_MS, type Keyring } from "../lib/keyring";
import { JOB_ID, runJob, startJob, targetKey, type ReencryptionJob, type Target } from "../lib/key-rotation";
import { openStore, SharedKeyringLease, type Repository } from "./db.mixin";
import { atStartup } from "../lib/startup";
import { call, emit } from "../lib/contract-calls";
import { principalOf, servicePrincipal } from "../lib/principal";
import { configOf, type Config } from "../config";
import { Auth } from "../contracts";
import { EncryptedStores, type EncryptionStatus } from "../contracts/encryption";
import type { KeyScope } from "../models/encrypted-fields";

/** How often each auth node checks key ages, a changed key file and a re-encryption to run. */
export const KEY_CHECK_MS = 60_000;
const DAY_MS = 86_400_000;

type This = {
	keyLease: SharedKeyringLease;
	keyJobs: Repository;
	keyTimer?: NodeJS.Timeout;
	keyCheckSoon?: NodeJS.Timeout;
	keyChecksStopped?: boolean;
	keyCheckRunning?: Promise<unknown>;
	keyring(): Promise<Keyring>;
	rotateDataKeys(scopes: KeyScope[] | undefined, by: string, reason: string): Promise<string[]>;
	reencryptionTargets(): Target[];
	keyCheck(): Promise<void>;
	scheduleKeyCheck(delayMs: number): void;
	runKeyCheck(): void;
	encryptionStatus(): Promise<EncryptionStatus>;
};

/** What GET /encryption answers. */
async function statusOf(ring: Keyring, jobs: Repository, days: number): Promise<EncryptionStatus> {
	const keys = await ring.list();
	const kek = ring.currentKek;
	const ageDays = (iso: string) => Math.floor((Date.now() - Date.parse(iso)) / DAY_MS);
	const count = (pick: (k: (typeof keys)[number]) => string | undefined) =>
		keys.reduce<Record<string, number>>((acc, k) => {
			const v = pick(k);
			if (v) acc[v] = (acc[v] ?? 0) + 1;
			return acc;
		}, {});
	const active = keys.filter(k => k.state === "active");
	const job = (await jobs.findByKey(JOB_ID)) as ReencryptionJob | null;
	return {
		kek: {
			id: kek.id,
			created_at: kek.created_at,
			age_days: ageDays(kek.created_at),
			rotation_due: days > 0 && ageDays(kek.created_at) >= days,
			keys_in_file: ring.kekEntries.length,
		},
		key_rotation_days: days,
		data_keys: {
			by_state: count(k => k.state),
			by_kek: count(k => k.kek_id),
			scopes: new Set(keys.map(k => k.scope)).size,
			oldest_active_days: active.length ? Math.max(...active.map(k => ageDays(k.created_at))) : null,
		},
		reencryption: job
			? { state: job.state as string, kids: job.kids, started_at: job.started_at as string | null, ended_at: job.ended_at, error: job.error, progress: job.progress }
			: { state: "none", kids: [] as string[], started_at: null, ended_at: null, error: null, progress: {} },
	};
}

export const KeyAdministrationMixin = defineMixin<This, { config: Config }>()({
	actions: {
		encryptionStatus: {
			openapi: {
				summary: "Encryption at rest: keys and re-encryption",
				description:
					"The key-encryption key in use (its age and whether rotation is due), the data keys by state, and the background re-encryption's progress per collection.",
				response: "EncryptionStatus",
			},
			rest: "GET /encryption",
			role: "super_admin",
			async handler() {
				return this.encryptionStatus();
			},
		},
		rotateKeys: {
			openapi: {
				summary: "Rotate the data keys",
				description:
					"New data keys take over for every scope (or those given) at once; values under the earlier ones are re-encrypted in the background (GET /encryption shows its progress) and stay readable meanwhile.",
				response: "EncryptionStatus",
				status: 202,
				example: {},
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /encryption/rotate",
			role: "super_admin",
			params: { $$strict: true, scopes: { type: "array", items: { type: "string", min: 1, max: 200 }, max: 100, optional: true } },
			async handler(ctx: Context<{ scopes?: string[] }>) {
				const kids = await this.rotateDataKeys(ctx.params.scopes as KeyScope[] | undefined, principalOf(ctx).id, "requested");
				(ctx.meta as { $statusCode?: number }).$statusCode = 202;
				return { ...(await this.encryptionStatus()), rotated: kids };
			},
		},
	},
	methods: {
		async keyring(): Promise<Keyring> {
			return this.keyLease.get();
		},

		async rotateDataKeys(scopes: KeyScope[] | undefined, by: string, reason: string): Promise<string[]> {
			const kids = await (await this.keyring()).rotate(scopes);
			if (kids.length) {
				await startJob(this.keyJobs, kids, 2 * CACHE_MS);
				emit(this.broker, Auth.events.keysRotated, { kids, by, reason });
				this.scheduleKeyCheck(2 * CACHE_MS + 100);
			}
			return kids;
		},

		/** The services owning encrypted collections (each answers for its own), in a stable order. */
		reencryptionTargets(): Target[] {
			const services = this.broker.registry.getServiceList({ onlyAvailable: true, withActions: true }) as Array<{
				name: string;
				actions?: Record<string, { params?: { collection?: { values?: string[] } } }>;
			}>;
			const targets: Target[] = [];
			for (const s of services) {
				const action = s.actions?.[`${s.name}.reencryptStored`];
				for (const collection of action?.params?.collection?.values ?? []) targets.push({ service: s.name, collection });
			}
			return [...new Map(targets.map(t => [targetKey(t), t])).values()].sort((a, b) => targetKey(a).localeCompare(targetKey(b)));
		},

		/** What is due: a new key-encryption key rewraps the data keys; keys past their age rotate; a waiting re-encryption runs. */
		async keyCheck(): Promise<void> {
			const ring = await this.keyring();
			const rewrapped = await ring.rewrap();
			if (rewrapped) this.logger.info(`Encryption at rest: ${rewrapped} data keys rewrapped by key-encryption key ${ring.currentKek.id}`);
			const days = this.config.encryption.key_rotation_days;
			if (days > 0) {
				const due = (await ring.list()).filter(k => k.state === "active" && Date.now() - Date.parse(k.created_at) > days * DAY_MS).map(k => k.scope);
				if (due.length) await this.rotateDataKeys(due, "system", `older than ${days} days`);
			}
			const job = await runJob(this.keyJobs, this.reencryptionTargets(), (t, after, limit) =>
				call(this.broker, EncryptedStores.of(t.service), { collection: t.collection, after, limit }, { meta: { user: servicePrincipal("auth") } }),
			);
			if (job && (job.state === "done" || job.state === "failed")) {
				const rewritten = Object.values(job.progress).reduce((n, p) => n + p.rewritten, 0);
				emit(this.broker, Auth.events.reencryptionEnded, { state: job.state, rewritten, error: job.error });
				if (job.state === "failed") this.logger.error(`Encryption at rest: re-encryption failed: ${job.error}`);
			}
		},

		scheduleKeyCheck(delayMs: number): void {
			clearTimeout(this.keyCheckSoon);
			this.keyCheckSoon = setTimeout(() => this.runKeyCheck(), delayMs);
			this.keyCheckSoon.unref();
		},

		/** One check at a time on this node (a timer and a rotation may both ask), none once the service stops. */
		runKeyCheck(): void {
			if (this.keyCheckRunning || this.keyChecksStopped) return;
			this.keyCheckRunning = this.keyCheck()
				.catch((err: Error) => this.logger.warn(`Encryption at rest: key check failed: ${err.message}`))
				.finally(() => (this.keyCheckRunning = undefined));
		},

		async encryptionStatus() {
			return statusOf(await this.keyring(), this.keyJobs, this.config.encryption.key_rotation_days);
		},
	},
	async started() {
		const config = configOf(this.broker);
		this.keyLease = new SharedKeyringLease(config, this.logger);
		this.keyJobs = await atStartup(this, "auth: opening encryption_jobs", () => openStore(this.broker, "encryption_jobs"));
		await atStartup(this, "auth: reading the encryption keys", () => this.keyLease.get());
		this.keyTimer = setInterval(() => this.runKeyCheck(), KEY_CHECK_MS);
		this.keyTimer.unref();
		this.scheduleKeyCheck(1000);
	},
	async stopped() {
		this.keyChecksStopped = true;
		clearInterval(this.keyTimer);
		clearTimeout(this.keyCheckSoon);
		await this.keyCheckRunning;
		await this.keyJobs?.disconnect();
		await this.keyLease?.release();
	},
});
