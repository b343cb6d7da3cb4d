/**
 * `npm run repl`: a node with no services that joins the running cluster over its TRANSPORTER and opens
 * Moleculer's REPL with bizops' operator commands (health, company, cache-clear, flags).
 */
import os from "os";
import { ServiceBroker } from "moleculer";
import { getConfig } from "../config";
import { loadReplCommands, openRepl } from "../repl";

if (!getConfig().transporter) {
	console.error("No TRANSPORTER: there is no cluster to attach to. For the embedded platform use `npm run start:repl`.");
	process.exit(1);
}

const config = require("../moleculer.config");
const broker = new ServiceBroker({
	...config,
	nodeID: `repl-${os.hostname()}-${process.pid}`,
	metrics: { enabled: false },
	logLevel: "warn",
	replOptions: { delimiter: "bizops $", customCommands: loadReplCommands() },
});
broker.start().then(() => openRepl(broker));
