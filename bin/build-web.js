/**
 * Builds the web app (web/, docs/web-app.md) into static files: one JavaScript bundle and one
 * style sheet named by their content's hash (cached for good by the gateway), and index.html pointing at them
 * (never cached). esbuild bundles the TSX (Preact) with everything it imports, so the app fetches nothing but
 * the gateway's API. Runs on `npm install` (prepare) and `npm run build`; plain JavaScript, so it runs where
 * the TypeScript tools are not installed, and skips (saying so) where the web sources or esbuild are absent
 * (the production image's install step, before the sources are copied).
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const SOURCES = path.join(ROOT, "web");

/** Builds into `outDir`; answers the files written, with their sizes. */
async function buildWeb(outDir = path.join(ROOT, "dist/web")) {
	const esbuild = require("esbuild");
	const result = await esbuild.build({
		entryPoints: { app: path.join(SOURCES, "src/main.tsx") },
		bundle: true,
		minify: true,
		format: "iife",
		target: ["chrome110", "firefox110", "safari16"],
		jsx: "automatic",
		jsxImportSource: "preact",
		loader: { ".css": "css" },
		write: false,
		outdir: "out",
		legalComments: "none",
		logLevel: "silent",
	});
	const assets = path.join(outDir, "assets");
	fs.rmSync(outDir, { recursive: true, force: true });
	fs.mkdirSync(assets, { recursive: true });
	const written = {};
	for (const file of result.outputFiles) {
		const ext = path.extname(file.path);
		const hash = crypto.createHash("sha256").update(file.contents).digest("hex").slice(0, 12);
		const name = `app-${hash}${ext}`;
		fs.writeFileSync(path.join(assets, name), file.contents);
		written[ext] = name;
	}
	const template = fs.readFileSync(path.join(SOURCES, "index.html"), "utf8");
	const html = template.replace("%SCRIPT%", `/app/assets/${written[".js"]}`).replace("%STYLE%", `/app/assets/${written[".css"]}`);
	fs.writeFileSync(path.join(outDir, "index.html"), html);
	return Object.fromEntries(Object.values(written).map(name => [name, fs.statSync(path.join(assets, name)).size]));
}

module.exports = { buildWeb };

if (require.main === module) {
	let esbuildThere = true;
	try {
		require.resolve("esbuild");
	} catch {
		esbuildThere = false;
	}
	if (!fs.existsSync(path.join(SOURCES, "src/main.tsx")) || !esbuildThere) {
		console.log(`web app: not built here (${esbuildThere ? "no web/ sources" : "esbuild is not installed"}); the image's build stage builds it`);
	} else {
		buildWeb(process.argv[2] ? path.resolve(process.argv[2]) : undefined).then(
			files =>
				console.log(
					`web app built: ${Object.entries(files)
						.map(([name, size]) => `${name} ${(size / 1024).toFixed(1)} KB`)
						.join(", ")}`,
				),
			err => {
				console.error(`web app: the build failed: ${err.message}`);
				process.exit(1);
			},
		);
	}
}
