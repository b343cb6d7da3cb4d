/**
 * Logistic regression fitted by iteratively reweighted least squares: Newton–Raphson on the weighted, ridge-
 * penalised log-likelihood (McCullagh & Nelder 1989, "Generalized Linear Models", §4.4; the ridge as in le Cessie
 * & van Houwelingen 1992), each step halved until the objective falls. It converges in a few iterations at any
 * data size, with no learning rate, batch size or epochs to choose.
 */

export interface LogisticFitOptions {
	/** Ridge penalty per row: the objective is the weighted mean log-loss + l2 · ‖β‖² (the intercept is not penalised). */
	l2: number;
	/** Each row's weight (class weights, for instance); 1 when absent. */
	weights?: Float64Array;
	maxIterations: number;
	/** Converged when no coefficient moves by more than this in a step. */
	tolerance: number;
	/** After each iteration: its number, the objective, the coefficients (intercept last). */
	onIteration?(iteration: number, objective: number, beta: Float64Array): void;
	/** True to stop after the current iteration. */
	stop?(): boolean;
	/** Awaited between iterations: a training worker's chance to read its messages (a cancellation). */
	pause?(): Promise<void>;
}

export interface LogisticFit {
	/** One per column of x. */
	coefficients: Float64Array;
	intercept: number;
	iterations: number;
	converged: boolean;
	/** The penalised objective at the fit. */
	objective: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/** β's linear predictor for a row (β's last entry is the intercept). */
function linear(beta: Float64Array, row: Float64Array): number {
	const d = row.length;
	let z = beta[d];
	for (let j = 0; j < d; j++) z += beta[j] * row[j];
	return z;
}

function objectiveOf(x: Float64Array[], y: Uint8Array, w: Float64Array, totalWeight: number, beta: Float64Array, lambda: number): number {
	let loss = 0;
	for (let i = 0; i < x.length; i++) {
		const z = linear(beta, x[i]);
		loss += w[i] * (softplus(z) - (y[i] ? z : 0));
	}
	let penalty = 0;
	for (let j = 0; j < beta.length - 1; j++) penalty += beta[j] * beta[j];
	return loss / totalWeight + lambda * penalty;
}

/**
 * Solves the symmetric positive-definite system A·s = b by Cholesky, in place of b (A is k × k, row-major; only its
 * lower triangle is read, and it is overwritten by the factor).
 */
export function choleskySolve(a: Float64Array, b: Float64Array, k: number): Float64Array {
	for (let j = 0; j < k; j++) {
		let diag = a[j * k + j];
		for (let m = 0; m < j; m++) diag -= a[j * k + m] * a[j * k + m];
		// a tiny ridge keeps a column that is constant on every row (an indicator never set) solvable
		const l = Math.sqrt(Math.max(diag, 1e-12));
		a[j * k + j] = l;
		for (let i = j + 1; i < k; i++) {
			let v = a[i * k + j];
			for (let m = 0; m < j; m++) v -= a[i * k + m] * a[j * k + m];
			a[i * k + j] = v / l;
		}
	}
	for (let i = 0; i < k; i++) {
		let v = b[i];
		for (let m = 0; m < i; m++) v -= a[i * k + m] * b[m];
		b[i] = v / a[i * k + i];
	}
	for (let i = k - 1; i >= 0; i--) {
		let v = b[i];
		for (let m = i + 1; m < k; m++) v -= a[m * k + i] * b[m];
		b[i] = v / a[i * k + i];
	}
	return b;
}

export async function fitLogistic(x: Float64Array[], y: Uint8Array, options: LogisticFitOptions): Promise<LogisticFit> {
	const n = x.length;
	const d = n ? x[0].length : 0;
	const k = d + 1;
	const w = options.weights ?? new Float64Array(n).fill(1);
	let totalWeight = 0;
	for (let i = 0; i < n; i++) totalWeight += w[i];
	totalWeight ||= 1;
	const lambda = options.l2;
	const beta = new Float64Array(k);
	let objective = objectiveOf(x, y, w, totalWeight, beta, lambda);
	const hessian = new Float64Array(k * k);
	const gradient = new Float64Array(k);
	const trial = new Float64Array(k);
	let iterations = 0;
	let converged = false;
	while (iterations < options.maxIterations && !converged) {
		await options.pause?.();
		if (options.stop?.()) break;
		iterations++;
		hessian.fill(0);
		gradient.fill(0);
		// the weighted mean's gradient and Hessian (its lower triangle: all the Cholesky solve reads)
		for (let i = 0; i < n; i++) {
			const row = x[i];
			const p = sigmoid(linear(beta, row));
			const g = (w[i] * (p - y[i])) / totalWeight;
			const h = (w[i] * Math.max(p * (1 - p), 1e-10)) / totalWeight;
			for (let a = 0; a < d; a++) {
				const ha = h * row[a];
				if (ha === 0) continue;
				gradient[a] += g * row[a];
				const base = a * k;
				for (let b = 0; b <= a; b++) hessian[base + b] += ha * row[b];
				hessian[d * k + a] += ha;
			}
			gradient[d] += g;
			hessian[d * k + d] += h;
		}
		for (let j = 0; j < d; j++) {
			gradient[j] += 2 * lambda * beta[j];
			hessian[j * k + j] += 2 * lambda;
		}
		const step = choleskySolve(hessian, gradient, k);
		// step halving: Newton's full step can overshoot far from the optimum (nearly separable classes)
		let scale = 1;
		let next = objective;
		for (let halvings = 0; halvings < 30; halvings++, scale /= 2) {
			for (let j = 0; j < k; j++) trial[j] = beta[j] - scale * step[j];
			next = objectiveOf(x, y, w, totalWeight, trial, lambda);
			if (next <= objective) break;
		}
		let moved = 0;
		for (let j = 0; j < k; j++) moved = Math.max(moved, Math.abs(trial[j] - beta[j]));
		if (next <= objective) {
			beta.set(trial);
			objective = next;
		}
		converged = moved < options.tolerance || next > objective;
		options.onIteration?.(iterations, objective, beta);
	}
	return { coefficients: beta.slice(0, d), intercept: beta[d], iterations, converged, objective };
}

/** The probability of the positive class for each row. */
export function predictLogistic(fit: Pick<LogisticFit, "coefficients" | "intercept">, rows: Float64Array[]): Float64Array {
	const out = new Float64Array(rows.length);
	const beta = new Float64Array(fit.coefficients.length + 1);
	beta.set(fit.coefficients);
	beta[fit.coefficients.length] = fit.intercept;
	for (let i = 0; i < rows.length; i++) out[i] = sigmoid(linear(beta, rows[i]));
	return out;
}
