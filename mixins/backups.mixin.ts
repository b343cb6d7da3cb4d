/**
 * Backups over the API (docs/operations.md, "Backup and restore"), kept by auth for a super_admin: the same backup as
 * `npm run backup` and the REPL's, written under BACKUP_DIR (a folder the operator configured, never a path a caller
 * names), listed with their manifests, and verified on demand. Restoring replaces the live store: it stays a step
 * for an operator with the platform stopped (`npm run restore`).
 */
import fs from "node:fs";
import path from "node:path";
import type { Context } from "moleculer";
import { defineMixin, NOT_RETRIED } from "../lib/service";
import { backup, verifyBackup } from "../lib/backup";
import { packageVersion } from "../config/files";
import { conflict, notFound } from "../models/errors";
import type { Config } from "../config";
import { emit } from "../lib/contract-calls";
import { principalOf } from "../lib/principal";
import { Auth } from "../contracts";

const NAME = /^backup-\d{8}T\d{6}Z(-\d+)?$/;

/** The folder backups go to: BACKUP_DIR, or `./backups` beside the embedded store; with MongoDB it must be configured. */
export function backupDir(config: Config): string | null {
	return config.backup_dir ?? (config.mongo_uri ? null : path.resolve("backups"));
}

export const BackupsMixin = defineMixin<{ backupRunning?: boolean }, { config: Config }>()({
	actions: {
		createBackup: {
			openapi: {
				summary: "Back up the platform",
				description:
					"Every collection and blob, with a manifest (counts, SHA-256 per file, the audit chain's head), into a new folder under BACKUP_DIR; one at a time (409 while one runs). The encryption keys are not in it: back ENCRYPTION_KEY_FILE up apart.",
				response: "Backup",
				status: 201,
				errors: [409],
				example: {},
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /backups",
			role: "super_admin",
			timeout: 0,
			params: { $$strict: true },
			async handler(ctx: Context) {
				const dir = backupDir(this.config);
				if (!dir) throw conflict("BACKUP_DIR is not set: with MONGO_URI, backups go to a folder the operator configures (or use mongodump, docs/operations.md)");
				if (this.backupRunning) throw conflict("A backup is running: try again when it is done");
				this.backupRunning = true;
				try {
					await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
					const stamp = new Date()
						.toISOString()
						.replace(/[-:]/g, "")
						.replace(/\.\d+Z$/, "Z");
					let name = `backup-${stamp}`;
					for (let i = 2; fs.existsSync(path.join(dir, name)); i++) name = `backup-${stamp}-${i}`;
					const manifest = await backup({ data_dir: this.config.data_dir, mongo_uri: this.config.mongo_uri }, path.join(dir, name), packageVersion());
					emit(ctx, Auth.events.backupCreated, { name, by: principalOf(ctx).id, audit_head_seq: manifest.audit.head_seq });
					Object.assign(ctx.meta as object, { $statusCode: 201, $location: `/api/v1/backups/${name}` });
					return summaryOf(name, manifest);
				} finally {
					this.backupRunning = false;
				}
			},
		},
		listBackups: {
			openapi: { summary: "List the backups", description: "The backups under BACKUP_DIR, newest first, each with its manifest's summary.", response: "Backups" },
			rest: "GET /backups",
			role: "super_admin",
			async handler() {
				const dir = backupDir(this.config);
				const names = dir && fs.existsSync(dir) ? fs.readdirSync(dir).filter(n => NAME.test(n) && fs.existsSync(path.join(dir, n, "manifest.json"))) : [];
				const rows = names
					.sort()
					.reverse()
					.map(n => summaryOf(n, JSON.parse(fs.readFileSync(path.join(dir!, n, "manifest.json"), "utf8"))));
				return { rows, folder: dir };
			},
		},
		getBackup: {
			openapi: { summary: "Get a backup", description: "One backup under BACKUP_DIR: its manifest's summary.", response: "Backup" },
			rest: "GET /backups/:name",
			role: "super_admin",
			params: { $$strict: true, name: { type: "string", pattern: NAME, messages: { stringPattern: "{field}: a backup's name, as GET /backups lists it" } } },
			async handler(ctx: Context<{ name: string }>) {
				return summaryOf(ctx.params.name, readManifest(this.config, ctx.params.name));
			},
		},
		verifyBackup: {
			openapi: {
				summary: "Verify a backup",
				description: "Checks every file against the manifest and the audit chain, as a restore would first.",
				response: "BackupVerification",
			},
			rest: "POST /backups/:name/verify",
			role: "super_admin",
			timeout: 0,
			params: { $$strict: true, name: { type: "string", pattern: NAME, messages: { stringPattern: "{field}: a backup's name, as GET /backups lists it" } } },
			async handler(ctx: Context<{ name: string }>) {
				readManifest(this.config, ctx.params.name);
				const { problems } = await verifyBackup(path.join(backupDir(this.config)!, ctx.params.name));
				return { name: ctx.params.name, ok: problems.length === 0, problems };
			},
		},
	},
});

/** The manifest of backup `name` under BACKUP_DIR; 404 when there is none. */
function readManifest(config: Config, name: string) {
	const dir = backupDir(config);
	const file = dir && path.join(dir, name, "manifest.json");
	if (!file || !fs.existsSync(file)) throw notFound("Backup", name);
	return JSON.parse(fs.readFileSync(file, "utf8"));
}

function summaryOf(
	name: string,
	manifest: { created_at: string; store: string; platform_version: string; collections: Record<string, { count: number }>; blobs: object; audit: { head_seq: number } },
) {
	return {
		name,
		created_at: manifest.created_at,
		store: manifest.store,
		platform_version: manifest.platform_version,
		collections: Object.keys(manifest.collections).length,
		documents: Object.values(manifest.collections).reduce((n, c) => n + c.count, 0),
		blobs: Object.keys(manifest.blobs).length,
		audit_head_seq: manifest.audit.head_seq,
	};
}
