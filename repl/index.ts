/**
 * Operator commands for Moleculer's REPL. Every `*.commands.(ts|js)` file in this folder exports an array
 * of commands; a service that wants its own adds a file here.
 */
import fs from "fs";
import path from "path";
import type { ServiceBroker } from "moleculer";
import type { Principal } from "../domains/identity/rbac";

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

export function print(value: unknown): void {
	console.log(JSON.stringify(value, null, 2));
}

export function loadReplCommands(dir: string = __dirname): ReplCommand[] {
	return fs
		.readdirSync(dir)
		.filter(f => /\.commands\.(ts|js)$/.test(f) && !f.endsWith(".d.ts"))
		.sort()
		.flatMap(f => require(path.join(dir, f)).default as ReplCommand[]);
}
