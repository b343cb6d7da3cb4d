/**
 * Backups from the REPL (docs/operations.md, "Backup and restore"): the same as `npm run backup`, of the store this
 * node is configured for, and a check of a backup folder before it is restored. A restore is not offered here: it
 * runs with the platform stopped (`npm run restore`).
 */
import { configOf } from "../config";
import { packageVersion } from "../config/files";
import { backup, verifyBackup } from "../lib/backup";
import { show, type ReplCommand } from "./index";

const commands: ReplCommand[] = [
	{
		command: "backup <dir>",
		description: "bizops: back up every collection and blob of the store (DATA_DIR or MONGO_URI) into a new folder, with its manifest",
		async action(broker, args) {
			const config = configOf(broker);
			const manifest = await backup({ data_dir: config.data_dir, mongo_uri: config.mongo_uri }, String(args.dir), packageVersion());
			const documents = Object.values(manifest.collections).reduce((n, c) => n + c.count, 0);
			show(
				`backed up ${Object.keys(manifest.collections).length} collections (${documents} documents) and ${Object.keys(manifest.blobs).length} blobs to ${args.dir}; audit chain head ${manifest.audit.head_seq}`,
			);
		},
	},
	{
		command: "backup-verify <dir>",
		description: "bizops: check a backup folder against its manifest (files, counts, SHA-256s, the audit chain) before restoring it",
		async action(_broker, args) {
			const { manifest, problems } = await verifyBackup(String(args.dir));
			if (problems.length) show(`backup in ${args.dir} does NOT verify:\n- ${problems.join("\n- ")}`);
			else
				show(
					`backup in ${args.dir} verifies: ${Object.keys(manifest!.collections).length} collections, made ${manifest!.created_at}, audit chain head ${manifest!.audit.head_seq}`,
				);
		},
	},
];

export default commands;
