/**
 * The project's own files, found the same way from the sources (`services/x.ts`) and from the build
 * (`dist/services/x.js`): the data sets under `data/`, the YAML files under `config/`, package.json.
 */
import fs from "fs";
import path from "path";
import YAML from "yaml";

/** The directory holding the project's package.json: one or two levels above any of its source or built files. */
export const PROJECT_ROOT = [path.resolve(__dirname, ".."), path.resolve(__dirname, "..", "..")].find(d => fs.existsSync(path.join(d, "package.json")))!;

export function projectPath(...parts: string[]): string {
	return path.join(PROJECT_ROOT, ...parts);
}

/** The platform's version: package.json's. */
export function packageVersion(): string {
	return JSON.parse(fs.readFileSync(projectPath("package.json"), "utf8")).version;
}

/** A YAML file of `config/` (feature_flags.yaml, workflows.yaml, environments/<env>.yaml) parsed; null when there is none. */
export function readConfigYaml(name: string): unknown {
	const file = projectPath("config", name);
	if (!fs.existsSync(file)) return null;
	return YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
}
