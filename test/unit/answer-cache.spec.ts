import { AnswerCache } from "../../lib/answer-cache";

const get = { name: "companies.get", cache: { keys: ["id", "#user.role", "#user.domains"] } };
const analyst = { user: { id: "u1", role: "analyst", domains: ["technology"] } };

describe("the gateway's answer cache", () => {
	it("keeps an answer per caller role, domains and every parameter", () => {
		const cache = new AnswerCache(100, 60000);
		const key = cache.keyFor(get, { id: "c1" }, analyst)!;
		cache.set(key, { id: "c1" }, cache.generation, get);
		expect(cache.get(cache.keyFor(get, { id: "c1" }, { user: { id: "u2", role: "analyst", domains: ["technology"] } })!)).toEqual({ id: "c1" });
		expect(cache.get(cache.keyFor(get, { id: "c1" }, { user: { id: "u1", role: "viewer", domains: ["technology"] } })!)).toBeUndefined();
		expect(cache.get(cache.keyFor(get, { id: "c1" }, { user: { id: "u1", role: "analyst", domains: ["healthcare"] } })!)).toBeUndefined();
		// a parameter the action's cache keys leave out still tells requests apart (the action may refuse it)
		expect(cache.get(cache.keyFor(get, { id: "c1", extra: "x" }, analyst)!)).toBeUndefined();
	});

	it("tells callers apart by the meta values the action's cache keys name", () => {
		const cache = new AnswerCache(100, 60000);
		const perUser = { name: "flags.mine", cache: { keys: ["#user.id"] } };
		cache.set(cache.keyFor(perUser, {}, analyst)!, { flags: 1 }, cache.generation, perUser);
		expect(cache.get(cache.keyFor(perUser, {}, { user: { id: "u2", role: "analyst", domains: ["technology"] } })!)).toBeUndefined();
		expect(cache.get(cache.keyFor(perUser, {}, analyst)!)).toEqual({ flags: 1 });
	});

	it("keeps nothing for actions without a cache, or when turned off", () => {
		expect(new AnswerCache(100, 60000).keyFor({ name: "companies.create" }, {}, analyst)).toBeNull();
		expect(new AnswerCache(100, 0).keyFor(get, { id: "c1" }, analyst)).toBeNull();
	});

	it("a clear drops everything, and an answer computed across a clear is not kept", () => {
		const cache = new AnswerCache(100, 60000);
		const key = cache.keyFor(get, { id: "c1" }, analyst)!;
		cache.set(key, { v: 1 }, cache.generation, get);
		const before = cache.generation; // a call starts
		cache.clear(); // a write lands meanwhile
		cache.set(key, { v: 1 }, before, get); // the call's (stale) answer
		expect(cache.get(key)).toBeUndefined();
		expect(cache.size).toBe(0);
	});

	it("an entry lives at most the action's TTL", async () => {
		const cache = new AnswerCache(100, 60000);
		const short = { name: "flags.isEnabled", cache: { keys: ["name"], ttl: 1 } };
		const key = cache.keyFor(short, { name: "x" }, analyst)!;
		cache.set(key, { enabled: true }, cache.generation, short);
		expect(cache.get(key)).toEqual({ enabled: true });
		await new Promise(resolve => setTimeout(resolve, 1100));
		expect(cache.get(key)).toBeUndefined();
	});
});
