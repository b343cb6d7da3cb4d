/**
 * Issue 7, item 13: the memory a finance node needs for one SEC import at the 50 MB limit. Tesla's real
 * companyfacts document, padded with copies of its own facts under other tag names (which the import reads
 * and skips, as it would a large filer's) to just under 50 MB, read from a stream and parsed as finance does;
 * peak RSS sampled every 5 ms. Run with --expose-gc so the baseline is taken after a collection.
 */
import fs from "fs";
import path from "path";
import { Readable } from "stream";
import { readJsonBody } from "../lib/json-body";
import { parseCompanyFacts } from "../domains/finance/sec";
import { machine, save } from "./harness";

const LIMIT_MB = 50;

async function main() {
	const doc = JSON.parse(fs.readFileSync(path.join(__dirname, "../data/sec-companyfacts/tesla.json"), "utf8"));
	const tags = Object.entries(doc.facts["us-gaap"]);
	let text = JSON.stringify(doc);
	for (let i = 0; text.length < (LIMIT_MB - 1) * 1024 * 1024;) {
		for (let k = 0; k < 200; k++, i++) doc.facts["us-gaap"][`Padding${i}${tags[i % tags.length][0]}`] = tags[i % tags.length][1];
		text = JSON.stringify(doc);
	}
	const body = Buffer.from(text);
	(global as { gc?: () => void }).gc?.();
	const base = process.memoryUsage().rss;
	let peak = base;
	const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
	const started = Date.now();
	const chunks = Array.from({ length: Math.ceil(body.length / (256 * 1024)) }, (_, i) => body.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));
	const parsed = parseCompanyFacts(await readJsonBody(Readable.from(chunks), `${LIMIT_MB}mb`));
	const ms = Date.now() - started;
	peak = Math.max(peak, process.memoryUsage().rss);
	clearInterval(timer);
	const mb = (n: number) => Math.round(n / 2 ** 20);
	const result = {
		machine: machine(),
		body_mb: +(body.length / 2 ** 20).toFixed(1),
		periods: parsed.periods.length,
		parse_ms: ms,
		rss_before_mb: mb(base),
		rss_peak_mb: mb(peak),
		added_mb: mb(peak - base),
		added_per_body_byte: +((peak - base) / body.length).toFixed(1),
	};
	console.log(`\n${machine()}\n`);
	console.log("| body | periods | read + parse | RSS before | RSS peak | added | added / body |");
	console.log("|---:|---:|---:|---:|---:|---:|---:|");
	console.log(
		`| ${result.body_mb} MB | ${result.periods} | ${ms} ms | ${result.rss_before_mb} MB | ${result.rss_peak_mb} MB | ${result.added_mb} MB | ${result.added_per_body_byte}× |`,
	);
	save("import-memory", result);
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
