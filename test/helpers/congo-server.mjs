// A CongoDB (MongoDB wire protocol, in memory) server as its own process, so a test can stop and restart
// "MongoDB"; with a DIR its data (kept in memory: CongoDB's file storage loses concurrent writes) is saved there
// every 0.5 s and on SIGTERM, and loaded at start. Usage: node congo-server.mjs PORT [DIR]
import { congodb } from "@push.rocks/smartmongo";

const dir = process.argv[3];
const server = new congodb.CongoServer({
	port: Number(process.argv[2]),
	host: "127.0.0.1",
	...(dir ? { storage: "memory", persistPath: `${dir}/congo.json`, persistIntervalMs: 500 } : {}),
});
await server.start();
console.log("ready");
const stop = async () => {
	await server.stop();
	process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
