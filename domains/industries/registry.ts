/**
 * The industry modules: every folder next to this file is one (its index exports the module as default), so a
 * new industry is a new folder and nothing else. `registerIndustryModule` adds one defined elsewhere (tests).
 */
import fs from "fs";
import path from "path";
import { registerIndustry } from "../../models/industry";
import type { IndustryModule } from "./module";

const modules = new Map<string, IndustryModule>();

export function registerIndustryModule(module: IndustryModule): void {
	registerIndustry(module.id);
	modules.set(module.id, module);
}

function loadShippedModules(): void {
	for (const entry of fs.readdirSync(__dirname, { withFileTypes: true })) {
		if (!entry.isDirectory()) continue;
		const loaded = require(path.join(__dirname, entry.name)) as { default?: IndustryModule };
		if (!loaded.default?.id || loaded.default.id !== entry.name)
			throw new Error(`domains/industries/${entry.name}: its index must export the module with id '${entry.name}' as default`);
		registerIndustryModule(loaded.default);
	}
}

loadShippedModules();

export function industryModules(): IndustryModule[] {
	return [...modules.values()];
}

export function industryModule(id: string): IndustryModule | undefined {
	return modules.get(id);
}
