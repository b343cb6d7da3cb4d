/**
 * `npm run restore -- DIR [--replace]`: the backup in DIR written into the store this environment configures
 * (DATA_DIR, or MONGO_URI), with the platform stopped; refused whole when its manifest does not verify, or when the
 * store holds data and --replace is not given (lib/backup.ts; docs/operations.md, "Backup and restore").
 */
import { loadConfig } from "../config";
import { restore } from "../lib/backup";

async function main() {
	const dir = process.argv.slice(2).find(a => !a.startsWith("--"));
	if (!dir) throw new Error("usage: npm run restore -- DIR [--replace]");
	const config = loadConfig(process.env);
	const manifest = await restore(dir, { data_dir: config.data_dir, mongo_uri: config.mongo_uri }, { replace: process.argv.includes("--replace") });
	console.log(
		`Restored ${Object.keys(manifest.collections).length} collections and ${Object.keys(manifest.blobs).length} blobs from ${dir} (made ${manifest.created_at}); audit chain head ${manifest.audit.head_seq}`,
	);
}

main().catch(err => {
	console.error(`Restore failed: ${(err as Error).message}`);
	process.exit(1);
});
