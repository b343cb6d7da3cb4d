/**
 * Reads a JSON request body that reached an action as a Moleculer stream (`ctx.stream`), within a byte
 * limit. Large bodies (the SEC import) travel this way so that no transporter message carries the whole
 * document: Moleculer sends a stream in chunks of `maxChunkSize` (256 KB), well under NATS's 1 MB default.
 */
import type { Readable } from "stream";
import { Errors } from "moleculer";
import { assertJsonDepth } from "./json-depth";

export { assertJsonDepth, MAX_JSON_DEPTH } from "./json-depth";

const { MoleculerClientError } = Errors;

/** "50mb", "1mb", "512kb" or a byte count → bytes. */
export function parseByteSize(limit: string | number): number {
	if (typeof limit === "number") return limit;
	const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit);
	if (!m) throw new Error(`Not a byte size: '${limit}'`);
	const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? "b").toLowerCase() as "b"];
	return Math.floor(Number(m[1]) * unit);
}

export const payloadTooLarge = (limit: string) => {
	const err = new MoleculerClientError(`Body larger than ${limit}, this route's limit`, 413, "PAYLOAD_TOO_LARGE", { limit });
	err.name = "PayloadTooLargeError";
	return err;
};

export const malformedJson = (reason: string) => {
	const err = new MoleculerClientError(`Malformed JSON body: ${reason}`, 400, "INVALID_JSON");
	err.name = "BadRequestError";
	return err;
};

/** The body's bytes, or a 413 as soon as it passes `limit` (the rest is not kept). */
export function readBody(stream: Readable | null | undefined, limit: string): Promise<Buffer> {
	if (!stream) return Promise.reject(malformedJson("the request has no body"));
	const max = parseByteSize(limit);
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const onData = (chunk: Buffer | string) => {
			const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
			size += buf.length;
			if (size <= max) return void chunks.push(buf);
			// the rest is discarded, not torn down: a client still sending must be able to read the 413
			stream.off("data", onData).off("end", onEnd).off("error", onError);
			chunks.length = 0;
			stream.resume();
			stream.on("error", () => undefined);
			reject(payloadTooLarge(limit));
		};
		const onEnd = () => resolve(Buffer.concat(chunks, size));
		const onError = (err: Error) => reject(malformedJson(`the body could not be read (${err.message})`));
		stream.on("data", onData).once("end", onEnd).once("error", onError);
	});
}

/** The body parsed as JSON: 400 when it is not JSON or nests too deeply, 413 past `limit`. */
export async function readJsonBody(stream: Readable | null | undefined, limit: string): Promise<unknown> {
	const body = await readBody(stream, limit);
	if (body.length === 0) throw malformedJson("the request has no body");
	try {
		assertJsonDepth(body);
	} catch (err) {
		throw malformedJson((err as Error).message);
	}
	try {
		return JSON.parse(body.toString("utf8"));
	} catch (err) {
		// SyntaxError: truncated or not JSON; RangeError: nested deeper than the parser's stack
		throw malformedJson(err instanceof RangeError ? "nested too deeply" : (err as Error).message);
	}
}
