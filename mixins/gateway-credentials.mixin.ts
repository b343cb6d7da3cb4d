/**
 * The gateway's credentials (docs/security.md): an API key or a Bearer token resolved to the caller's
 * principal, with what keeps that cheap and safe under load: verified tokens and resolved principals kept in
 * bounded LRUs, revocations held in memory from auth's broadcasts (reloaded every REVOCATIONS_RESYNC_MS), an
 * address that keeps failing refused before any lookup. The rate limit is applied once the caller is known.
 */
import type { IncomingMessage, ServerResponse } from "http";
import type { Context } from "moleculer";
import { Errors as WebErrors } from "moleculer-web";
import { LRUCache } from "lru-cache";
import { configOf, jwtSecret } from "../config";
import { Auth, cacheCleanEvent } from "../contracts";
import { REVOCATIONS_RESYNC_MS } from "../contracts/auth";
import type { ActionContract } from "../contracts/contract";
import type { Principal } from "../domains/identity/rbac";
import { digest } from "../domains/identity/passwords";
import { parseApiKey, revokedTokenKey, verifyAccessToken, type AccessClaims, type TokenProblem } from "../domains/identity/tokens";
import { call } from "../lib/contract-calls";
import { defineMixin } from "../lib/service";
import { unauthorized } from "../models/errors";
import { clientAddress, RateLimitMixin } from "./rate-limit.mixin";

/** Verified tokens, so a busy client's token is checked once, not per request (revocation still is). */
const VERIFIED_TOKENS_MAX = 10000;
/**
 * Principals resolved by auth, kept by the gateway for a few seconds so a request costs no call to auth;
 * dropped at once when auth broadcasts a change of users or keys (`cache.clean.auth`), on every replica.
 */
const PRINCIPAL_TTL_MS = 5000;
const PRINCIPALS_MAX = 10000;
/** Addresses whose failed authentications are being counted. */
const FAILING_ADDRESSES_MAX = 10000;

type AliasLike = { method: string; path: string; fullPath: string; action?: { auth?: string } };

interface CredentialsState {
	verifiedTokens: LRUCache<string, AccessClaims>;
	principals: LRUCache<string, { principal: Principal | null }>;
	failingAddresses: LRUCache<string, { count: number; resetAt: number }>;
	jwtSecret: string;
	/** Revoked access tokens (jti → expiry, epoch s) as auth broadcasts them; complete once loaded from auth. */
	revoked: Map<string, number>;
	revocationsLoaded: boolean;
	revocationsResync: NodeJS.Timeout;
}

export const GatewayCredentialsMixin = defineMixin<CredentialsState, { someNodeRuns(service: string): boolean }>()({
	mixins: [RateLimitMixin],
	methods: {
		/**
		 * Resolves the caller (X-API-Key or Bearer JWT) and applies its rate limit. Public actions accept
		 * anonymous callers, limited per IP; everything else needs a valid, unrevoked token of a live user.
		 */
		async authenticate(
			ctx: Context<unknown, { token?: { jti: string; exp: number; sid?: string } }>,
			route: unknown,
			req: IncomingMessage & { $action?: { auth?: string; rateLimit?: boolean } },
			res: ServerResponse,
			alias: AliasLike,
		) {
			const endpoint = `${alias.method} ${alias.fullPath}`;
			const isPublic = req.$action?.auth === "public";
			const apiKey = req.headers["x-api-key"];
			const authorization = req.headers.authorization;
			let principal: Principal | null = null;

			if ((typeof apiKey === "string" && apiKey) || authorization) {
				// an address that keeps sending bad credentials is refused before any lookup
				this.refuseFailingAddress(req, res);
				try {
					principal = await this.resolveCredentials(ctx, typeof apiKey === "string" && apiKey ? apiKey : null, authorization ?? null);
				} catch (err) {
					await this.countFailedAuthentication(req);
					// public actions (login, refresh) ignore a stale Authorization header: clients with interceptors send one
					if (!isPublic) throw err;
					principal = null;
					ctx.meta.token = undefined;
				}
			} else if (!isPublic) {
				throw unauthorized("Authentication required: send 'Authorization: Bearer <token>' (from POST /auth/login) or 'X-API-Key'", "NO_TOKEN");
			}

			// a refusal by the rate limit is audited as this caller's (moleculer-web sets meta.user only on success)
			(req as { $principal?: Principal | null }).$principal = principal;
			if (req.$action?.rateLimit !== false) await this.enforceRateLimit(req, res, principal, endpoint);
			return principal;
		},

		/** The principal behind an API key or a Bearer token; 401 for anything that is not a valid, live one. */
		async resolveCredentials(
			ctx: Context<unknown, { token?: { jti: string; exp: number; sid?: string } }>,
			apiKey: string | null,
			authorization: string | null,
		): Promise<Principal> {
			if (apiKey) {
				const parsed = parseApiKey(apiKey);
				let principal: Principal | null = null;
				if (parsed) {
					const keyDigest = digest(parsed.secret);
					principal = await this.resolvePrincipal(ctx, `key:${parsed.key_id}:${keyDigest}`, Auth.actions.resolveApiKey, { key_id: parsed.key_id, key_digest: keyDigest });
				}
				if (!principal) throw unauthorized("The API key is not valid (unknown, deleted, or mistyped)", "API_KEY_INVALID");
				return principal;
			}
			const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
			if (!match) throw unauthorized("The Authorization header must be 'Bearer <token>'", "TOKEN_INVALID");
			const verified = this.verifyToken(match[1]);
			if (!("claims" in verified)) {
				if (verified.problem === "TOKEN_EXPIRED")
					throw unauthorized(`The access token expired at ${verified.expired_at}: get a new one with POST /auth/refresh`, "TOKEN_EXPIRED", {
						expired_at: verified.expired_at,
					});
				throw unauthorized("The access token is not valid (malformed, or not signed by this platform): sign in again", "TOKEN_INVALID");
			}
			const { claims } = verified;
			if (await this.isRevoked(ctx, claims.jti)) throw unauthorized("The access token was revoked (signed out): sign in again", "TOKEN_REVOKED");
			const principal = await this.resolvePrincipal(ctx, `user:${claims.sub}`, Auth.actions.resolveUser, { id: claims.sub });
			if (!principal) throw unauthorized("The access token's user no longer exists", "TOKEN_INVALID");
			ctx.meta.token = { jti: claims.jti, exp: claims.exp, sid: claims.sid };
			return principal;
		},

		/** Principals (and unknown keys: null) kept a few seconds in a bounded LRU; a flood of random keys evicts only the oldest. */
		async resolvePrincipal<P>(ctx: Context, key: string, action: ActionContract<string, P, Principal | null>, params: P): Promise<Principal | null> {
			const memo = this.principals.get(key);
			if (memo !== undefined) return memo.principal;
			const principal = await call(ctx, action, params);
			this.principals.set(key, { principal });
			return principal;
		},

		/** Failed authentications count against the address's anonymous budget (per minute). */
		async countFailedAuthentication(req: IncomingMessage) {
			const address = clientAddress(req, configOf(this.broker).http.trust_proxy);
			const counter = await this.rateLimitStore.inc(`authfail:ip:${address}`);
			this.failingAddresses.set(address, counter);
		},

		/** 429 for an address whose failed authentications passed its anonymous budget in this window. */
		refuseFailingAddress(req: IncomingMessage, res: ServerResponse) {
			const counter = this.failingAddresses.get(clientAddress(req, configOf(this.broker).http.trust_proxy));
			if (!counter || counter.resetAt <= Date.now() || counter.count < configOf(this.broker).rate_limit.anonymous_per_ip) return;
			res.setHeader("Retry-After", Math.max(1, Math.ceil((counter.resetAt - Date.now()) / 1000)));
			throw new WebErrors.RateLimitExceeded("TOO_MANY_FAILED_AUTHENTICATIONS", { reset_at: new Date(counter.resetAt).toISOString() });
		},

		/**
		 * In memory once the list is loaded from auth (fed by its broadcasts since, reloaded every
		 * REVOCATIONS_RESYNC_MS); until then the cacher (shared through Redis), or auth's store while it is down.
		 */
		async isRevoked(ctx: Context, jti: string): Promise<boolean> {
			if (this.revocationsLoaded) return this.revoked.has(jti);
			const cacher = this.broker.cacher;
			if (cacher && cacher.connected !== false) return !!(await cacher.get(revokedTokenKey(jti)));
			return call(ctx, Auth.actions.isRevoked, { jti });
		},

		/** Merges auth's list of live revocations into the set (revocations are never undone) and drops expired ones. */
		async loadRevocations(): Promise<void> {
			if (!this.someNodeRuns("auth")) return; // tried again when it appears ($services.changed)
			try {
				const list = await call(this.broker, Auth.actions.revocations, {}, { timeout: 2000, retries: 0 });
				for (const r of list) this.revoked.set(r.jti, r.exp);
				const now = Date.now() / 1000;
				for (const [jti, exp] of this.revoked) if (exp <= now) this.revoked.delete(jti);
				this.revocationsLoaded = true;
			} catch (err) {
				// not loaded yet (auth starting): asked per request until it is; loaded before: broadcasts keep it current
				if (!this.revocationsLoaded) this.logger.debug(`Revocations not loaded yet: ${(err as Error).message}`);
			}
		},

		verifyToken(token: string): { claims: AccessClaims } | TokenProblem {
			const cached = this.verifiedTokens.get(token);
			if (cached) {
				if (cached.exp * 1000 > Date.now()) return { claims: cached };
				this.verifiedTokens.delete(token);
				return { problem: "TOKEN_EXPIRED", expired_at: new Date(cached.exp * 1000).toISOString() };
			}
			const verified = verifyAccessToken(this.jwtSecret, token);
			if ("claims" in verified) this.verifiedTokens.set(token, verified.claims);
			return verified;
		},
	},

	events: {
		[Auth.events.tokenRevoked.name](ctx) {
			this.revoked.set(ctx.params.jti, ctx.params.exp);
		},
		// moleculer-db broadcasts this on every write to users (and auth on API key changes).
		[cacheCleanEvent("auth").name]() {
			this.principals.clear();
		},
	},

	created() {
		this.verifiedTokens = new LRUCache({ max: VERIFIED_TOKENS_MAX });
		this.principals = new LRUCache({ max: PRINCIPALS_MAX, ttl: PRINCIPAL_TTL_MS });
		this.failingAddresses = new LRUCache({ max: FAILING_ADDRESSES_MAX });
		this.jwtSecret = jwtSecret(configOf(this.broker));
		this.revoked = new Map();
		this.revocationsLoaded = false;
	},

	started() {
		void this.loadRevocations();
		this.revocationsResync = setInterval(() => void this.loadRevocations(), REVOCATIONS_RESYNC_MS);
		this.revocationsResync.unref();
	},

	stopped() {
		clearInterval(this.revocationsResync);
	},
});
