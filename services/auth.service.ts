/**
 * auth: users, login, access and rotating refresh tokens, logout revocation, API keys, and the bootstrap
 * admin (docs/api.md, identity and access). Roles and domain rules live in domains/identity.
 */
import { Errors, type Context } from "moleculer";
import { atStartup } from "../lib/startup";
import { defineService, NOT_RETRIED } from "../lib/service";
import { jwtSecret } from "../config";
import { ConfiguredMixin } from "../mixins/configured.mixin";
import { canGrantTier, canManageAccount, isUserAdmin, loginLockMs, ROLES, type Principal, type Role, type Tier } from "../domains/identity/rbac";
import { digest, hashPassword, randomSecret, verifyPassword } from "../domains/identity/passwords";
import { API_KEY_PREFIX, revokedTokenKey, signAccessToken } from "../domains/identity/tokens";
import { createDbMixin, isDuplicateKeyError, openStore, type Doc, type Store } from "../mixins/db.mixin";
import { KeyAdministrationMixin } from "../mixins/key-administration.mixin";
import { BackupsMixin } from "../mixins/backups.mixin";
import { createEncryptedStoresMixin } from "../mixins/encrypted-stores.mixin";
import { personScope } from "../models/encrypted-fields";
import { KeyedLock } from "../lib/keyed-lock";
import { BUSINESS_COUNTERS, createBusinessMetricsMixin } from "../mixins/business-metrics.mixin";
import { createCacheCleanerMixin } from "../mixins/cache-cleaner.mixin";
import { principalOf, servicePrincipal, type AuthMeta } from "../lib/principal";
import { listParams, nowIso, pageOf } from "../models/common";
import { conflict, forbidden, notFound, unauthorized, unprocessable } from "../models/errors";
import { Auth } from "../contracts";
import { broadcast, call, emit } from "../lib/contract-calls";
import { PersonalData } from "../contracts/personal-data";
import { loadIndustryModules } from "../domains/industries/registry";
import {
	API_KEY_SORTABLE,
	USER_SORTABLE,
	createApiKeyParams,
	createUserParams,
	MAX_API_KEYS_PER_ISSUER,
	updateUserParams,
	type ApiKey,
	type User,
	type UserRecord,
} from "../models/user";

interface AuthMetaWithToken extends AuthMeta {
	token?: { jti: string; exp: number; sid?: string };
}

/** 403 when `actor` would grant a tier above its own (users and API keys alike). */
function assertMayGrantTier(actor: Principal, tier: Tier | undefined): void {
	if (tier && !canGrantTier(actor, tier)) throw forbidden(`You may not grant the '${tier}' tier (yours is '${actor.tier ?? "default"}')`);
}

/** Failed logins per account name, kept in the cacher (shared by replicas through Redis). */
interface LoginFailures {
	count: number;
	locked_until: number;
}
const LOGIN_FAILURES_TTL_S = 3600;
const loginFailuresKey = (username: string) => `login-failures:${username.toLowerCase()}`;
const tooManyLogins = (until: number) => {
	const retryAfter = Math.max(1, Math.ceil((until - Date.now()) / 1000));
	const err = new Errors.MoleculerClientError(`Too many failed logins for this account; try again in ${retryAfter} s`, 429, "TOO_MANY_LOGINS", { retry_after: retryAfter });
	err.name = "TooManyRequestsError";
	return err;
};
type AuthContext<P = Record<string, unknown>> = Context<P, AuthMetaWithToken>;

// A fixed hash to verify against when the username is unknown, so both cases take the same time.
const DUMMY_HASH_PROMISE = hashPassword(randomSecret());

const AuthService = defineService<{ locks: KeyedLock; refreshTokens: Store; revokedTokens: Store; apiKeys: Store }>()({
	name: "auth",
	metadata: { description: "Sign-in, sessions, users and API keys" },
	// REST paths are absolute under /api/v1 (docs/api.md), not prefixed with the service name.
	settings: { rest: "/" },
	// Its own cache-cleaning events too: a user changed on one auth replica must not stay cached on another.
	mixins: [
		ConfiguredMixin,
		createDbMixin("users", [{ fields: { username: 1 }, unique: true }]),
		createCacheCleanerMixin(["auth"]),
		createBusinessMetricsMixin([BUSINESS_COUNTERS.loginsFailed]),
		KeyAdministrationMixin,
		BackupsMixin,
		createEncryptedStoresMixin({ api_keys: "apiKeys" }),
	],

	methods: {
		/** The services (by name, sorted) that have the action `<name>.<action>`: those keeping records under a person's name. */
		servicesWith(action: string): string[] {
			const services = this.broker.registry.getServiceList({ onlyAvailable: true, withActions: true }) as Array<{ name: string; actions?: Record<string, unknown> }>;
			return [...new Set(services.filter(s => s.actions?.[`${s.name}.${action}`]).map(s => s.name))].sort();
		},

		/**
		 * Removes an account the caller manages (not their own), keeping a super_admin (the removal is undone if it
		 * took the last one), and ends its sessions: a deletion's and an erasure's first steps. The account as it was.
		 */
		async removeAccount(ctx: AuthContext, id: string, verb: "delete" | "erase"): Promise<UserRecord> {
			const actor = principalOf(ctx);
			if (actor.kind === "user" && id === actor.id) throw forbidden(`You may not ${verb} your own account`);
			const target = await this.manageableUser(ctx, id);
			const stored = await this.store.findById(target.id);
			const removed = await this.keepingASuperAdmin(
				target,
				() => this.removeEntity(target.id),
				async () => {
					if (stored) await this.store.insert(stored);
				},
			);
			if (!removed) throw notFound("User", target.id); // removed meanwhile by someone else
			await this.endSessions({ user_id: target.id });
			return target;
		},

		publicUser(record: UserRecord): User {
			const { password_hash: _hash, ...user } = record;
			return user;
		},

		async issueTokens(user: UserRecord, family?: string) {
			const config = this.config;
			const session = family ?? randomSecret(12);
			const { token, claims } = signAccessToken(jwtSecret(config), user.id, config.jwt.expiration, session);
			const refreshToken = randomSecret(32);
			await this.refreshTokens.insert({
				token_digest: digest(refreshToken),
				user_id: user.id,
				family: session,
				// the access token issued with it, so ending the session revokes that too
				access_jti: claims.jti,
				access_exp: claims.exp,
				expires_at: new Date(Date.now() + config.jwt.refresh_expiration * 1000).toISOString(),
				created_at: nowIso(),
			});
			// a session ended while this refresh ran (reuse detected, logout, password change) stays ended
			if (family && (await this.revokedTokens.findOne({ session: family }))) {
				await this.refreshTokens.removeMany({ family });
				await this.revokeAccessToken(claims.jti, claims.exp);
				throw unauthorized("The session has ended", "TOKEN_REVOKED");
			}
			return { token, refresh_token: refreshToken, expires_in: config.jwt.expiration, user: this.publicUser(user) };
		},

		async revokeAccessToken(jti: string, exp: number) {
			const ttl = Math.max(1, Math.ceil(exp - Date.now() / 1000));
			await this.revokedTokens.insert({ jti, expires_at: new Date(exp * 1000).toISOString() });
			// while Redis is down the store alone answers (the gateway asks it); the cacher gets it back on reconnect
			if (this.broker.cacher && this.broker.cacher.connected !== false) await this.broker.cacher.set(revokedTokenKey(jti), true, ttl);
			await broadcast(this.broker, Auth.events.tokenRevoked, { jti, exp });
		},

		/**
		 * Ends sessions: each is marked ended first (so a refresh racing with this cannot start it again: see
		 * issueTokens), then its refresh tokens are deleted and the access tokens issued with them revoked.
		 */
		/**
		 * The cached principals (resolveUser) once more, a moment after a change of rights: a request that read the
		 * user just before the change may cache the old role after the change cleared it (a demoted super_admin
		 * kept its rights for the cache's minute, seen with two demotions at once). Two seconds covers such a read.
		 */
		clearCacheAgainSoon() {
			setTimeout(() => void this.clearCache().catch((err: Error) => this.logger.warn(`Principal cache not cleared: ${err.message}`)), 2000).unref();
		},

		async endSessions(query: Doc) {
			const docs = await this.refreshTokens.find({ query });
			const families = new Set<string>(docs.map(d => d.family as string));
			if (typeof query.family === "string") families.add(query.family);
			const until = new Date(Date.now() + this.config.jwt.refresh_expiration * 1000).toISOString();
			for (const family of families) await this.revokedTokens.insert({ jti: `session:${family}`, session: family, expires_at: until });
			// looked up again after the markers: a refresh that inserted its tokens before a marker existed is found
			// here; one that inserts them later sees the marker and revokes them itself (issueTokens)
			for (const d of await this.refreshTokens.find({ query }))
				if (d.access_jti && d.access_exp * 1000 > Date.now()) await this.revokeAccessToken(d.access_jti, d.access_exp);
			await this.refreshTokens.removeMany(query);
		},

		/** The user `ctx`'s principal may administer; anyone else is a 404 (or 403 for non-admins). */
		async manageableUser(ctx: AuthContext, id: string): Promise<UserRecord> {
			const actor = principalOf(ctx);
			if (!isUserAdmin(actor)) throw forbidden("Only admins manage users");
			const user = (await this.findEntityById(id)) as UserRecord | null;
			if (!user || !canManageAccount(actor, user)) throw notFound("User", id);
			return user;
		},

		/**
		 * Runs a demotion or removal of `superAdmin` (null: of nobody who matters) so that a super_admin always
		 * remains: checked before, serialized on this node, and checked after, undoing it if a concurrent change
		 * (on another replica) took the last one away.
		 */
		async keepingASuperAdmin<T>(superAdmin: UserRecord | null, change: () => Promise<T>, undo: () => Promise<void>): Promise<T> {
			if (!superAdmin || superAdmin.role !== "super_admin") return change();
			return this.locks.run("super_admins", async () => {
				const lastOne = conflict("The last super_admin cannot be removed or demoted");
				if ((await this.countEntities({ role: "super_admin" })) <= 1) throw lastOne;
				const result = await change();
				if ((await this.countEntities({ role: "super_admin" })) === 0) {
					await undo();
					await this.clearCache();
					this.clearCacheAgainSoon();
					throw lastOne;
				}
				return result;
			});
		},

		/** Revocations outlive a restart of the service or of Redis: the unexpired ones go (back) into the cacher. */
		async restoreRevocations() {
			// access tokens only: the gateway asks the cacher about those; session markers are read from the store
			for (const r of await this.revokedTokens.find({ query: { session: { $exists: false } } })) {
				const ttl = Math.ceil((Date.parse(r.expires_at) - Date.now()) / 1000);
				if (ttl > 0) await this.broker.cacher?.set(revokedTokenKey(r.jti), true, ttl);
			}
		},

		/** docs/api.md: on first start with no users, `admin` (super_admin) with BIZOPS_ADMIN_PASSWORD or a generated one. */
		async bootstrapAdmin() {
			if ((await this.countEntities({})) > 0) return;
			const given = this.config.admin_password;
			const password = given || randomSecret(18);
			const now = nowIso();
			try {
				await this.insertEntity({
					username: "admin",
					password_hash: await hashPassword(password),
					role: "super_admin",
					domains: ["*"],
					tier: "premium",
					created_at: now,
					updated_at: now,
				});
			} catch (err) {
				if (isDuplicateKeyError(err)) return; // another replica bootstrapped first
				throw err;
			}
			if (given) this.logger.info("Bootstrap user 'admin' created with the password from BIZOPS_ADMIN_PASSWORD");
			// Logged once, on purpose: the operator has no other way to learn it.
			else this.logger.warn(`Bootstrap user 'admin' created with generated password: ${password} (change it: PATCH /api/v1/users/:id)`);
		},
	},

	actions: {
		login: {
			openapi: {
				summary: "Sign in",
				description:
					"A username and password give an access token (a JWT, `expires_in` seconds) and a refresh token. Five failures lock the account for 30 s, doubling up to 15 minutes (429).",
				response: "Session",
				errors: [401],
				example: { username: "admin", password: "your-password" },
			},
			retryPolicy: NOT_RETRIED,
			auth: "public",
			rest: "POST /auth/login",
			params: {
				$$strict: true,
				username: { type: "string", min: 1, max: 64 },
				password: { type: "string", min: 1, max: 256 },
			},
			async handler(ctx: AuthContext<{ username: string; password: string }>) {
				const throttleKey = loginFailuresKey(ctx.params.username);
				const failures = ((await this.broker.cacher?.get(throttleKey)) as LoginFailures | null) ?? { count: 0, locked_until: 0 };
				// locked: refused before the password is even checked, the same for an account that does not exist
				if (failures.locked_until > Date.now()) throw tooManyLogins(failures.locked_until);
				const record = (await this.findEntity({ username: ctx.params.username })) as UserRecord | null;
				const ok = await verifyPassword(ctx.params.password, record?.password_hash ?? (await DUMMY_HASH_PROMISE));
				if (!record || !ok) {
					this.countMetric(BUSINESS_COUNTERS.loginsFailed);
					emit(ctx, Auth.events.loginFailed, record ? { user_id: record.id } : { username: ctx.params.username });
					const count = failures.count + 1;
					const lockMs = loginLockMs(count);
					await this.broker.cacher?.set(throttleKey, { count, locked_until: lockMs ? Date.now() + lockMs : 0 }, LOGIN_FAILURES_TTL_S);
					if (lockMs) throw tooManyLogins(Date.now() + lockMs);
					throw unauthorized("Invalid username or password", "INVALID_CREDENTIALS");
				}
				if (failures.count) await this.broker.cacher?.del(throttleKey);
				emit(ctx, Auth.events.loginSucceeded, { user_id: record.id });
				return this.issueTokens(record);
			},
		},

		refresh: {
			openapi: {
				summary: "Get a new token pair",
				description: "Spends the refresh token for a new access and refresh token. A spent refresh token sent again ends the whole session (TOKEN_REUSED).",
				response: "Session",
				errors: [401],
				example: { refresh_token: "…" },
			},
			retryPolicy: NOT_RETRIED,
			auth: "public",
			rest: "POST /auth/refresh",
			params: { $$strict: true, refresh_token: { type: "string", min: 1, max: 200 } },
			async handler(ctx: AuthContext<{ refresh_token: string }>) {
				const stored = await this.refreshTokens.findOne({ token_digest: digest(ctx.params.refresh_token) });
				if (!stored) throw unauthorized("The refresh token is not valid (unknown, or signed out): sign in again", "REFRESH_TOKEN_INVALID");
				if (Date.parse(stored.expires_at) <= Date.now()) throw unauthorized("The refresh token expired: sign in again", "REFRESH_TOKEN_EXPIRED");
				// spent atomically: of concurrent refreshes with one token exactly one marks it, the others are reuse
				const spent = stored.used_at ? 0 : await this.refreshTokens.updateMany({ _id: stored._id, used_at: { $exists: false } }, { $set: { used_at: nowIso() } });
				if (!spent) {
					// a rotated token presented again means it leaked: the whole session ends, its access tokens too
					await this.endSessions({ family: stored.family });
					this.logger.warn(`Refresh token reuse for user ${stored.user_id}; session revoked`);
					throw unauthorized("Refresh token already used; session revoked", "TOKEN_REUSED");
				}
				const user = (await this.findEntityById(stored.user_id)) as UserRecord | null;
				if (!user) throw unauthorized("The refresh token is not valid (unknown, or signed out): sign in again", "REFRESH_TOKEN_INVALID");
				return this.issueTokens(user, stored.family);
			},
		},

		logout: {
			openapi: {
				summary: "Sign out",
				example: { refresh_token: "…" },
				description: "Ends the session: the access token is revoked at once on every gateway, with its refresh tokens (and, given one, that refresh token's session).",
				response: "SignedOut",
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /auth/logout",
			params: { $$strict: true, refresh_token: { type: "string", min: 1, max: 200, optional: true } },
			async handler(ctx: AuthContext<{ refresh_token?: string }>) {
				const user = principalOf(ctx);
				if (ctx.meta.token) await this.revokeAccessToken(ctx.meta.token.jti, ctx.meta.token.exp);
				// the session ends: the one the access token was issued in, and the one of a refresh token given
				if (ctx.meta.token?.sid) await this.endSessions({ family: ctx.meta.token.sid, user_id: user.id });
				if (ctx.params.refresh_token) {
					const stored = await this.refreshTokens.findOne({ token_digest: digest(ctx.params.refresh_token) });
					if (stored && stored.user_id === user.id) await this.endSessions({ family: stored.family });
				}
				emit(ctx, Auth.events.loggedOut, { user_id: user.id });
				return { logged_out: true };
			},
		},

		me: {
			openapi: { summary: "Who am I", description: "The caller as the platform sees it: role, domains, tier.", response: "Principal" },
			rest: "GET /auth/me",
			handler(ctx: AuthContext) {
				return principalOf(ctx);
			},
		},

		/** The principal behind a user id, or null when the user no longer exists (used by the gateway). */
		resolveUser: {
			visibility: "public",
			auth: "public",
			params: { id: { type: "string", min: 1, max: 64 } },
			cache: { keys: ["id"], ttl: 60 },
			async handler(ctx: Context<{ id: string }>): Promise<Principal | null> {
				const user = (await this.findEntityById(ctx.params.id)) as UserRecord | null;
				if (!user) return null;
				return { id: user.id, username: user.username, role: user.role, domains: user.domains, tier: user.tier, kind: "user" };
			},
		},

		userIdOf: {
			visibility: "public",
			params: { $$strict: true, username: { type: "string", min: 1, max: 100 } },
			async handler(ctx: Context<{ username: string }>): Promise<string | null> {
				return (await this.findEntity<UserRecord>({ username: ctx.params.username }))?.id ?? null;
			},
		},

		/** Whether an access token was revoked, from the store (the gateway asks while the cacher is down). */
		isRevoked: {
			visibility: "public",
			auth: "public",
			params: { jti: { type: "string", min: 1, max: 64 } },
			async handler(ctx: Context<{ jti: string }>): Promise<boolean> {
				return !!(await this.revokedTokens.findOne({ jti: ctx.params.jti }));
			},
		},

		/** The access tokens revoked and not yet expired (exp: epoch s), for the gateways' in-memory set. */
		revocations: {
			visibility: "public",
			auth: "public",
			async handler(): Promise<Array<{ jti: string; exp: number }>> {
				const docs = await this.revokedTokens.find({ query: { session: { $exists: false }, expires_at: { $gt: nowIso() } } });
				return docs.map(r => ({ jti: String(r.jti), exp: Math.floor(Date.parse(r.expires_at) / 1000) }));
			},
		},

		/** The principal behind an API key, or null for an unknown key or a wrong secret. */
		resolveApiKey: {
			visibility: "public",
			auth: "public",
			params: { key_id: { type: "string", min: 1, max: 64 }, key_digest: { type: "string", min: 1, max: 64 } },
			cache: { keys: ["key_id", "key_digest"], ttl: 60 },
			async handler(ctx: Context<{ key_id: string; key_digest: string }>): Promise<Principal | null> {
				const key = await this.apiKeys.findById(ctx.params.key_id);
				if (!key || key.key_digest !== ctx.params.key_digest) return null;
				if (key.expires_at && Date.parse(key.expires_at) <= Date.now()) return null;
				// a key is worth what its issuer may still grant: issuer deleted, demoted or narrowed, the key stops
				const issuer = (await this.findEntityById(key.created_by)) as UserRecord | null;
				if (!issuer) return null;
				const issuerPrincipal: Principal = { id: issuer.id, username: issuer.username, role: issuer.role, domains: issuer.domains, tier: issuer.tier, kind: "user" };
				if (!canManageAccount(issuerPrincipal, key as { role: Role; domains: string[] }) || !canGrantTier(issuerPrincipal, key.tier)) return null;
				return { id: String(key._id), username: `api-key:${key.name}`, role: key.role, domains: key.domains, tier: key.tier, kind: "api_key" };
			},
		},

		createUser: {
			openapi: {
				summary: "Create a user",
				description: "A super_admin creates anyone; a domain_admin analysts and viewers within its own domains.",
				status: 201,
				response: "User",
				errors: [409],
				example: { username: "jane", password: "a-long-passphrase", role: "analyst", domains: ["manufacturing"], tier: "default" },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /users",
			params: createUserParams,
			async handler(ctx: AuthContext<{ username: string; password: string; role: Role; domains: string[]; tier?: Tier }>) {
				const actor = principalOf(ctx);
				const { username, password, role, domains } = ctx.params;
				if (!canManageAccount(actor, { role, domains })) throw forbidden(`Role '${actor.role}' may not create a '${role}' in ${domains.join(", ")}`);
				assertMayGrantTier(actor, ctx.params.tier);
				if (await this.findEntity({ username })) throw conflict(`Username '${username}' is taken`, { field: "username" });
				const now = nowIso();
				try {
					const saved = (await this.insertEntity({
						username,
						password_hash: await hashPassword(password),
						role,
						domains,
						tier: ctx.params.tier ?? "default",
						created_at: now,
						updated_at: now,
					})) as UserRecord;
					const user = this.publicUser(saved);
					emit(ctx, Auth.events.userCreated, { user, by: actor.id });
					ctx.meta.$statusCode = 201;
					ctx.meta.$location = `/api/v1/users/${user.id}`;
					return user;
				} catch (err) {
					if (isDuplicateKeyError(err)) throw conflict(`Username '${username}' is taken`, { field: "username" });
					throw err;
				}
			},
		},

		listUsers: {
			openapi: { summary: "List users", description: "The users the caller may manage.", response: "User", list: true },
			rest: "GET /users",
			params: { $$strict: true, ...listParams(USER_SORTABLE), role: { type: "enum", values: [...ROLES], optional: true } },
			async handler(ctx: AuthContext<{ page?: number; page_size?: number; sort?: string; role?: Role }>) {
				const actor = principalOf(ctx);
				if (!isUserAdmin(actor)) throw forbidden("Only admins list users");
				const query: Doc = {};
				if (ctx.params.role) query.role = ctx.params.role;
				const page = ctx.params.page ?? 1;
				const pageSize = ctx.params.page_size ?? 20;
				// Users have few rows; the domain filter (a subset test) is applied in memory, then paged.
				const all = ((await this.findEntities({ query, sort: [ctx.params.sort ?? "username"] })) as UserRecord[]).filter(
					u => u.id === actor.id || canManageAccount(actor, u),
				);
				const rows = all.slice((page - 1) * pageSize, page * pageSize).map(u => this.publicUser(u));
				return pageOf(rows, all.length, page, pageSize);
			},
		},

		getUser: {
			openapi: { summary: "Get a user", response: "User" },
			rest: "GET /users/:id",
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			async handler(ctx: AuthContext<{ id: string }>) {
				const actor = principalOf(ctx);
				if (ctx.params.id === actor.id && actor.kind === "user") {
					const self = (await this.findEntityById(actor.id)) as UserRecord | null;
					if (self) return this.publicUser(self);
				}
				return this.publicUser(await this.manageableUser(ctx, ctx.params.id));
			},
		},

		exportPersonalData: {
			openapi: {
				summary: "Export a person's data",
				description:
					"Everything the platform holds about the user (GDPR Art. 15, right of access): the account (no password hash), the API keys the user issued (no digests), the sessions (dates only), the records every service keeps under the user's name (risk assessments, plans, ML models, data sets and jobs, reports and schedules) and the audit trail's entries of the user's own doing, each list at most 1,000 (`truncated` says when there are more). The user, or an admin who manages the account; the export is itself audited.",
				response: "PersonalData",
			},
			rest: "GET /users/:id/personal-data",
			timeout: 0,
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			async handler(ctx: AuthContext<{ id: string }>) {
				const actor = principalOf(ctx);
				const user =
					ctx.params.id === actor.id && actor.kind === "user"
						? ((await this.findEntityById(actor.id)) as UserRecord | null)
						: await this.manageableUser(ctx, ctx.params.id);
				if (!user) throw notFound("User", ctx.params.id);
				const keys = (await this.apiKeys.find({ query: { created_by: user.id }, sort: ["created_at"] })).map(k => {
					const { key_digest: _digest, _id, ...rest } = this.apiKeys.raw(k);
					return { id: String(_id), ...rest };
				});
				const sessions = (await this.refreshTokens.find({ query: { user_id: user.id }, sort: ["created_at"] })).map(t => ({
					created_at: t.created_at,
					expires_at: t.expires_at,
					used_at: t.used_at ?? null,
				}));
				// every service that keeps records under a person's name answers for its own (mixins/personal-data.mixin.ts)
				const records: Record<string, unknown> = {};
				for (const name of this.servicesWith("personalData"))
					records[name] = await call(this.broker, PersonalData.of(name), { username: user.username, user_id: user.id }, { meta: { user: servicePrincipal("auth") } });
				emit(ctx, Auth.events.personalDataExported, { user_id: user.id, by: actor.id });
				return { generated_at: nowIso(), user: this.publicUser(user), api_keys: keys, sessions, records };
			},
		},

		updateUser: {
			openapi: {
				summary: "Change a user",
				description: "Password, role, domains or tier. The last super_admin cannot be demoted or deleted (409).",
				response: "User",
				errors: [409],
				example: { role: "domain_admin", domains: ["manufacturing"] },
			},
			rest: "PATCH /users/:id",
			params: updateUserParams,
			async handler(ctx: AuthContext<{ id: string; password?: string; current_password?: string; role?: Role; domains?: string[]; tier?: Tier }>) {
				const actor = principalOf(ctx);
				const { id, password, current_password: currentPassword, ...changes } = ctx.params;
				const isSelf = actor.kind === "user" && id === actor.id;
				const changesAccess = Object.keys(changes).length > 0;
				let current: UserRecord;
				if (isSelf && !changesAccess) {
					const self = (await this.findEntityById(id)) as UserRecord | null;
					if (!self) throw notFound("User", id);
					// whoever holds a session must also know the password to change it
					if (password && !(currentPassword && (await verifyPassword(currentPassword, self.password_hash)))) {
						throw unprocessable("The current password is required to change your password", [
							{ field: "current_password", message: "must be your current password", type: "currentPassword" },
						]);
					}
					current = self;
				} else {
					assertMayGrantTier(actor, changes.tier);
					if (isSelf) throw forbidden("You may change your own password, not your role, domains or tier");
					current = await this.manageableUser(ctx, id);
					const next = { role: changes.role ?? current.role, domains: changes.domains ?? current.domains };
					if (!canManageAccount(actor, next)) throw forbidden(`Role '${actor.role}' may not make a '${next.role}' in ${next.domains.join(", ")}`);
				}
				const set: Doc = { ...changes, updated_at: nowIso() };
				if (password) set.password_hash = await hashPassword(password);
				const demotes = current.role === "super_admin" && !!changes.role && changes.role !== "super_admin";
				const saved = (await this.keepingASuperAdmin(
					demotes ? current : null,
					async () => (await this.updateEntity(id, set)) as UserRecord | null,
					async () => {
						await this.updateEntity(id, { role: current.role, updated_at: current.updated_at });
					},
				)) as UserRecord | null;
				if (!saved) throw notFound("User", id);
				// A new password or other rights end the sessions started under the old ones, access tokens included.
				if (password || changesAccess) await this.endSessions({ user_id: id });
				if (changesAccess) this.clearCacheAgainSoon();
				const user = this.publicUser(saved);
				emit(ctx, Auth.events.userUpdated, {
					user,
					by: actor.id,
					fields: Object.keys(ctx.params)
						.filter(k => k !== "id" && k !== "password")
						.concat(password ? ["password"] : []),
				});
				return user;
			},
		},

		removeUser: {
			openapi: { summary: "Delete a user", description: "Their sessions end at once.", response: "Deleted", errors: [409] },
			retryPolicy: NOT_RETRIED,
			rest: "DELETE /users/:id",
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			async handler(ctx: AuthContext<{ id: string }>) {
				const actor = principalOf(ctx);
				const target = await this.removeAccount(ctx, ctx.params.id, "delete");
				this.clearCacheAgainSoon();
				emit(ctx, Auth.events.userDeleted, { user: this.publicUser(target), by: actor.id });
				return { id: target.id, deleted: true };
			},
		},

		eraseUser: {
			openapi: {
				summary: "Erase a person, GDPR Art 17",
				description:
					"The account is removed and its sessions end; every record that names the person names `[erased]` instead; the person's data key is destroyed, so what the audit trail holds of them (encrypted under it) reads as `[erased]` while the chain still verifies. The trail records the erasure without any personal data.",
				response: "Erased",
				errors: [409],
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /users/:id/erase",
			role: "super_admin",
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			async handler(ctx: AuthContext<{ id: string }>) {
				const actor = principalOf(ctx);
				const target = await this.removeAccount(ctx, ctx.params.id, "erase");
				// every service that keeps records under a person's name replaces it (mixins/personal-data.mixin.ts)
				const person = { username: target.username, user_id: target.id };
				const records: Record<string, number> = {};
				for (const name of this.servicesWith("erasePersonalData"))
					records[name] = (await call(this.broker, PersonalData.eraseOf(name), person, { meta: { user: servicePrincipal("auth") } })).records;
				records.api_keys = await this.apiKeys.removeMany({ created_by: target.id });
				// crypto-shredding: what was encrypted under the person's key (their name in the audit trail) is gone for good
				await (await this.keyring()).destroy(personScope(target.id));
				await Promise.all([this.store.compact(), this.refreshTokens.compact(), this.apiKeys.compact()]);
				this.clearCacheAgainSoon();
				emit(ctx, Auth.events.userErased, { user_id: target.id, by: actor.id, records });
				return { id: target.id, erased: true, records };
			},
		},

		createApiKey: {
			openapi: {
				summary: "Create an API key",
				description: "A key for a machine client, shown once in `key`: send it as X-API-Key. Its rights are at most the issuer's; 20 per issuer.",
				status: 201,
				response: "ApiKeyCreated",
				errors: [409],
				example: { name: "nightly-import", role: "analyst", domains: ["technology"], tier: "default" },
			},
			retryPolicy: NOT_RETRIED,
			rest: "POST /auth/api-keys",
			params: createApiKeyParams,
			async handler(ctx: AuthContext<{ name: string; role: Role; domains: string[]; tier?: Tier; expires_at?: string }>) {
				const actor = principalOf(ctx);
				const { name, role, domains, expires_at: expiresAt } = ctx.params;
				if (!canManageAccount(actor, { role, domains })) throw forbidden(`Role '${actor.role}' may not create a '${role}' key in ${domains.join(", ")}`);
				assertMayGrantTier(actor, ctx.params.tier);
				if (expiresAt && Date.parse(expiresAt) <= Date.now())
					throw unprocessable("expires_at must be in the future", [{ field: "expires_at", message: "must be in the future", type: "dateFuture" }]);
				if ((await this.apiKeys.count({ query: { created_by: actor.id } })) >= MAX_API_KEYS_PER_ISSUER) {
					throw conflict(`You hold ${MAX_API_KEYS_PER_ISSUER} API keys, the most one issuer may; delete one first`, { limit: MAX_API_KEYS_PER_ISSUER });
				}
				const secret = randomSecret(32);
				const now = nowIso();
				const saved = await this.apiKeys.insert({
					name,
					key_digest: digest(secret),
					role,
					domains,
					tier: ctx.params.tier ?? "default",
					created_by: actor.id,
					...(expiresAt ? { expires_at: new Date(expiresAt).toISOString() } : {}),
					created_at: now,
					updated_at: now,
				});
				const { key_digest: _digest, _id, ...rest } = this.apiKeys.raw(saved);
				const apiKey = { id: String(_id), ...rest } as ApiKey;
				emit(ctx, Auth.events.apiKeyCreated, { api_key: apiKey, by: actor.id });
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `/api/v1/auth/api-keys/${apiKey.id}`;
				// The only time the key is shown: it is not stored, only its digest.
				return { ...apiKey, key: `${API_KEY_PREFIX}.${apiKey.id}.${secret}` };
			},
		},

		listApiKeys: {
			openapi: { summary: "List API keys", description: "The keys the caller issued (a super_admin: all).", response: "ApiKey", list: true },
			rest: "GET /auth/api-keys",
			params: { $$strict: true, ...listParams(API_KEY_SORTABLE) },
			async handler(ctx: AuthContext<{ page?: number; page_size?: number; sort?: string }>) {
				const actor = principalOf(ctx);
				if (!isUserAdmin(actor)) throw forbidden("Only admins manage API keys");
				const { page = 1, page_size: pageSize = 20, sort = "created_at" } = ctx.params;
				// keys are few; the domain filter (a subset test) is applied in memory, then paged
				const keys = (await this.apiKeys.find({ sort: [sort] }))
					.map(k => {
						const { key_digest: _digest, _id, ...rest } = this.apiKeys.raw(k);
						return { id: String(_id), ...rest } as ApiKey;
					})
					.filter(k => canManageAccount(actor, k));
				return pageOf(keys.slice((page - 1) * pageSize, page * pageSize), keys.length, page, pageSize);
			},
		},

		removeApiKey: {
			openapi: { summary: "Delete an API key", description: "It stops working at once.", response: "Deleted" },
			retryPolicy: NOT_RETRIED,
			rest: "DELETE /auth/api-keys/:id",
			params: { $$strict: true, id: { type: "string", min: 1, max: 64 } },
			async handler(ctx: AuthContext<{ id: string }>) {
				const actor = principalOf(ctx);
				const key = await this.apiKeys.findById(ctx.params.id);
				if (!key || !canManageAccount(actor, { role: key.role, domains: key.domains })) throw notFound("API key", ctx.params.id);
				await this.apiKeys.removeById(key._id);
				emit(ctx, Auth.events.apiKeyDeleted, { id: ctx.params.id, by: actor.id });
				return { id: ctx.params.id, deleted: true };
			},
		},
	},

	created() {
		// industry modules added as folders are valid industries here too
		loadIndustryModules();
		this.locks = new KeyedLock();
	},

	async started() {
		jwtSecret(this.config); // fail fast in production without JWT_SECRET_KEY
		// each step retried on its own while the store is not reachable yet (lib/startup.ts)
		const step = <T>(what: string, work: () => Promise<T>) => atStartup(this, `auth: ${what}`, work);
		this.refreshTokens = await step("opening refresh_tokens", () =>
			openStore(this.broker, "refresh_tokens", [{ fields: { token_digest: 1 }, unique: true }, { fields: { user_id: 1 } }]),
		);
		this.revokedTokens = await step("opening revoked_tokens", () => openStore(this.broker, "revoked_tokens", [{ fields: { jti: 1 } }]));
		// the principals the gateway and cached answers hold read the keys: a change cleans them
		this.apiKeys = (await step("opening api_keys", () => openStore(this.broker, "api_keys"))).withCleaning(this.cacheCleaning);
		await step("the bootstrap admin", () => this.bootstrapAdmin());
		await step("removing expired tokens", async () => {
			const now = new Date().toISOString();
			await this.revokedTokens.removeMany({ expires_at: { $lte: now } });
			await this.refreshTokens.removeMany({ expires_at: { $lte: now } });
		});
		await step("restoring revocations", () => this.restoreRevocations());
		// a Redis that comes back (empty, or having missed revocations made while it was down) is refilled
		const redisCacher = this.broker.cacher as { client?: { on?(event: string, listener: () => void): void } } | undefined;
		redisCacher?.client?.on?.("ready", () => this.restoreRevocations().catch((err: Error) => this.logger.warn("Could not restore revocations", err)));
	},

	async stopped() {
		await Promise.all([this.refreshTokens, this.revokedTokens, this.apiKeys].filter(Boolean).map(s => s.disconnect()));
	},
});

export default AuthService;
