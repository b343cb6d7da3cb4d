import jwt from "jsonwebtoken";
import { hashPassword, verifyPassword } from "../../domains/identity/passwords";
import { parseApiKey, signAccessToken, verifyAccessToken } from "../../domains/identity/tokens";

const INVALID = { problem: "TOKEN_INVALID" };

describe("passwords", () => {
	it("verifies the right password only, with a fresh salt each time", async () => {
		const a = await hashPassword("correct horse battery");
		const b = await hashPassword("correct horse battery");
		expect(a).not.toBe(b);
		expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
		await expect(verifyPassword("correct horse battery", a)).resolves.toBe(true);
		await expect(verifyPassword("correct horse batterz", a)).resolves.toBe(false);
		await expect(verifyPassword("x", "not-a-hash")).resolves.toBe(false);
	});
});

describe("access tokens", () => {
	it("round-trips, and rejects other secrets, other algorithms, expiry and tampering", () => {
		const { token, claims } = signAccessToken("s3cret", "user-1", 60);
		expect(verifyAccessToken("s3cret", token)).toMatchObject({ claims: { sub: "user-1", jti: claims.jti } });
		expect(verifyAccessToken("other", token)).toEqual(INVALID);
		expect(verifyAccessToken("s3cret", jwt.sign({ sub: "user-1", jti: "j" }, "s3cret", { algorithm: "HS512", expiresIn: 60 }))).toEqual(INVALID);
		const exp = Math.floor(Date.now() / 1000) - 1;
		expect(verifyAccessToken("s3cret", jwt.sign({ sub: "user-1", jti: "j", exp }, "s3cret"))).toEqual({
			problem: "TOKEN_EXPIRED",
			expired_at: new Date(exp * 1000).toISOString(),
		});
		// expired and signed by another: invalid, not expired (a refresh would not help)
		expect(verifyAccessToken("s3cret", jwt.sign({ sub: "user-1", jti: "j", exp }, "other"))).toEqual(INVALID);
		const [h, , s] = token.split(".");
		const forged = `${h}.${Buffer.from(JSON.stringify({ sub: "admin", jti: "j", exp: 9999999999 })).toString("base64url")}.${s}`;
		expect(verifyAccessToken("s3cret", forged)).toEqual(INVALID);
		expect(verifyAccessToken("s3cret", jwt.sign({ jti: "j" }, "s3cret", { expiresIn: 60 }))).toEqual(INVALID); // no subject
	});
});

describe("API key format", () => {
	it("parses bzk.<id>.<secret> and nothing else", () => {
		expect(parseApiKey("bzk.abc123.s-e_c")).toEqual({ key_id: "abc123", secret: "s-e_c" });
		for (const bad of ["", "bzk", "bzk..x", "xyz.a.b", "bzk.a.b.c", `bzk.${"a".repeat(65)}.s`]) expect(parseApiKey(bad)).toBeNull();
	});
});
