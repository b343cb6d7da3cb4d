/**
 * `npm run keys -- new` prints a key file with one new key-encryption key (for a Secret: `npm run keys -- new >
 * encryption-keys.json`); `npm run keys -- add [--file F]` adds a new key to the file (ENCRYPTION_KEY_FILE by
 * default) — the platform's nodes, restarted with it, rewrap every data key by it; `npm run keys -- retire ID [--file
 * F]` removes an old key once `GET /encryption` shows no data key under it (docs/security.md, "Encryption at rest").
 */
import fs from "node:fs";
import { loadConfig } from "../config";
import { newKekEntry, readKekFile, writeKekFile } from "../lib/keyring";

function fileArg(): string {
	const at = process.argv.indexOf("--file");
	return at >= 0 ? process.argv[at + 1] : loadConfig(process.env).encryption.key_file;
}

function main(): void {
	const [command, arg] = process.argv.slice(2).filter((a, i, all) => a !== "--file" && all[i - 1] !== "--file");
	if (command === "new") {
		process.stdout.write(`${JSON.stringify({ keys: [newKekEntry()] }, null, 2)}\n`);
		return;
	}
	const file = fileArg();
	if (command === "add") {
		const keys = fs.existsSync(file) ? readKekFile(file) : [];
		const added = newKekEntry();
		writeKekFile(file, [...keys, added]);
		console.log(`Added key-encryption key ${added.id} to ${file} (${keys.length + 1} keys): roll the file out to every node; each rewraps the data keys by it`);
		return;
	}
	if (command === "retire") {
		const keys = readKekFile(file);
		if (!arg || !keys.some(k => k.id === arg)) throw new Error(`no key ${arg ?? "(none given)"} in ${file}: ${keys.map(k => k.id).join(", ")}`);
		if (keys[keys.length - 1].id === arg) throw new Error(`${arg} is the key in use (the last one): add a new one first`);
		writeKekFile(
			file,
			keys.filter(k => k.id !== arg),
		);
		console.log(`Removed key-encryption key ${arg} from ${file}: check first that GET /encryption shows no data key under it (data_keys.by_kek)`);
		return;
	}
	throw new Error("usage: npm run keys -- new | add [--file F] | retire KEY_ID [--file F]");
}

try {
	main();
} catch (err) {
	console.error(`keys: ${(err as Error).message}`);
	process.exit(1);
}
