/** CISO Assistant library YAML measured before it is parsed: flow and block nesting, quotes and comments skipped. */
import { LIBRARY_YAML_LIMITS, parseLibraryYaml, yamlDepth } from "../../domains/libraries/yaml";
import { LIQUIDITY_POLICY_LIBRARY } from "../helpers/fixtures";

describe("the nesting of library YAML", () => {
	it("counts flow collections and block indentation levels", () => {
		expect(yamlDepth("a: 1\nb: 2\n")).toBe(1);
		expect(yamlDepth("a:\n  b:\n    c: 1\n")).toBe(3);
		expect(yamlDepth("a: [[[1]]]\n")).toBe(4);
		expect(yamlDepth("a: { b: { c: [1, 2] } }\n")).toBe(4);
		expect(yamlDepth("objects: " + "[".repeat(1000) + "]".repeat(1000))).toBe(1001);
		// a real library: a few levels
		expect(yamlDepth(LIQUIDITY_POLICY_LIBRARY)).toBeLessThan(10);
	});

	it("does not count brackets in quoted scalars, comments, or inside plain words", () => {
		expect(yamlDepth(`a: "[[[[[[[["\nb: '{{{{{{{{'\n`)).toBe(1);
		expect(yamlDepth("a: 1 # [[[[[[[[[\n")).toBe(1);
		expect(yamlDepth("description: see note[1] and x{y}\n")).toBe(1);
		expect(yamlDepth(`a: 'it''s [[[[ quoted'\n`)).toBe(1);
	});

	it("refuses a document nested past the limit before the parser, and what is not YAML after it", () => {
		const deep = parseLibraryYaml("objects: " + "[".repeat(LIBRARY_YAML_LIMITS.max_depth + 1) + "]".repeat(LIBRARY_YAML_LIMITS.max_depth + 1));
		expect(deep.problem).toMatchObject({ field: "content", type: "yamlDepth", message: `nested 66 levels deep: a library nests at most ${LIBRARY_YAML_LIMITS.max_depth}` });
		expect(parseLibraryYaml("a: [1, 2").problem).toMatchObject({ type: "yaml", message: expect.stringMatching(/^not YAML: /) });
		expect(parseLibraryYaml(LIQUIDITY_POLICY_LIBRARY).doc).toMatchObject({ objects: { framework: { ref_id: "liquidity-policy" } } });
	});
});
