/**
 * `npm run backup -- --out DIR`: every collection and blob of the store this environment configures (DATA_DIR, or
 * MONGO_URI), with a manifest of counts, SHA-256 per file and the audit chain's head (lib/backup.ts;
 * docs/operations.md, "Backup and restore").
 */
import { loadConfig } from "../config";
import { packageVersion } from "../config/files";
import { backup } from "../lib/backup";

async function main() {
	const at = process.argv.indexOf("--out");
	const out = at >= 0 ? process.argv[at + 1] : undefined;
	if (!out) throw new Error("usage: npm run backup -- --out DIR (a new or empty folder)");
	const config = loadConfig(process.env);
	const manifest = await backup({ data_dir: config.data_dir, mongo_uri: config.mongo_uri }, out, packageVersion());
	const documents = Object.values(manifest.collections).reduce((n, c) => n + c.count, 0);
	console.log(
		`Backed up ${Object.keys(manifest.collections).length} collections (${documents} documents) and ${Object.keys(manifest.blobs).length} blobs of the ${manifest.store} store to ${out}; audit chain head ${manifest.audit.head_seq} (${manifest.audit.head_hash.slice(0, 12)}…)`,
	);
}

main().catch(err => {
	console.error(`Backup failed: ${(err as Error).message}`);
	process.exit(1);
});
