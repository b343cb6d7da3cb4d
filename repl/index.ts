/**
 * Operator commands for Moleculer's REPL. Every `*.commands.(ts|js)` file in this folder exports an array
 * of commands; a service that wants its own adds a file here.
 */
import { Companies } from "../contracts";
import { call } from "../lib/contract-calls";
import fs from "fs";
import path from "path";
import type { ServiceBroker } from "moleculer";
import type { Principal } from "../domains/identity/rbac";
import type { Company } from "../models/company";
import { keepLogsAbovePrompt } from "../lib/logger";
import { oneLine } from "./format";
import { shareConfig } from "../config";

export interface ReplCommand {
	command: string;
	description: string;
	alias?: string[];
	options?: Array<{ option: string; description: string }>;
	action(broker: ServiceBroker, args: Record<string, any>, helpers: Record<string, any>): Promise<void>;
}

/** Whoever holds the REPL holds the cluster (it speaks the transporter), so its calls act as a super_admin. */
export const OPERATOR: Principal = { id: "repl-operator", username: "repl-operator", role: "super_admin", domains: ["*"], tier: "premium", kind: "user" };
export const asOperator = { meta: { user: OPERATOR } };

/**
 * The broker as the REPL sees it: every call it makes (the built-in `call`, `dcall`, and the bizops commands)
 * acts as the operator unless the command sets `#user` itself.
 */
export function operatorView(broker: ServiceBroker): ServiceBroker {
	const asOperatorCall =
		(fn: (...a: any[]) => unknown) =>
		(action: unknown, params?: unknown, opts: { meta?: Record<string, unknown> } = {}) =>
			fn.call(broker, action, params, { ...opts, meta: { user: OPERATOR, ...opts.meta } });
	const call = asOperatorCall(broker.call);
	const mcall = (def: unknown, opts: { meta?: Record<string, unknown> } = {}) => broker.mcall(def as any, { ...opts, meta: { user: OPERATOR, ...opts.meta } } as any);
	const view = new Proxy(broker, {
		get(target, prop) {
			if (prop === "call") return call;
			if (prop === "mcall") return mcall;
			const value = Reflect.get(target, prop, target);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	// a command reads the node's configuration (a backup's store) through the view as through the broker
	shareConfig(view, broker);
	return view;
}

/**
 * `clear` clears the screen, as in a shell: moleculer-repl's own `clear` is a deprecated cache command (ours is
 * `cache-clear`), and its commands are registered from each file's `register`, so that one is replaced before
 * the REPL registers them.
 */
function clearClearsTheScreen(): void {
	const builtin = require("moleculer-repl/src/commands/clear.js") as { register: (program: any) => void };
	builtin.register = program =>
		program
			.command("clear")
			.description("Clear the screen (cache-clear clears cached answers)")
			.action(() => void process.stdout.write("\x1Bc"));
}

/** Opens Moleculer's REPL on the operator's view of the broker, with log lines kept above its prompt. */
export function openRepl(broker: ServiceBroker) {
	clearClearsTheScreen();
	const repl = require("moleculer-repl");
	const server = repl(operatorView(broker), broker.options.replOptions);
	keepLogsAbovePrompt(server);
	return server;
}

export function show(text: string): void {
	console.log(text);
}

/** A company by id or ticker (a ticker is unique in the platform, case-insensitive); null when there is none. */
export async function findCompany(broker: ServiceBroker, key: string): Promise<Company | null> {
	if (/^[A-Za-z0-9.-]{1,10}$/.test(key)) {
		const list = await call(broker, Companies.actions.list, { ticker: key.toUpperCase() }, asOperator);
		if (list.rows[0]) return list.rows[0];
	}
	return call(broker, Companies.actions.get, { id: key }, asOperator).catch(() => null);
}

/** Every command's failure is one line (what and why), never a stack trace. */
export function loadReplCommands(dir: string = __dirname): ReplCommand[] {
	return fs
		.readdirSync(dir)
		.filter(f => /\.commands\.(ts|js)$/.test(f) && !f.endsWith(".d.ts"))
		.sort()
		.flatMap(f => require(path.join(dir, f)).default as ReplCommand[])
		.map(c => ({
			...c,
			async action(broker: ServiceBroker, args: Record<string, any>, helpers: Record<string, any>) {
				try {
					await c.action(broker, args, helpers);
				} catch (err) {
					show(oneLine(err));
				}
			},
		}));
}
