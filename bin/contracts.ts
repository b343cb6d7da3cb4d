/** `npm run contracts`: writes the list of events and channels in docs/architecture.md from contracts/. */
import fs from "fs";
import path from "path";
import { withContracts } from "../contracts/doc";

export const ARCHITECTURE_DOC = path.resolve(__dirname, "..", "docs", "architecture.md");

if (require.main === module) {
	fs.writeFileSync(ARCHITECTURE_DOC, withContracts(fs.readFileSync(ARCHITECTURE_DOC, "utf8")));
	console.log(`wrote the contracts section of ${path.relative(process.cwd(), ARCHITECTURE_DOC)}`);
}
