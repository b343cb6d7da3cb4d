/**
 * The thread reports are rendered in (lib/report-threads.ts): it loads the renderers once and renders one
 * document at a time, as the main thread sends them, within the heap its Worker was given.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ReportDocument } from "../domains/reports/document";
import { renderReport, type ReportFormat } from "./report-render";
import { ownBuffer } from "./worker-thread";

export interface RenderRequest {
	id: number;
	document: ReportDocument;
	format: ReportFormat;
}
export type RenderAnswer = { id: number; ok: true; bytes: Uint8Array } | { id: number; ok: false; message: string };

if (parentPort && workerData?.bizopsReportWorker) {
	const port = parentPort;
	port.on("message", (request: RenderRequest) => {
		renderReport(request.document, request.format).then(
			rendered => {
				const bytes = ownBuffer(rendered);
				port.postMessage({ id: request.id, ok: true, bytes } satisfies RenderAnswer, [bytes.buffer as ArrayBuffer]);
			},
			(err: Error) => port.postMessage({ id: request.id, ok: false, message: err.message } satisfies RenderAnswer),
		);
	});
	port.postMessage({ ready: true });
}
