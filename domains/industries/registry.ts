/**
 * The industry modules: every folder next to this file is one (its index exports the module as default), so a
 * new industry is a new folder and nothing else. `registerIndustryModule` adds one defined elsewhere (tests).
 * The folder is read on first use (or by `loadIndustryModules`, which services that validate industry ids call
 * when they are created), not when this file is imported.
 */
import fs from "fs";
import path from "path";
import { registerIndustry } from "../../models/industry";
import type { IndustryModule } from "./module";

const modules = new Map<string, IndustryModule>();

export function registerIndustryModule(module: IndustryModule): void {
	loadIndustryModules(); // the shipped ones first, as they are listed
	registerIndustry(module.id);
	modules.set(module.id, module);
}

let scanned = false;

/** Loads the shipped modules (once): their ids become valid industries (models/industry.ts). */
export function loadIndustryModules(): void {
	if (scanned) return;
	scanned = true;
	for (const entry of fs.readdirSync(__dirname, { withFileTypes: true })) {
		if (!entry.isDirectory()) continue;
		const loaded = require(path.join(__dirname, entry.name)) as { default?: IndustryModule };
		if (!loaded.default?.id || loaded.default.id !== entry.name)
			throw new Error(`domains/industries/${entry.name}: its index must export the module with id '${entry.name}' as default`);
		registerIndustryModule(loaded.default);
	}
}

export function industryModules(): IndustryModule[] {
	loadIndustryModules();
	return [...modules.values()];
}

export function industryModule(id: string): IndustryModule | undefined {
	loadIndustryModules();
	return modules.get(id);
}
