export default async function globalTeardown() {
	await globalThis.__CONGO_SERVER__?.stop();
}
