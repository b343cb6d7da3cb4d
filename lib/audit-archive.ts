/**
 * The audit trail's archive (docs/audit.md, "Retention and archive"): the oldest entries, as stored (what the hash
 * chain covers), written to `AUDIT_ARCHIVE_DIR` as NDJSON files with a manifest each, and read back and verified —
 * the chain from the previous archive's last hash, the count, the file's SHA-256 — before anything is removed from
 * the store. The store keeps the last archived entry's seq and hash, from which `/audit/verify` checks the rest.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { firstBreak, GENESIS_HASH, type AuditEntry } from "../domains/audit/chain";
import { writeFileAtomic } from "./atomic-file";

export interface ArchiveManifest {
	file: string;
	from_seq: number;
	to_seq: number;
	/** The hash of the entry before `from_seq` (the genesis hash for the first archive). */
	prev_hash: string;
	last_hash: string;
	count: number;
	sha256: string;
	created_at: string;
}

/** Where the trail is archived through: the last archived entry (null: nothing archived yet). */
export type ArchiveAnchor = { seq: number; hash: string } | null;

const fileName = (from: number, to: number) => `audit-${String(from).padStart(12, "0")}-${String(to).padStart(12, "0")}`;

/** Writes `entries` (in chain order, right after `anchor`) as an archive file and its manifest, then reads both back and verifies them. */
export async function writeArchive(dir: string, entries: AuditEntry[], anchor: ArchiveAnchor): Promise<ArchiveManifest> {
	const from = entries[0].seq;
	const to = entries[entries.length - 1].seq;
	const broken = firstBreak(entries, anchor ?? null);
	if (broken) throw new Error(`audit entry ${broken.seq}: ${broken.reason}: nothing archived`);
	await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
	const base = fileName(from, to);
	const text = entries.map(e => JSON.stringify(e)).join("\n") + "\n";
	const manifest: ArchiveManifest = {
		file: `${base}.ndjson`,
		from_seq: from,
		to_seq: to,
		prev_hash: anchor?.hash ?? GENESIS_HASH,
		last_hash: entries[entries.length - 1].hash,
		count: entries.length,
		sha256: createHash("sha256").update(text).digest("hex"),
		created_at: new Date().toISOString(),
	};
	await writeFileAtomic(path.join(dir, manifest.file), text);
	await writeFileAtomic(path.join(dir, `${base}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
	const problem = await verifyArchiveFile(dir, manifest, anchor);
	if (problem) throw new Error(`the archive ${manifest.file} does not verify after writing (${problem}): nothing removed`);
	return manifest;
}

/** What is wrong with one archive file against its manifest and the anchor before it; null when it verifies. */
export async function verifyArchiveFile(dir: string, manifest: ArchiveManifest, anchor: ArchiveAnchor): Promise<string | null> {
	const text = await fs.promises.readFile(path.join(dir, manifest.file), "utf8").catch(() => null);
	if (text === null) return `${manifest.file} is missing`;
	if (createHash("sha256").update(text).digest("hex") !== manifest.sha256) return `${manifest.file}: its SHA-256 is not the manifest's`;
	const entries = text
		.split("\n")
		.filter(Boolean)
		.map(l => JSON.parse(l) as AuditEntry);
	if (entries.length !== manifest.count) return `${manifest.file}: ${entries.length} entries, the manifest says ${manifest.count}`;
	if ((anchor?.hash ?? GENESIS_HASH) !== manifest.prev_hash) return `${manifest.file} does not follow the archive before it`;
	const broken = firstBreak(entries, anchor);
	if (broken) return `${manifest.file}: entry ${broken.seq}: ${broken.reason}`;
	if (entries[entries.length - 1]?.hash !== manifest.last_hash) return `${manifest.file}: its last hash is not the manifest's`;
	return null;
}

/** Verifies every archive in `dir`, in order from the genesis: the anchor they end at, or the first problem. */
export async function verifyArchives(dir: string): Promise<{ anchor: ArchiveAnchor; files: number; problem: string | null }> {
	const manifests = (await fs.promises.readdir(dir).catch(() => [] as string[]))
		.filter(f => /^audit-\d{12}-\d{12}\.json$/.test(f))
		.sort()
		.map(f => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as ArchiveManifest);
	let anchor: ArchiveAnchor = null;
	for (const m of manifests) {
		const problem = await verifyArchiveFile(dir, m, anchor);
		if (problem) return { anchor, files: manifests.indexOf(m), problem };
		anchor = { seq: m.to_seq, hash: m.last_hash };
	}
	return { anchor, files: manifests.length, problem: null };
}
