// Starts CongoDB (an in-process server speaking the MongoDB wire protocol; ESM-only, hence this file) for
// the suites that exercise the Mongo adapter. Its URI reaches them as TEST_MONGO_URI. Every platform a test
// starts reads one key-encryption key file (ENCRYPTION_KEY_FILE), as a cluster's nodes read one Secret.
import { congodb } from "@push.rocks/smartmongo";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export default async function globalSetup() {
	const port = 27100 + Math.floor(Math.random() * 800);
	const server = new congodb.CongoServer({ port, host: "127.0.0.1" });
	await server.start();
	globalThis.__CONGO_SERVER__ = server;
	process.env.TEST_MONGO_URI = `mongodb://127.0.0.1:${port}`;
	if (!process.env.ENCRYPTION_KEY_FILE) {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bizops-test-keys-"));
		const file = path.join(dir, "encryption-keys.json");
		const key = { id: "kek-test", key: crypto.randomBytes(32).toString("base64"), created_at: new Date().toISOString() };
		fs.writeFileSync(file, JSON.stringify({ keys: [key] }), { mode: 0o600 });
		process.env.ENCRYPTION_KEY_FILE = file;
		globalThis.__KEY_DIR__ = dir;
	}
}
