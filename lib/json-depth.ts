/** The nesting check of JSON request bodies, with no dependency: the gateway and worker threads run it. */

/** How deep a request's JSON may nest: real bodies (statements, SEC documents) stay under 10. */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const PROTO_KEY = Buffer.from('"__proto__"');

/**
 * Throws (a 400 once formatted) when the JSON text nests deeper than `max`, before anything parses it: a
 * deep value would exhaust the stack of whatever walks it later (validators, serializers, error handlers).
 * One pass over the bytes, outside strings. Also refuses a `__proto__` key.
 */
export function assertJsonDepth(buf: Buffer, max = MAX_JSON_DEPTH): void {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < buf.length; i++) {
		const c = buf[i];
		if (inString) {
			if (c === BACKSLASH) i++;
			else if (c === QUOTE) inString = false;
		} else if (c === QUOTE) inString = true;
		else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
			if (++depth > max) {
				const err = Object.assign(new Error(`JSON nested deeper than ${max} levels`), { type: "entity.too.deep", status: 400, statusCode: 400, expose: true });
				throw err;
			}
		} else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
	}
	// `__proto__` as a key would set the prototype of whatever object the body is merged into
	if (buf.includes(PROTO_KEY))
		throw Object.assign(new Error("JSON key '__proto__' is not accepted"), { type: "entity.forbidden.key", status: 400, statusCode: 400, expose: true });
}
