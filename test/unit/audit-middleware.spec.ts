/**
 * The audit middleware's wrapper around every action (middlewares/audit.middleware.ts): whatever the chain inside
 * it does — answer, reject, or throw instead of rejecting — its caller is handed a promise, settled the same way.
 */
import type { Context } from "moleculer";
import { AuditMiddleware } from "../../middlewares/audit.middleware";

type Wrap = (next: (ctx: Context) => Promise<unknown>) => (ctx: Context) => Promise<unknown>;

describe("the audit middleware around an action", () => {
	const wrap = (AuditMiddleware() as unknown as { localAction: Wrap }).localAction;
	const ctx = {} as Context;

	it("hands on an answer and a rejection as they are", async () => {
		await expect(wrap(async () => "answer")(ctx)).resolves.toBe("answer");
		await expect(wrap(() => Promise.reject(new Error("refused")))(ctx)).rejects.toThrow("refused");
	});

	it("turns an inner middleware's synchronous throw into a rejected promise", async () => {
		const handler = wrap(() => {
			throw new Error("thrown, not rejected");
		});
		let answer: Promise<unknown> | undefined;
		expect(() => (answer = handler(ctx))).not.toThrow();
		await expect(answer).rejects.toThrow("thrown, not rejected");
	});
});
