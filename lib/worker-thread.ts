/**
 * Worker threads for work whose size a client decides (parsing an uploaded data set, scoring a data set with
 * a stored model): off the main thread, so the node keeps answering, and inside limits, so no input can take
 * the process's heap or time — the thread gets its own V8 heap of at most `memoryMb` (Node's resourceLimits)
 * and is terminated after `timeoutMs`.
 */
import path from "node:path";
import { Worker, type ResourceLimits } from "node:worker_threads";
import { unprocessable } from "../models/errors";
import { malformedJson } from "./json-body";

export function startWorker(moduleFile: string, workerData: unknown, options: { resourceLimits?: ResourceLimits; transferList?: ArrayBuffer[] } = {}): Worker {
	if (moduleFile.endsWith(".ts")) {
		// from the sources (npm start, jest): the thread compiles TypeScript as the main thread does
		const source = `require("@swc-node/register"); require(${JSON.stringify(path.resolve(moduleFile))});`;
		return new Worker(source, { eval: true, workerData, ...options });
	}
	return new Worker(moduleFile, { workerData, ...options });
}

export interface WorkerLimits {
	/** The thread's V8 heap (old generation), MB. */
	memoryMb: number;
	timeoutMs: number;
}

/** The thread ran out of its heap or its time: the input is too large for the limits set. */
export class WorkerLimitError extends Error {
	constructor(
		readonly limit: "memory" | "time",
		readonly limits: WorkerLimits,
	) {
		super(limit === "memory" ? `needs more than the ${limits.memoryMb} MB of memory allowed` : `takes longer than the ${Math.round(limits.timeoutMs / 1000)} s allowed`);
	}
}

/** An error a task threw, carried back from the thread with its own fields (a DatasetError's issues, say). */
export class WorkerTaskError extends Error {
	constructor(
		message: string,
		readonly kind: string,
		readonly details: Record<string, unknown>,
	) {
		super(message);
	}
}

/** What a task answers: its result, and the buffers to move (not copy) back to the caller. */
export interface TaskOutput<T> {
	result: T;
	transfer?: ArrayBuffer[];
}

export type TaskMessage<T> = { ok: true; result: T } | { ok: false; error: { message: string; kind: string; details: Record<string, unknown> } };

const TASKS_FILE = require.resolve("./worker-tasks");

/**
 * Runs a task of lib/worker-tasks.ts in a new thread within the limits; its result, or its error as a
 * WorkerTaskError, or a WorkerLimitError. `transfer` lists buffers of `input` that move to the thread (and are
 * unusable here afterwards).
 */
export function runInWorker<T>(task: string, input: unknown, limits: WorkerLimits, transfer: ArrayBuffer[] = []): Promise<T> {
	return new Promise((resolve, reject) => {
		const worker = startWorker(
			TASKS_FILE,
			{ bizopsTask: task, input },
			{ resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(16, limits.memoryMb / 8)) }, transferList: transfer },
		);
		let settled = false;
		const settle = (fn: () => void) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			fn();
			void worker.terminate();
		};
		const timer = setTimeout(() => settle(() => reject(new WorkerLimitError("time", limits))), limits.timeoutMs);
		worker.once("message", (m: TaskMessage<T>) => settle(() => (m.ok ? resolve(m.result) : reject(new WorkerTaskError(m.error.message, m.error.kind, m.error.details)))));
		worker.once("error", (err: Error & { code?: string }) => settle(() => reject(err.code === "ERR_WORKER_OUT_OF_MEMORY" ? new WorkerLimitError("memory", limits) : err)));
		worker.once("exit", code => settle(() => reject(new Error(`worker thread of ${task} exited (${code}) without an answer`))));
	});
}

/**
 * The bytes as a buffer of their own, to transfer to a thread: a small Buffer shares Node's pool, which must
 * not move (and a copy is made by Node's Buffer, so its memory is transferable from any realm, jest's too).
 */
export function ownBuffer(bytes: Buffer): Buffer {
	if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
	const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
	bytes.copy(copy);
	return copy;
}

/** The thread a large CISO Assistant library is parsed in (YAML: about a second a megabyte). */
export const LIBRARY_PARSE_LIMITS: WorkerLimits = { memoryMb: 256, timeoutMs: 60000 };

/** Below this many characters a text is parsed in place: starting a thread costs more than parsing it. */
export const INLINE_BELOW = 32 * 1024;

/**
 * `inline()` for a small input (`size` below INLINE_BELOW), else the task in a thread within the limits: what
 * grows with the input never holds the main thread up for long.
 */
export function inlineOrInWorker<T>(size: number, task: string, input: unknown, inline: () => T, limits: WorkerLimits): Promise<T> {
	return size < INLINE_BELOW ? Promise.resolve().then(inline) : runInWorker<T>(task, input, limits);
}

/**
 * A task's failure as the client's error: its input refused (400 malformed JSON, 422 naming the fields), or
 * the input too large for the thread's limits (422 naming the limit and `field`); anything else as it is.
 */
export function clientErrorOf(err: unknown, field: string, what: string): Error {
	if (err instanceof WorkerLimitError) return unprocessable(`${what} ${err.message}`, [{ field, message: `${what} ${err.message}`, type: "limit" }]);
	if (err instanceof WorkerTaskError) {
		if (err.details.input_kind === "body") return malformedJson(err.message.replace(/^Malformed JSON body: /, ""));
		const issues = (err.details.issues as Array<{ field: string; message: string; type?: string }> | undefined) ?? [];
		if (err.kind === "dataset" || err.kind === "validation") return unprocessable(err.message, issues.length ? issues : [{ field, message: err.message }]);
	}
	return err as Error;
}
