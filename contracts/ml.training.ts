/** ml.training (services/ml.training.service.ts): training jobs, queued and taken by training nodes. */
import type { Page } from "../models/common";
import type { JobState, TrainingJob } from "../models/ml";
import { action, event } from "./contract";

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
