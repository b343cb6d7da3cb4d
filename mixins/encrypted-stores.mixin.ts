/**
 * A service's collections with encrypted fields (models/encrypted-fields.ts), re-encrypted under their scopes'
 * active keys a batch at a time when the coordinator (auth's key rotation, docs/security.md) asks: every service
 * rewrites its own records, as it owns them.
 */
import type { Context } from "moleculer";
import { defineMixin } from "../lib/service";
import type { Repository } from "./db.mixin";
import type { ReencryptBatch, ReencryptParams } from "../contracts/encryption";

/** `repositories`: collection name → the service's field holding its repository (`store` for its own). */
export function createEncryptedStoresMixin(repositories: Record<string, string>) {
	return defineMixin()({
		actions: {
			reencryptStored: {
				visibility: "public",
				params: {
					$$strict: true,
					collection: { type: "enum", values: Object.keys(repositories) },
					after: { type: "string", max: 64, optional: true, nullable: true },
					limit: { type: "number", integer: true, min: 1, max: 1000 },
				},
				async handler(ctx: Context<ReencryptParams>): Promise<ReencryptBatch> {
					const repo = (this as unknown as Record<string, Repository>)[repositories[ctx.params.collection]];
					const { after, limit } = ctx.params;
					const docs = await repo.findStored({ query: after ? { _id: { $gt: repo.storedId(after) } } : {}, sort: ["_id"], limit });
					let rewritten = 0;
					for (const doc of docs) {
						// a record changed meanwhile was written under the active key already: nothing left to do
						if (await repo.reencrypt(doc)) rewritten++;
					}
					return { scanned: docs.length, rewritten, last: docs.length ? String(repo.raw(docs[docs.length - 1])._id) : (after ?? null), done: docs.length < limit };
				},
			},
		},
		methods: {
			/** The collections this service re-encrypts. */
			encryptedCollections(): string[] {
				return Object.keys(repositories);
			},
		},
	});
}
