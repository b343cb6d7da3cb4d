/**
 * The worker threads reports are rendered in (docs/reports.md): started at the first report, kept while reports
 * come (loading ECharts, pdfmake and exceljs costs about half a second a thread), stopped after a few idle minutes
 * so a node that makes no report holds no renderer. Each thread renders one document at a time within a heap of
 * `memoryMb`; one that runs out of it or past `timeoutMs` is stopped, its report failed, and the next report
 * starts a fresh thread.
 */
import type { Worker } from "node:worker_threads";
import type { ReportDocument } from "../domains/reports/document";
import type { ReportFormat } from "./report-render";
import type { RenderAnswer, RenderRequest } from "./report-worker";
import { startWorker, WorkerLimitError, type WorkerLimits } from "./worker-thread";

const WORKER_FILE = require.resolve("./report-worker");
const IDLE_MS = 5 * 60_000;

interface Thread {
	worker: Worker;
	ready: Promise<void>;
	busy: boolean;
	idle?: NodeJS.Timeout;
}

export class ReportThreads {
	private readonly threads = new Set<Thread>();
	private readonly waiting: Array<(thread: Thread) => void> = [];
	private nextId = 1;

	constructor(
		private readonly size: number,
		private readonly limits: WorkerLimits,
	) {}

	/** The document as a file of the format, rendered in a thread (after the reports before it). */
	async render(document: ReportDocument, format: ReportFormat): Promise<Buffer> {
		const thread = await this.acquire();
		try {
			return await this.renderIn(thread, { id: this.nextId++, document, format });
		} finally {
			this.release(thread);
		}
	}

	async close(): Promise<void> {
		await Promise.all([...this.threads].map(t => this.stop(t)));
	}

	private acquire(): Promise<Thread> {
		const free = [...this.threads].find(t => !t.busy);
		const thread = free ?? (this.threads.size < this.size ? this.start() : null);
		if (thread) {
			thread.busy = true;
			clearTimeout(thread.idle);
			return Promise.resolve(thread);
		}
		return new Promise(resolve => this.waiting.push(resolve));
	}

	private release(thread: Thread): void {
		if (!this.threads.has(thread)) {
			// stopped while rendering: a waiting report gets a fresh thread
			const next = this.waiting.shift();
			if (next) next(this.start(true));
			return;
		}
		const next = this.waiting.shift();
		if (next) return next(thread);
		thread.busy = false;
		thread.idle = setTimeout(() => void this.stop(thread), IDLE_MS);
		thread.idle.unref();
	}

	private start(busy = true): Thread {
		const worker = startWorker(
			WORKER_FILE,
			{ bizopsReportWorker: true },
			{ resourceLimits: { maxOldGenerationSizeMb: this.limits.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(16, this.limits.memoryMb / 8)) } },
		);
		const ready = new Promise<void>((resolve, reject) => {
			worker.once("message", () => resolve());
			worker.once("error", reject);
			worker.once("exit", code => reject(new Error(`report thread exited (${code}) as it started`)));
		});
		ready.catch(() => undefined); // awaited by the first render
		const thread: Thread = { worker, ready, busy };
		worker.on("exit", () => this.threads.delete(thread));
		this.threads.add(thread);
		return thread;
	}

	private async stop(thread: Thread): Promise<void> {
		clearTimeout(thread.idle);
		this.threads.delete(thread);
		await thread.worker.terminate();
	}

	private async renderIn(thread: Thread, request: RenderRequest): Promise<Buffer> {
		await thread.ready;
		return new Promise<Buffer>((resolve, reject) => {
			const { worker } = thread;
			const done = (fn: () => void) => {
				clearTimeout(timer);
				worker.off("message", onMessage);
				worker.off("error", onError);
				worker.off("exit", onExit);
				fn();
			};
			const onMessage = (answer: RenderAnswer) => {
				if (answer.id !== request.id) return;
				done(() => (answer.ok ? resolve(Buffer.from(answer.bytes.buffer, answer.bytes.byteOffset, answer.bytes.byteLength)) : reject(new Error(answer.message))));
			};
			const onError = (err: Error & { code?: string }) => {
				void this.stop(thread);
				done(() => reject(err.code === "ERR_WORKER_OUT_OF_MEMORY" ? new WorkerLimitError("memory", this.limits) : err));
			};
			const onExit = (code: number) => done(() => reject(new Error(`report thread exited (${code})`)));
			const timer = setTimeout(() => {
				void this.stop(thread);
				done(() => reject(new WorkerLimitError("time", this.limits)));
			}, this.limits.timeoutMs);
			worker.on("message", onMessage);
			worker.on("error", onError);
			worker.on("exit", onExit);
			worker.postMessage(request);
		});
	}
}
