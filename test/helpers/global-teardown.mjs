import fs from "node:fs";

export default async function globalTeardown() {
	await globalThis.__CONGO_SERVER__?.stop();
	if (globalThis.__KEY_DIR__) fs.rmSync(globalThis.__KEY_DIR__, { recursive: true, force: true });
}
