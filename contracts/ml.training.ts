/** ml.training (services/ml.training.service.ts): training jobs, queued and taken by training nodes. */
import type { Page } from "../models/common";
import type { Hyperparameters, TrainingProgress } from "../domains/ml/model-types";
import type { Entity } from "../models/common";
import type { JobState, MlAlias } from "../models/ml";
import { action, event } from "./contract";

export interface TrainingJob extends Entity {
	model_id: string;
	/** The model's domain: quotas and fair scheduling count per domain. */
	domain?: string;
	dataset_id: string;
	/** Seconds of training estimated when the job was queued (domains/ml/cost.ts). */
	estimated_seconds?: number;
	state: JobState;
	hyperparameters: Hyperparameters;
	k_folds?: number;
	seed: number;
	progress: number;
	stage?: string;
	history: Array<TrainingProgress & { stage?: string }>;
	/** The version the job created. */
	version?: number;
	/** Deploy the new version to this alias when it passes the gates (the default model on first start). */
	deploy_to?: MlAlias;
	error?: string;
	attempts: number;
	node?: string;
	lease_until?: string;
	started_at?: string;
	finished_at?: string;
	created_by: string;
}

interface JobEvent {
	job_id: string;
	model_id: string;
}
const ofJob = { entity: "ml.job", id: (p: JobEvent) => p.job_id };

export const MlTraining = {
	events: {
		/** Emitted by the train action (recorded); also broadcast to every training node so one takes it at once (they poll too). */
		jobQueued: event<JobEvent & { by?: string }>()("ml.job.queued", ofJob),
		jobSucceeded: event<JobEvent & { version: number }>()("ml.job.succeeded", ofJob),
		jobFailed: event<JobEvent>()("ml.job.failed", ofJob),
		/** By a user (`by`), and again by the job's node when its run stops. */
		jobCancelled: event<JobEvent & { by?: string }>()("ml.job.cancelled", ofJob),
	},
	actions: {
		listJobs: action<{ model_id?: string; state?: JobState; page?: number; page_size?: number }, Page<TrainingJob>>()("ml.training.listJobs"),
	},
} as const;
