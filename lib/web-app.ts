/**
 * The web app's files as the gateway serves them at /app (docs/web-app.md): index.html for /app and every path
 * under it that is not an asset (deep links: the app routes them itself), never cached; the hashed assets cached
 * for a year (their names change with their content); a strict content security policy, so the page runs only
 * this origin's script and style and talks only to this origin.
 */
import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";

export const APP_PATH = "/app";

/** Everything from this origin, nothing inline, nothing framed; uPlot's canvas and data: images only. */
export const WEB_APP_CSP = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"font-src 'self'",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'self'",
	"frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
	".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".woff2": "font/woff2",
};

/** Whether a request's path is the web app's. */
export const isWebAppPath = (url: string): boolean => url === APP_PATH || url.startsWith(`${APP_PATH}/`) || url.startsWith(`${APP_PATH}?`);

export class WebApp {
	/** Files read once: the assets never change under a name, index.html changes only with a new build (and a restart). */
	private readonly files = new Map<string, Buffer | null>();

	constructor(private readonly dir: string) {}

	private read(file: string): Buffer | null {
		if (!this.files.has(file)) {
			const full = path.join(this.dir, file);
			this.files.set(file, fs.existsSync(full) ? fs.readFileSync(full) : null);
		}
		return this.files.get(file)!;
	}

	answer(req: IncomingMessage, res: ServerResponse): void {
		res.setHeader("X-Content-Type-Options", "nosniff");
		res.setHeader("Referrer-Policy", "no-referrer");
		if (req.method !== "GET" && req.method !== "HEAD") {
			res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
			return void res.end("Method not allowed");
		}
		const urlPath = decodeURIComponent((req.url ?? "").split("?")[0]);
		const asset = /^\/app\/assets\/([A-Za-z0-9._-]+)$/.exec(urlPath);
		if (asset) {
			const body = asset[1].includes("..") ? null : this.read(path.join("assets", asset[1]));
			if (!body) {
				res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
				return void res.end("No such file");
			}
			res.writeHead(200, {
				"Content-Type": TYPES[path.extname(asset[1])] ?? "application/octet-stream",
				"Content-Length": body.length,
				"Cache-Control": "public, max-age=31536000, immutable",
			});
			return void res.end(req.method === "HEAD" ? undefined : body);
		}
		const index = this.read("index.html");
		if (!index) {
			res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
			return void res.end(`The web app is not built in ${this.dir}: run npm run build:web (npm install does it)`);
		}
		res.writeHead(200, {
			"Content-Type": "text/html; charset=utf-8",
			"Content-Length": index.length,
			"Cache-Control": "no-cache",
			"Content-Security-Policy": WEB_APP_CSP,
			"X-Frame-Options": "DENY",
		});
		res.end(req.method === "HEAD" ? undefined : index);
	}
}
