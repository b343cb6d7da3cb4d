/** Reproducible stratified splits: each part keeps the data set's class balance (as scikit-learn's StratifiedShuffleSplit / StratifiedKFold). */

/** mulberry32: a small seeded PRNG, so a version's split can be rebuilt from its seed. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function shuffled(indices: number[], random: () => number): number[] {
	const out = indices.slice();
	for (let i = out.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

function byClass(y: ArrayLike<number>, indices: number[], random: () => number): number[][] {
	const classes: number[][] = [[], []];
	for (const i of indices) classes[y[i]].push(i);
	return classes.map(c => shuffled(c, random));
}

/** Splits `indices` (default all rows) into a `fraction` part and the rest, per class. */
export function stratifiedSplit(y: ArrayLike<number>, fraction: number, seed: number, indices?: number[]): { rest: number[]; part: number[] } {
	const random = seededRandom(seed);
	const rest: number[] = [];
	const part: number[] = [];
	for (const members of byClass(y, indices ?? Array.from({ length: y.length }, (_, i) => i), random)) {
		const n = Math.round(members.length * fraction);
		part.push(...members.slice(0, n));
		rest.push(...members.slice(n));
	}
	return { rest: rest.sort((a, b) => a - b), part: part.sort((a, b) => a - b) };
}

/** k stratified folds: each row is in exactly one fold's test part. */
export function stratifiedFolds(y: ArrayLike<number>, k: number, seed: number): Array<{ train: number[]; test: number[] }> {
	const random = seededRandom(seed);
	const folds: number[][] = Array.from({ length: k }, () => []);
	for (const members of byClass(
		y,
		Array.from({ length: y.length }, (_, i) => i),
		random,
	))
		members.forEach((row, i) => folds[i % k].push(row));
	return folds.map((test, f) => ({ test: test.sort((a, b) => a - b), train: folds.flatMap((fold, g) => (g === f ? [] : fold)).sort((a, b) => a - b) }));
}
