/**
 * `npm run repl`: Moleculer's REPL with bizops' operator commands (health, company, cache-clear, flags, …) on a
 * node with no services that joins the running platform — over its TRANSPORTER in a cluster, or, embedded,
 * through the local socket `npm start` opens in DATA_DIR (lib/local-socket-transporter.ts).
 */
import fs from "fs";
import os from "os";
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { getConfig, type Config } from "../config";
import { LocalSocketTransporter, localSocketPaths } from "../lib/local-socket-transporter";
import { platformLogger } from "../lib/logger";
import { loadReplCommands, openRepl } from "../repl";

const config = getConfig();
const brokerConfig = (require("../moleculer.config") as (config: Config) => BrokerOptions)(config);
let transporter = brokerConfig.transporter;
if (!config.transporter) {
	const paths = localSocketPaths(config.data_dir);
	if (!fs.existsSync(paths.socket) || !fs.existsSync(paths.token)) {
		console.error(
			`No platform is running on ${config.data_dir} (no ${paths.socket}), and no TRANSPORTER is set: start it with \`npm start\` in this folder (or set DATA_DIR to its data folder; for a cluster, TRANSPORTER).`,
		);
		process.exit(1);
	}
	transporter = new LocalSocketTransporter({ dataDir: config.data_dir, role: "peer" }) as never;
}

/**
 * What a node without services must not run: the durable channels (embedded, their adapter would replay and
 * rewrite the platform's own journal in DATA_DIR under the running platform, and its later appends would be
 * lost), the audit outbox that feeds them, and a health server on the platform's HEALTH_PORT.
 */
const NOT_FOR_THE_REPL = new Set(["Channels", "Audit", "NodeHealth"]);

const broker = new ServiceBroker({
	...brokerConfig,
	middlewares: (brokerConfig.middlewares as Array<string | { name?: string }>).filter(m => typeof m === "string" || !NOT_FOR_THE_REPL.has(m.name ?? "")),
	transporter,
	nodeID: `repl-${os.hostname()}-${process.pid}`,
	metrics: { enabled: false },
	// its own warnings only (the platform logs in its own terminal), kept above the prompt
	logger: platformLogger("warn", !!process.stdout.isTTY) as never,
	replOptions: { delimiter: "bizops $", customCommands: loadReplCommands() },
});
if (!config.transporter)
	broker.localBus.on("$transporter.disconnected", (payload: { graceful?: boolean; graceFul?: boolean }) => {
		if (payload?.graceful || payload?.graceFul) return; // the REPL itself leaving (Moleculer spells it graceFul)
		console.error("\nThe platform stopped: leaving the REPL.");
		process.exit(0);
	});

/** The platform's node, known once its INFO has arrived (so `services` and `health` show it from the first command). */
async function platformKnown(timeoutMs: number): Promise<boolean> {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if (broker.registry.nodes.list({ onlyAvailable: true, withServices: false }).some(n => !n.local)) return true;
		await new Promise(resolve => setTimeout(resolve, 50));
	}
	return false;
}

broker
	.start()
	.then(async () => {
		if (!(await platformKnown(10_000))) console.error("No platform node has answered in 10 s: the commands will say what is missing.");
		openRepl(broker);
	})
	.catch(err => {
		console.error(`Cannot attach to the platform: ${(err as Error).message}`);
		process.exit(1);
	});
