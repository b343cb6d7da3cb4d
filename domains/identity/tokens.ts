/**
 * Access tokens: JWT (RFC 7519) signed HS256; only HS256 is accepted, so `alg: none` and tokens signed
 * with another algorithm or secret are rejected.
 */
import crypto from "crypto";
import jwt from "jsonwebtoken";

export interface AccessClaims {
	sub: string;
	jti: string;
	/** The session (refresh-token family) the token was issued in. */
	sid?: string;
	iat: number;
	exp: number;
}

export function signAccessToken(secret: string, userId: string, expiresInSeconds: number, sessionId?: string): { token: string; claims: AccessClaims } {
	const jti = crypto.randomUUID();
	const token = jwt.sign(sessionId ? { sid: sessionId } : {}, secret, {
		algorithm: "HS256",
		subject: userId,
		jwtid: jti,
		expiresIn: expiresInSeconds,
	});
	return { token, claims: jwt.decode(token) as AccessClaims };
}

/** The claims of a valid token, or null for any token that is malformed, forged, expired or not HS256. */
/** Why an access token is refused: expired (signed by us, so a refresh helps) or not a token of ours at all. */
export type TokenProblem = { problem: "TOKEN_EXPIRED"; expired_at: string } | { problem: "TOKEN_INVALID" };

/** The token's claims, or why it is refused (HS256 only: `alg: none` and other algorithms are invalid). */
export function verifyAccessToken(secret: string, token: string): { claims: AccessClaims } | TokenProblem {
	try {
		const claims = jwt.verify(token, secret, { algorithms: ["HS256"] }) as Partial<AccessClaims>;
		if (typeof claims.sub !== "string" || typeof claims.jti !== "string" || typeof claims.exp !== "number") return { problem: "TOKEN_INVALID" };
		return { claims: claims as AccessClaims };
	} catch (err) {
		// jsonwebtoken checks the signature before the expiry: an expired token is one of ours
		if (err instanceof jwt.TokenExpiredError) return { problem: "TOKEN_EXPIRED", expired_at: err.expiredAt.toISOString() };
		return { problem: "TOKEN_INVALID" };
	}
}

/** Cache key under which a revoked access token's id is kept until the token would have expired anyway. */
export const revokedTokenKey = (jti: string) => `revoked-token:${jti}`;

/** API keys are `bzk.<key id>.<secret>`; only a digest of the secret is stored. */
export const API_KEY_PREFIX = "bzk";

export function parseApiKey(key: string): { key_id: string; secret: string } | null {
	const parts = key.split(".");
	if (parts.length !== 3 || parts[0] !== API_KEY_PREFIX || !parts[1] || !parts[2] || parts[1].length > 64) return null;
	return { key_id: parts[1], secret: parts[2] };
}
