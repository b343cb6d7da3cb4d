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

export const EncryptedStores = {
	/** `<service>.reencryptStored`: one batch of a collection's records re-encrypted under the active keys (mixins/encrypted-stores.mixin.ts). */
	of: (service: string) => action<ReencryptParams, ReencryptBatch>()(`${service}.reencryptStored`),
} as const;
