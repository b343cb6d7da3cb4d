// Starts CongoDB (an in-process server speaking the MongoDB wire protocol; ESM-only, hence this file) for
// the suites that exercise the Mongo adapter. Its URI reaches them as TEST_MONGO_URI.
import { congodb } from "@push.rocks/smartmongo";

export default async function globalSetup() {
	const port = 27100 + Math.floor(Math.random() * 800);
	const server = new congodb.CongoServer({ port, host: "127.0.0.1" });
	await server.start();
	globalThis.__CONGO_SERVER__ = server;
	process.env.TEST_MONGO_URI = `mongodb://127.0.0.1:${port}`;
}
