/** ml.prediction (services/ml.prediction.service.ts): predictions from a model's production version, and the distress probability risk reads. */
import type { MlDistress } from "../domains/risk/scoring";
import { action, signal } from "./contract";

/** One row's answer: scored, or not for want of inputs (domains/ml/coverage.ts). */
export type Prediction =
	| { status: "scored"; probability: number; label: string; input_coverage: number }
	| { status: "insufficient_inputs"; probability: null; label: null; input_coverage: number; missing_inputs: string[] };

export interface CompanyPrediction {
	model_id: string;
	model_version: number;
	threshold: number;
	input_coverage_floor: number;
	predictions: Prediction[];
	company_id: string;
	period_end: string;
	inputs: Record<string, number | null>;
	inputs_not_computed: unknown[];
}

export const MlPrediction = {
	events: {
		/** A read: not recorded (the drift counts keep what was scored). */
		predictionsMade: signal<{ model_id: string; version: number; rows: number; scored: number }>()("ml.predictions.made"),
	},
	actions: {
		/** A company's prediction (or rows given in `rows`) from the model's production version. */
		predict: action<{ id: string; company_id: string }, CompanyPrediction>()("ml.prediction.predict"),
		/** The default distress model's probability for the company: the risk service's distress factor. */
		distress: action<{ company_id: string }, MlDistress>()("ml.prediction.distress"),
	},
} as const;
