/** Encryption at rest's administration (auth: docs/security.md, "Encryption at rest"), and every service's re-encryption of its own records. */
import { action } from "./contract";

export interface ReencryptParams {
	collection: string;
	after?: string | null;
	limit: number;
}
export interface ReencryptBatch {
	scanned: number;
	rewritten: number;
	/** The last record id scanned: the next batch starts after it. */
	last: string | null;
	done: boolean;
}

/** What `GET /encryption` answers (auth's key administration, mixins/key-administration.mixin.ts). */
export interface EncryptionStatus {
	kek: { id: string; created_at: string; age_days: number; rotation_due: boolean; keys_in_file: number };
	key_rotation_days: number;
	data_keys: { by_state: Record<string, number>; by_kek: Record<string, number>; scopes: number; oldest_active_days: number | null };
	reencryption: {
		state: string;
		kids: string[];
		started_at: string | null;
		ended_at: string | null;
		error: string | null;
		progress: Record<string, { scanned: number; rewritten: number; last: string | null; done: boolean }>;
	};
	/** POST /encryption/rotate: the key ids that took over. */
	rotated?: string[];
}

export const EncryptedStores = {
	/** `<service>.reencryptStored`: one batch of a collection's records re-encrypted under the active keys (mixins/encrypted-stores.mixin.ts). */
	of: (service: string) => action<ReencryptParams, ReencryptBatch>()(`${service}.reencryptStored`),
} as const;
