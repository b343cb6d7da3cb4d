/** auth (services/auth.service.ts): users, sessions and tokens, API keys, and the principals the gateway resolves. */
import type { Principal } from "../models/principal";
import type { ApiKey, User } from "../models/user";
import { action, event, signal } from "./contract";
import type { EncryptionStatus } from "./encryption";

const ofUser = { entity: "auth.user", id: (p: { user: User }) => p.user.id };

export const Auth = {
	events: {
		/** A known account's id, or the name typed when there is no such account (no person's name is recorded for one). */
		loginFailed: event<{ user_id?: string; username?: string }>()("auth.login.failed", { entity: "auth.login", id: p => p.user_id ?? p.username ?? "" }),
		loginSucceeded: event<{ user_id: string }>()("auth.login.succeeded", { entity: "auth.login", id: p => p.user_id }),
		loggedOut: event<{ user_id: string }>()("auth.logged_out", { entity: "auth", id: p => p.user_id }),
		userCreated: event<{ user: User; by: string }>()("auth.user.created", ofUser),
		userUpdated: event<{ user: User; by: string; fields: string[] }>()("auth.user.updated", ofUser),
		userDeleted: event<{ user: User; by: string }>()("auth.user.deleted", ofUser),
		apiKeyCreated: event<{ api_key: ApiKey; by: string }>()("auth.api_key.created", { entity: "auth.api_key", id: p => p.api_key.id }),
		/** A person's data exported (GDPR Art. 15): who asked, for whom. */
		personalDataExported: event<{ user_id: string; by: string }>()("auth.user.personal_data_exported", { entity: "auth.user", id: p => p.user_id }),
		apiKeyDeleted: event<{ id: string; by: string }>()("auth.api_key.deleted", { entity: "auth.api_key", id: p => p.id }),
		/** A person erased (GDPR Art. 17): their key destroyed, their name replaced; the entry holds no personal data. */
		userErased: event<{ user_id: string; by: string; records: Record<string, number> }>()("auth.user.erased", { entity: "auth.user", id: p => p.user_id }),
		/** A backup was written under BACKUP_DIR (POST /backups). */
		backupCreated: event<{ name: string; by: string; audit_head_seq: number }>()("auth.backup.created", { entity: "auth.backup", id: p => p.name }),
		/** New data keys took over (by age or by an administrator); values under the old ones are re-encrypted in the background. */
		keysRotated: event<{ kids: string[]; by: string; reason: string }>()("auth.keys.rotated", { entity: "auth.keys", id: () => "data-keys" }),
		/** The background re-encryption ended: done, or failed (a failure stops it whole; the next rotation check resumes it). */
		reencryptionEnded: event<{ state: string; rewritten: number; error: string | null }>()("auth.keys.reencryption_ended", { entity: "auth.keys", id: () => "reencryption" }),
		/**
		 * An access token was revoked (exp in epoch seconds). A broadcast, not recorded: every gateway keeps the
		 * revocations in memory from these, and reloads the whole list (`revocations`) on start, on reconnect and
		 * every REVOCATIONS_RESYNC_MS, so one lost on the way is caught up within that time.
		 */
		tokenRevoked: signal<{ jti: string; exp: number }>()("auth.token.revoked"),
	},
	actions: {
		resolveUser: action<{ id: string }, Principal | null>()("auth.resolveUser"),
		/** A user's id by username (null when there is none): the audit trail finds an actor's entries by it. */
		userIdOf: action<{ username: string }, string | null>()("auth.userIdOf"),
		encryptionStatus: action<Record<string, never>, EncryptionStatus>()("auth.encryptionStatus"),
		rotateKeys: action<{ scopes?: string[] }, EncryptionStatus>()("auth.rotateKeys"),
		resolveApiKey: action<{ key_id: string; key_digest: string }, Principal | null>()("auth.resolveApiKey"),
		isRevoked: action<{ jti: string }, boolean>()("auth.isRevoked"),
		revocations: action<Record<string, never>, Array<{ jti: string; exp: number }>>()("auth.revocations"),
	},
} as const;

export const REVOCATIONS_RESYNC_MS = 30000;
