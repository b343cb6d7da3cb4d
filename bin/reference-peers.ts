/**
 * `npm run reference-peers`: writes data/sec-fsds/reference-peers.json, the benchmark ratios of the shipped
 * FY2009 filers by industry (lib/reference-filers.ts), so the platform reads them instead of parsing the
 * filings at its first analysis. A test fails while the file is out of date.
 */
import fs from "fs";
import path from "path";
import { computeReferencePeers, REFERENCE_PEER_SET, REFERENCE_PEERS_FILE } from "../lib/reference-filers";

export function referencePeersJson(): string {
	return `${JSON.stringify({ ...REFERENCE_PEER_SET, industries: computeReferencePeers() })}\n`;
}

if (require.main === module) {
	fs.writeFileSync(REFERENCE_PEERS_FILE, referencePeersJson());
	console.log(`wrote ${path.relative(process.cwd(), REFERENCE_PEERS_FILE)}`);
}
