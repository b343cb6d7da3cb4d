/**
 * Encryption at rest from the REPL (docs/security.md, "Encryption at rest"): the keys' status and the background
 * re-encryption's progress, as `GET /encryption` answers them, and a rotation of the data keys.
 */
import { call } from "../lib/contract-calls";
import { Auth } from "../contracts";
import { asOperator, show, type ReplCommand } from "./index";
import type { EncryptionStatus } from "../contracts/encryption";

function describe(s: EncryptionStatus): string {
	const states = Object.entries(s.data_keys.by_state)
		.map(([state, n]) => `${n} ${state}`)
		.join(", ");
	const lines = [
		`key-encryption key ${s.kek.id}: ${s.kek.age_days} days old${s.kek.rotation_due ? " — ROTATION DUE (npm run keys -- add)" : ""}, ${s.kek.keys_in_file} in the key file`,
		`data keys: ${states || "none yet"} over ${s.data_keys.scopes} scopes; wrapped by ${Object.keys(s.data_keys.by_kek).join(", ") || "—"}`,
		`re-encryption: ${s.reencryption.state}${s.reencryption.error ? ` (${s.reencryption.error})` : ""}`,
	];
	for (const [target, p] of Object.entries(s.reencryption.progress)) lines.push(`  ${target}: ${p.scanned} scanned, ${p.rewritten} rewritten${p.done ? ", done" : ""}`);
	return lines.join("\n");
}

const commands: ReplCommand[] = [
	{
		command: "encryption",
		description: "bizops: the encryption keys' status (ages, states, wrapping key) and the background re-encryption's progress",
		async action(broker) {
			show(describe(await call(broker, Auth.actions.encryptionStatus, {}, asOperator)));
		},
	},
	{
		command: "encryption-rotate [scope]",
		description: "bizops: new data keys for every scope (or one: domain:<industry>, person:<user id>, platform); old values re-encrypted in the background",
		async action(broker, args) {
			const s = await call(broker, Auth.actions.rotateKeys, args.scope ? { scopes: [String(args.scope)] } : {}, asOperator);
			show(`rotated: ${(s.rotated ?? []).join(", ") || "nothing (no key in that scope yet)"}`);
			show(describe(s));
		},
	},
];

export default commands;
