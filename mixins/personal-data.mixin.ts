/**
 * What a service holds about a person, for a GDPR access request (docs/security.md, "Personal data"): the
 * service's records whose `fields` name the person (`created_by`, an owner), answered by a `personalData` action
 * auth's `GET /users/:id/personal-data` calls on every service that has one. Regulation (EU) 2016/679, Art. 15.
 */
import type { Context } from "moleculer";
import { defineMixin } from "../lib/service";
import type { DbMethods } from "./db.mixin";
import type { PersonalDataRecords } from "../contracts/personal-data";

/** Records one service answers at most: the answer says when there were more. */
export const PERSONAL_DATA_LIMIT = 1000;

/** `kind`: what the records are (plural noun); `fields`: where they name a person, by username or by user id. */
export function createPersonalDataMixin(kind: string, fields: { username?: string[]; user_id?: string[] }) {
	return defineMixin<object, DbMethods>()({
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
		},
	});
}
