/**
 * The YAML text of a CISO Assistant library (risk matrices, frameworks), parsed within limits. The parser
 * recurses once per nesting level, so a megabyte of brackets (`[[[[…]]]]`) took it 7 s and 400 MB before it gave
 * up: nesting is measured first by one linear scan, flow collections (`[`, `{` where a value may start) and block
 * indentation alike, and a text nested deeper than any library is refused. Aliases are capped (the "billion
 * laughs" expansion: YAML 1.2 §6.9.2 / yaml's maxAliasCount).
 */
import YAML from "yaml";

export const LIBRARY_YAML_LIMITS = { max_depth: 64, max_aliases: 100 } as const;

export interface LibraryProblem {
	field: string;
	message: string;
	type: string;
}

/** Where a flow collection may open: after one of these (or at the start of a line). */
const VALUE_START = new Set([":", "-", "[", "{", ",", "?"]);

/** The deepest nesting of the text: open flow collections plus block indentation levels, at their worst. */
export function yamlDepth(text: string): number {
	let deepest = 0;
	let flow = 0;
	const indents: number[] = [];
	let lineStart = true;
	let indent = 0;
	let previous = ""; // the last character that was not a space on this line
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (ch === "\n") {
			lineStart = true;
			indent = 0;
			previous = "";
			continue;
		}
		if (lineStart) {
			if (ch === " ") {
				indent++;
				continue;
			}
			lineStart = false;
			if (ch !== "#" && ch !== "\r" && flow === 0) {
				// a block level for each indentation deeper than the one before it
				while (indents.length && indents[indents.length - 1] >= indent) indents.pop();
				indents.push(indent);
			}
		}
		if (ch === "#" && (previous === "" || text[i - 1] === " ")) {
			const end = text.indexOf("\n", i);
			i = (end < 0 ? text.length : end) - 1;
			continue;
		}
		if ((ch === '"' || ch === "'") && (previous === "" || VALUE_START.has(previous))) {
			// a quoted scalar: skipped whole ('' escapes a single quote, \ escapes in double quotes)
			let j = i + 1;
			for (; j < text.length; j++) {
				if (ch === '"' && text[j] === "\\") j++;
				else if (text[j] === ch) {
					if (ch === "'" && text[j + 1] === "'") j++;
					else break;
				}
			}
			i = j;
			previous = ch;
			continue;
		}
		if ((ch === "[" || ch === "{") && (previous === "" || VALUE_START.has(previous) || flow > 0)) flow++;
		else if ((ch === "]" || ch === "}") && flow > 0) flow--;
		if (ch !== " " && ch !== "\t" && ch !== "\r") previous = ch;
		const depth = indents.length + flow;
		if (depth > deepest) deepest = depth;
	}
	return deepest;
}

/** The library's document, or the problem that stops it (nested too deep, too many aliases, not YAML). */
export function parseLibraryYaml(text: string): { doc: unknown; problem?: undefined } | { doc?: undefined; problem: LibraryProblem } {
	const depth = yamlDepth(text);
	if (depth > LIBRARY_YAML_LIMITS.max_depth)
		return { problem: { field: "content", message: `nested ${depth} levels deep: a library nests at most ${LIBRARY_YAML_LIMITS.max_depth}`, type: "yamlDepth" } };
	try {
		return { doc: YAML.parse(text, { maxAliasCount: LIBRARY_YAML_LIMITS.max_aliases }) };
	} catch (err) {
		return { problem: { field: "content", message: `not YAML: ${(err as Error).message.split("\n")[0]}`, type: "yaml" } };
	}
}
