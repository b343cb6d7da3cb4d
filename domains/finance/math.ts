/** Arithmetic where a missing input or a zero denominator gives null, never 0, NaN or Infinity (docs/formulas.md). */
export type Value = number | null;

const finite = (x: number): Value => (Number.isFinite(x) ? x : null);

export function div(a: Value | undefined, b: Value | undefined): Value {
	if (a == null || b == null || b === 0) return null;
	return finite(a / b);
}

export function sub(a: Value | undefined, b: Value | undefined): Value {
	if (a == null || b == null) return null;
	return finite(a - b);
}

export function add(...xs: Array<Value | undefined>): Value {
	let s = 0;
	for (const x of xs) {
		if (x == null) return null;
		s += x;
	}
	return finite(s);
}

export function mul(...xs: Array<Value | undefined>): Value {
	let p = 1;
	for (const x of xs) {
		if (x == null) return null;
		p *= x;
	}
	return finite(p);
}

/** Σ wᵢ·xᵢ, null if any x is missing. */
export function weighted(weights: readonly number[], xs: readonly Value[]): Value {
	let s = 0;
	for (let i = 0; i < weights.length; i++) {
		const x = xs[i];
		if (x == null) return null;
		s += weights[i] * x;
	}
	return finite(s);
}

/** Growth from `prev` to `cur`, relative to |prev| so a smaller loss reads as growth; null when prev is 0. */
export function growth(cur: Value | undefined, prev: Value | undefined): Value {
	if (cur == null || prev == null || prev === 0) return null;
	return finite((cur - prev) / Math.abs(prev));
}

export function median(xs: number[]): Value {
	if (xs.length === 0) return null;
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
