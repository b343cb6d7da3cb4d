/**
 * Start-up under load (issue 21, item 18): a node whose MongoDB is not there yet when it starts — here a port
 * that takes connections and drops them, then the real server — keeps retrying its start-up work (opening
 * collections, seeding flags, the first GridFS write of the shipped data sets) and becomes ready once the
 * store answers, instead of failing on MongoDB's 1 s server selection.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort, startCongo, startNode, waitFor, type NodeProc, type Proc } from "../helpers/cluster";
import { ADMIN_PASSWORD } from "../helpers/platform";

describe("a node started before its MongoDB", () => {
	let node: NodeProc | undefined;
	let mongo: Proc | undefined;
	afterAll(async () => {
		await node?.stop(5000);
		await mongo?.stop(5000);
	});

	it("retries its start-up work and is ready, its data sets registered, once MongoDB answers", async () => {
		const port = freePort();
		// MongoDB "not up yet": connections are taken and dropped, so every attempt fails as on a busy machine
		let attempts = 0;
		const dropping = net.createServer(socket => {
			attempts++;
			socket.destroy();
		});
		await new Promise<void>(resolve => dropping.listen(port, "127.0.0.1", () => resolve()));
		const starting = startNode("early-node", "api,auth,flags,ml.datasets,ml.registry", {
			MONGO_URI: `mongodb://127.0.0.1:${port}/bizops`,
			BIZOPS_ADMIN_PASSWORD: ADMIN_PASSWORD,
			ML_SHIPPED_DATASETS: "true",
		});
		await waitFor("the node trying MongoDB again and again", async () => attempts >= 5, 30_000, 100);
		await new Promise<void>(resolve => dropping.close(() => resolve()));
		mongo = await startCongo(port, fs.mkdtempSync(path.join(os.tmpdir(), "bizops-early-mongo-")));
		node = await starting;

		const login = await fetch(`${node.url}/auth/login`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
		});
		const { token } = (await login.json()) as { token: string };
		const datasets = (await (await fetch(`${node.url}/ml/datasets`, { headers: { authorization: `Bearer ${token}` } })).json()) as { rows: Array<{ name: string }> };
		expect(datasets.rows.map(d => d.name).sort()).toEqual(["polish-bankruptcy-1year", "polish-bankruptcy-5year"]);
		// it said what it was waiting for
		expect(node.log.some(line => /trying again in \d+ ms/.test(line))).toBe(true);
	}, 120_000);
});
