/**
 * What a service holds about a person, for a GDPR access request (docs/security.md, "Personal data"): the
 * service's records whose `fields` name the person (`created_by`, an owner), answered by a `personalData` action
 * auth's `GET /users/:id/personal-data` calls on every service that has one. Regulation (EU) 2016/679, Art. 15.
 */
import type { Context } from "moleculer";
import { defineMixin } from "../lib/service";
import type { DbMethods, Doc, Repository } from "./db.mixin";
import { mapAtPath } from "../lib/field-cipher";
import { ERASED } from "../lib/keyring";
import type { PersonalDataRecords } from "../contracts/personal-data";

/** Every record of `repo` (a page at a time) with `username` at one of `paths` replaced by `[erased]`; how many changed. */
async function eraseMentions(repo: Repository, paths: string[], username: string): Promise<number> {
	let changed = 0;
	let after: unknown = undefined;
	for (;;) {
		const docs = await repo.find({ query: after === undefined ? {} : { _id: { $gt: after } }, sort: ["_id"], limit: 500 });
		for (const doc of docs) {
			const set: Doc = {};
			for (const path of paths) {
				const top = path.split(/[.[]/)[0];
				const replaced = mapAtPath({ [top]: set[top] ?? doc[top] }, path, v => (v === username ? ERASED : v)) as Doc;
				if (JSON.stringify(replaced[top]) !== JSON.stringify(doc[top])) set[top] = replaced[top];
			}
			if (Object.keys(set).length && (await repo.updateById(doc._id, { $set: set }))) changed++;
		}
		if (docs.length < 500) return changed;
		after = docs[docs.length - 1]._id;
	}
}

/** Records one service answers at most: the answer says when there were more. */
export const PERSONAL_DATA_LIMIT = 1000;

/**
 * `kind`: what the records are (plural noun); `fields`: where they name a person, by username or by user id
 * (queried); `mentions`: per repository of the service, further paths (nested, or encrypted) where a username may
 * stand, replaced on erasure by a scan of the collection.
 */
export function createPersonalDataMixin(kind: string, fields: { username?: string[]; user_id?: string[]; mentions?: Record<string, string[]> }) {
	return defineMixin<{ store: Repository }, DbMethods>()({
		actions: {
			personalData: {
				visibility: "public",
				params: { $$strict: true, username: { type: "string", min: 1, max: 100 }, user_id: { type: "string", min: 1, max: 64 } },
				async handler(ctx: Context<{ username: string; user_id: string }>): Promise<PersonalDataRecords> {
					const or = [...(fields.username ?? []).map(f => ({ [f]: ctx.params.username })), ...(fields.user_id ?? []).map(f => ({ [f]: ctx.params.user_id }))];
					const rows = await this.findEntities({ query: or.length === 1 ? or[0] : { $or: or }, sort: ["created_at"], limit: PERSONAL_DATA_LIMIT + 1 });
					return { kind, rows: rows.slice(0, PERSONAL_DATA_LIMIT), truncated: rows.length > PERSONAL_DATA_LIMIT };
				},
			},
			/**
			 * A person's erasure (GDPR Art. 17, auth's `POST /users/:id/erase`): where a record names them, it names
			 * `[erased]` from now on, and the embedded store's file is rewritten so the old lines are gone.
			 */
			erasePersonalData: {
				visibility: "public",
				params: { $$strict: true, username: { type: "string", min: 1, max: 100 }, user_id: { type: "string", min: 1, max: 64 } },
				async handler(ctx: Context<{ username: string; user_id: string }>): Promise<{ kind: string; records: number }> {
					let records = 0;
					for (const f of fields.username ?? []) records += await this.store.updateMany({ [f]: ctx.params.username }, { $set: { [f]: ERASED } });
					for (const f of fields.user_id ?? []) records += await this.store.updateMany({ [f]: ctx.params.user_id }, { $set: { [f]: ERASED } });
					const touched = new Set<Repository>(records ? [this.store] : []);
					for (const [field, paths] of Object.entries(fields.mentions ?? {})) {
						const repo = (this as unknown as Record<string, Repository>)[field];
						const n = await eraseMentions(repo, paths, ctx.params.username);
						if (n) touched.add(repo);
						records += n;
					}
					for (const repo of touched) await repo.compact();
					return { kind, records };
				},
			},
		},
	});
}
