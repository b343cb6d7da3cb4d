/**
 * Password hashing with scrypt (RFC 7914; parameters after OWASP's Password Storage Cheat Sheet),
 * stored as `scrypt$N$r$p$salt$hash` so parameters can be raised later without breaking old hashes.
 */
import crypto from "crypto";
import { promisify } from "util";

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

export async function hashPassword(password: string): Promise<string> {
	const salt = crypto.randomBytes(16);
	const hash = await scrypt(password, salt, KEY_LENGTH, { N, r: R, p: P });
	return ["scrypt", N, R, P, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const parts = stored.split("$");
	if (parts.length !== 6 || parts[0] !== "scrypt") return false;
	const [, n, r, p, salt, expected] = parts;
	const expectedBuf = Buffer.from(expected, "base64url");
	const hash = await scrypt(password, Buffer.from(salt, "base64url"), expectedBuf.length, {
		N: Number(n),
		r: Number(r),
		p: Number(p),
	});
	return crypto.timingSafeEqual(hash, expectedBuf);
}

/** A random secret for generated passwords, refresh tokens and API keys. */
export function randomSecret(bytes = 24): string {
	return crypto.randomBytes(bytes).toString("base64url");
}

/** SHA-256 of a high-entropy secret (refresh tokens, API keys): enough, since they cannot be guessed. */
export function digest(secret: string): string {
	return crypto.createHash("sha256").update(secret).digest("base64url");
}
