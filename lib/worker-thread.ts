/** Starts a worker thread from a module of this code base, whether it runs from the TypeScript sources or the build. */
import path from "node:path";
import { Worker } from "node:worker_threads";

export function startWorker(moduleFile: string, workerData: unknown): Worker {
	if (moduleFile.endsWith(".ts")) {
		// from the sources (npm start, jest): the thread compiles TypeScript as the main thread does
		const source = `require("@swc-node/register"); require(${JSON.stringify(path.resolve(moduleFile))});`;
		return new Worker(source, { eval: true, workerData });
	}
	return new Worker(moduleFile, { workerData });
}
