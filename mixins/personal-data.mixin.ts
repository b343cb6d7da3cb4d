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

/**
 * Every record of `repo`, a page at a time (the paths may be nested or encrypted: not queryable), whose `paths` hold
 * the person's username or id, given to `visit` with the top-level fields as they read with it replaced by `[erased]`; stops when
 * `visit` answers false.
 */
async function scanMentions(repo: Repository, paths: string[], person: { username: string; user_id: string }, visit: (doc: Doc, erased: Doc) => Promise<boolean>): Promise<void> {
	let after: unknown = undefined;
	for (;;) {
		const docs = await repo.find({ query: after === undefined ? {} : { _id: { $gt: after } }, sort: ["_id"], limit: 500 });
		for (const doc of docs) {
			const erased: Doc = {};
			for (const path of paths) {
				const top = path.split(/[.[]/)[0];
				const replaced = mapAtPath({ [top]: erased[top] ?? doc[top] }, path, v => (v === person.username || v === person.user_id ? ERASED : v)) as Doc;
				if (JSON.stringify(replaced[top]) !== JSON.stringify(doc[top])) erased[top] = replaced[top];
			}
			if (Object.keys(erased).length && !(await visit(doc, erased))) return;
		}
		if (docs.length < 500) return;
		after = docs[docs.length - 1]._id;
	}
}

/** Every record of `repo` naming the person (username or id) at one of `paths` made to name `[erased]`; how many changed. */
async function eraseMentions(repo: Repository, paths: string[], person: { username: string; user_id: string }): Promise<number> {
	let changed = 0;
	await scanMentions(repo, paths, person, async (doc, erased) => {
		if (await repo.updateById(doc._id, { $set: erased })) changed++;
		return true;
	});
	return changed;
}

/** Records one service answers at most: the answer says when there were more. */
export const PERSONAL_DATA_LIMIT = 1000;

/**
 * `kind`: what the records are (plural noun); `fields`: where they name a person, by username or by user id
 * (queried); `mentions`: per repository of the service, further paths (nested, or encrypted) where a username or a
 * user id may stand, found for an access request and replaced on erasure by a scan of the collection.
 */
export function createPersonalDataMixin(kind: string, fields: { username?: string[]; user_id?: string[]; mentions?: Record<string, string[]> }) {
	return defineMixin<{ store: Repository }, DbMethods>()({
		actions: {
			personalData: {
				visibility: "public",
				params: { $$strict: true, username: { type: "string", min: 1, max: 100 }, user_id: { type: "string", min: 1, max: 64 } },
				async handler(ctx: Context<{ username: string; user_id: string }>): Promise<PersonalDataRecords> {
					const or = [...(fields.username ?? []).map(f => ({ [f]: ctx.params.username })), ...(fields.user_id ?? []).map(f => ({ [f]: ctx.params.user_id }))];
					const rows: Array<Doc & { id: string }> = or.length
						? await this.findEntities({ query: or.length === 1 ? or[0] : { $or: or }, sort: ["created_at"], limit: PERSONAL_DATA_LIMIT + 1 })
						: [];
					// the records that name them only where no query reaches (nested, or encrypted): found by a scan
					const found = new Set(rows.map(r => r.id));
					const mentions = fields.mentions?.store;
					if (mentions && rows.length <= PERSONAL_DATA_LIMIT)
						await scanMentions(this.store, mentions, ctx.params, async doc => {
							const entity = this.toEntity<Doc & { id: string }>(doc)!;
							if (!found.has(entity.id)) rows.push(entity);
							return rows.length <= PERSONAL_DATA_LIMIT;
						});
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
						const n = await eraseMentions(repo, paths, ctx.params);
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
