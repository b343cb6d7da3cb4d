/**
 * `npm run docs`: writes the generated sections of the docs: the events and channels of docs/architecture.md
 * from contracts/, the settings of docs/configuration.md from config/schema.ts. Tests fail while either is out
 * of date.
 */
import fs from "fs";
import path from "path";
import { withSettings } from "../config/doc";
import { withContracts } from "../contracts/doc";

export const ARCHITECTURE_DOC = path.resolve(__dirname, "..", "docs", "architecture.md");
export const CONFIGURATION_DOC = path.resolve(__dirname, "..", "docs", "configuration.md");

if (require.main === module) {
	for (const [file, write] of [
		[ARCHITECTURE_DOC, withContracts],
		[CONFIGURATION_DOC, withSettings],
	] as const) {
		fs.writeFileSync(file, write(fs.readFileSync(file, "utf8")));
		console.log(`wrote the generated section of ${path.relative(process.cwd(), file)}`);
	}
}
