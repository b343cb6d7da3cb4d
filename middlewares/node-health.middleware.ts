/**
 * Liveness and readiness for every node, also those without the gateway (docs/operations.md probes): a small HTTP
 * server on HEALTH_PORT with `GET /health/live` (the process answers) and `GET /health/ready` (services
 * started, transporter connected, this node's stores answering; 503 otherwise and while shutting down).
 */
import { storeHealthAction } from "../contracts";
import { call } from "../lib/contract-calls";
import http from "http";
import type { Middleware, ServiceBroker } from "moleculer";

export async function nodeReadiness(broker: ServiceBroker, accepting: boolean) {
	const transit = (broker as any).transit;
	const transporter = transit ? (transit.connected ? "connected" : "disconnected") : "none";
	const stores: Record<string, string> = {};
	for (const svc of broker.services) {
		if (!(svc.schema.actions as Record<string, unknown> | undefined)?.storeHealth) continue;
		// not started yet: said so, without the broker's warning of an unknown action
		if (!broker.registry.actions.isAvailable(storeHealthAction(svc.name).name)) {
			stores[svc.name] = "unavailable: not started yet";
			continue;
		}
		try {
			await call(broker, storeHealthAction(svc.name), {}, { nodeID: broker.nodeID, timeout: 2000, retries: 0 });
			stores[svc.name] = "ok";
		} catch (err) {
			stores[svc.name] = `unavailable: ${(err as Error).message}`;
		}
	}
	const services = broker.services.map(s => s.name).filter(n => !n.startsWith("$"));
	const ready = accepting && services.length > 0 && transporter !== "disconnected" && Object.values(stores).every(s => s === "ok");
	return { status: ready ? "ready" : "unavailable", node: broker.nodeID, services, transporter, stores };
}

export function NodeHealthMiddleware(port: number | null): Middleware {
	let server: http.Server | null = null;
	let accepting = false;
	return {
		name: "NodeHealth",
		async started(broker: ServiceBroker) {
			accepting = true;
			if (!port) return;
			server = http.createServer(async (req, res) => {
				const send = (code: number, body: unknown) => {
					res.writeHead(code, { "Content-Type": "application/json; charset=utf-8" });
					res.end(JSON.stringify(body));
				};
				if (req.method !== "GET") return send(405, { status: "method not allowed" });
				if (req.url === "/health/live") return send(200, { status: "ok", node: broker.nodeID });
				if (req.url === "/health/ready") {
					const r = await nodeReadiness(broker, accepting);
					return send(r.status === "ready" ? 200 : 503, r);
				}
				send(404, { status: "not found" });
			});
			await new Promise<void>(resolve => server!.listen(port, "0.0.0.0", resolve));
			broker.logger.info(`Node health on http://0.0.0.0:${port}/health/{live,ready}`);
		},
		// not ready from the moment shutdown begins, so the orchestrator stops sending work while requests drain
		stopping() {
			accepting = false;
		},
		async stopped() {
			await new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()));
			server = null;
		},
	} as unknown as Middleware;
}
