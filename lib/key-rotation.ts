/**
 * The background re-encryption after a data key rotation (docs/security.md, "Encryption at rest"): every
 * collection with encrypted fields, a batch at a time by its owning service, progress saved after each batch so
 * another node (or this one after a restart) resumes where it stopped; one node at a time under a lease; the first
 * failure stops the whole job (values not yet re-encrypted stay readable under their retired key).
 */
import { randomUUID } from "node:crypto";
import type { ReencryptBatch } from "../contracts/encryption";
import type { Repository } from "../mixins/db.mixin";

export interface CollectionProgress {
	scanned: number;
	rewritten: number;
	last: string | null;
	done: boolean;
}

export interface ReencryptionJob {
	state: "waiting" | "running" | "done" | "failed";
	kids: string[];
	/** Nodes may write with the key before for up to the keyring's cache time: the pass starts after it. */
	not_before: string;
	started_at: string;
	ended_at: string | null;
	progress: Record<string, CollectionProgress>;
	error: string | null;
	lease: string | null;
	lease_until: string | null;
}

export const JOB_ID = "reencryption";
const BATCH = 200;
const LEASE_MS = 30_000;

/** A target: `<service>/<collection>`, re-encrypted through that service's action. */
export type Target = { service: string; collection: string };
export const targetKey = (t: Target) => `${t.service}/${t.collection}`;

/** A new job for the keys `kids` took over (replacing a finished or failed one; a running one goes on, with the new kids). */
export async function startJob(jobs: Repository, kids: string[], waitMs: number): Promise<void> {
	const now = new Date();
	const job: Omit<ReencryptionJob, "_id"> = {
		state: "waiting",
		kids,
		not_before: new Date(now.getTime() + waitMs).toISOString(),
		started_at: now.toISOString(),
		ended_at: null,
		progress: {},
		error: null,
		lease: null,
		lease_until: null,
	};
	const existing = (await jobs.findByKey(JOB_ID)) as ReencryptionJob | null;
	if (!existing) await jobs.insertKeyed(JOB_ID, job).catch(() => jobs.updateMany({ _id: jobs.idForKey(JOB_ID) }, { $set: job }));
	// a pass already under way restarts from the beginning: records it passed may hold values under the newest old key
	else await jobs.updateMany({ _id: jobs.idForKey(JOB_ID) }, { $set: { ...job, kids: [...new Set([...existing.kids, ...kids])] } });
}

/**
 * Runs the job if it is due and no other node holds it: `batch` re-encrypts one batch of a target. Answers the
 * job's state when this call ended (null: nothing to do here).
 */
export async function runJob(
	jobs: Repository,
	targets: Target[],
	batch: (t: Target, after: string | null, limit: number) => Promise<ReencryptBatch>,
): Promise<ReencryptionJob | null> {
	const job = (await jobs.findByKey(JOB_ID)) as ReencryptionJob | null;
	const now = Date.now();
	if (!job || (job.state !== "waiting" && job.state !== "running") || Date.parse(job.not_before) > now) return null;
	if (job.lease && job.lease_until && Date.parse(job.lease_until) > now) return null;
	const lease = randomUUID();
	const taken = await jobs.updateMany(
		{ _id: jobs.idForKey(JOB_ID), lease: job.lease, started_at: job.started_at },
		{ $set: { lease, lease_until: new Date(now + LEASE_MS).toISOString(), state: "running" } },
	);
	if (taken !== 1) return null;
	const progress = { ...job.progress };
	const save = async (set: Partial<ReencryptionJob>) => {
		const saved = await jobs.updateMany({ _id: jobs.idForKey(JOB_ID), lease }, { $set: { ...set, lease_until: new Date(Date.now() + LEASE_MS).toISOString() } });
		if (saved !== 1) throw new LeaseLost();
	};
	try {
		for (const target of targets) {
			const key = targetKey(target);
			let p = progress[key] ?? { scanned: 0, rewritten: 0, last: null, done: false };
			while (!p.done) {
				const b = await batch(target, p.last, BATCH);
				p = { scanned: p.scanned + b.scanned, rewritten: p.rewritten + b.rewritten, last: b.last, done: b.done };
				progress[key] = p;
				await save({ progress });
			}
		}
		await save({ state: "done", ended_at: new Date().toISOString(), lease: null, lease_until: null });
	} catch (err) {
		if (err instanceof LeaseLost) return null; // a newer rotation restarted the job: its holder goes on
		await jobs.updateMany(
			{ _id: jobs.idForKey(JOB_ID), lease },
			{ $set: { state: "failed", error: (err as Error).message, ended_at: new Date().toISOString(), lease: null, lease_until: null } },
		);
	}
	return (await jobs.findByKey(JOB_ID)) as ReencryptionJob;
}

class LeaseLost extends Error {}
