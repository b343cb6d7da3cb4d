/**
 * Authenticated encryption of one value (docs/security.md, "Encryption at rest"): AES-256-GCM from node:crypto
 * with a random 96-bit IV per value (NIST SP 800-38D, §8.2.2) and associated data binding the ciphertext to where
 * it belongs, so a value copied to another record, field or key id fails to decrypt.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";

/** A stored encrypted value: format version, data key id, IV, ciphertext and GCM tag (base64). */
export interface Envelope {
	v: 1;
	kid: string;
	iv: string;
	ct: string;
	tag: string;
}

export const KEY_BYTES = 32;
const IV_BYTES = 12;

export function isEnvelope(value: unknown): value is Envelope {
	const e = value as Envelope;
	return !!e && typeof e === "object" && e.v === 1 && typeof e.kid === "string" && typeof e.iv === "string" && typeof e.ct === "string" && typeof e.tag === "string";
}

/** Random IVs drawn from a pool filled a few KB at a time: one call to the system's generator per 1,024 values. */
const ivPool = Buffer.alloc(IV_BYTES * 1024);
let ivAt = ivPool.length;
function nextIv(): Buffer {
	if (ivAt + IV_BYTES > ivPool.length) {
		randomFillSync(ivPool);
		ivAt = 0;
	}
	const iv = Buffer.from(ivPool.subarray(ivAt, ivAt + IV_BYTES));
	ivPool.fill(0, ivAt, ivAt + IV_BYTES); // never handed out twice
	ivAt += IV_BYTES;
	return iv;
}

/** Raw AES-256-GCM: IV, ciphertext and tag of `plaintext` under `key` with `aad`. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): { iv: Buffer; ct: Buffer; tag: Buffer } {
	const iv = nextIv();
	const cipher = createCipheriv("aes-256-gcm", key, iv);
	cipher.setAAD(Buffer.from(aad, "utf8"));
	const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return { iv, ct, tag: cipher.getAuthTag() };
}

/** The plaintext of `seal`'s output; throws when the key, the associated data or any byte is not what sealed it. */
export function open(key: Buffer, sealed: { iv: Buffer; ct: Buffer; tag: Buffer }, aad: string): Buffer {
	const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv);
	decipher.setAAD(Buffer.from(aad, "utf8"));
	decipher.setAuthTag(sealed.tag);
	return Buffer.concat([decipher.update(sealed.ct), decipher.final()]);
}

/** Bytes per step of `sealLarge` / `openLarge`: about 2 ms of AES-GCM each, the event loop free between. */
const STEP = 1024 * 1024;
const yieldToLoop = () => new Promise<void>(resolve => setImmediate(resolve));

/** `seal` for large bytes (a 50 MB data set takes ~90 ms in one piece): a megabyte at a time, other work running between. */
export async function sealLarge(key: Buffer, plaintext: Buffer, aad: string): Promise<{ iv: Buffer; ct: Buffer; tag: Buffer }> {
	const iv = nextIv();
	const cipher = createCipheriv("aes-256-gcm", key, iv);
	cipher.setAAD(Buffer.from(aad, "utf8"));
	const parts: Buffer[] = [];
	for (let at = 0; at < plaintext.length; at += STEP) {
		parts.push(cipher.update(plaintext.subarray(at, at + STEP)));
		if (at + STEP < plaintext.length) await yieldToLoop();
	}
	parts.push(cipher.final());
	return { iv, ct: Buffer.concat(parts), tag: cipher.getAuthTag() };
}

/** `open` for large bytes, a megabyte at a time; throws as `open` does. */
export async function openLarge(key: Buffer, sealed: { iv: Buffer; ct: Buffer; tag: Buffer }, aad: string): Promise<Buffer> {
	const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv);
	decipher.setAAD(Buffer.from(aad, "utf8"));
	decipher.setAuthTag(sealed.tag);
	const parts: Buffer[] = [];
	for (let at = 0; at < sealed.ct.length; at += STEP) {
		parts.push(decipher.update(sealed.ct.subarray(at, at + STEP)));
		if (at + STEP < sealed.ct.length) await yieldToLoop();
	}
	parts.push(decipher.final());
	return Buffer.concat(parts);
}

/** The associated data of a field value: collection, record id, field (its declared path) and key id. */
export const fieldAad = (collection: string, recordId: string, field: string, kid: string) => `${collection}|${recordId}|${field}|${kid}`;

/** A JSON value encrypted as an envelope. */
export function encryptValue(key: Buffer, kid: string, value: unknown, aad: string): Envelope {
	return encryptJson(key, kid, JSON.stringify(value), aad);
}

/** A value's JSON text encrypted as an envelope. */
export function encryptJson(key: Buffer, kid: string, json: string, aad: string): Envelope {
	const { iv, ct, tag } = seal(key, Buffer.from(json, "utf8"), aad);
	return { v: 1, kid, iv: iv.toString("base64"), ct: ct.toString("base64"), tag: tag.toString("base64") };
}

export function decryptValue(key: Buffer, envelope: Envelope, aad: string): unknown {
	return JSON.parse(decryptJson(key, envelope, aad));
}

/** The JSON text an envelope holds. */
export function decryptJson(key: Buffer, envelope: Envelope, aad: string): string {
	return open(key, { iv: Buffer.from(envelope.iv, "base64"), ct: Buffer.from(envelope.ct, "base64"), tag: Buffer.from(envelope.tag, "base64") }, aad).toString("utf8");
}
