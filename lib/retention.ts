/**
 * Retention (docs/operations.md, "Retention"): what grows with use and is needed only for a while (drift counts,
 * scores given to companies, deleted companies' overviews, report files) is removed once older than its setting.
 * Each owning service sweeps its own collections hourly and once at start; every replica may (a removal done twice
 * removes nothing more).
 */
const DAY_MS = 86_400_000;
export const RETENTION_SWEEP_MS = 3_600_000;

/** The ISO time before which a record `days` old is removed; null when `days` is 0 (kept forever). */
export function retentionCutoff(days: number, now = Date.now()): string | null {
	return days > 0 ? new Date(now - days * DAY_MS).toISOString() : null;
}

/** Runs `sweep` now and every hour (unref'd: never what keeps a process up); its timer, to clear on stop. */
export function scheduleRetention(sweep: () => Promise<unknown>, warn: (message: string) => void): NodeJS.Timeout {
	const run = () => void sweep().catch(err => warn(`Retention: ${(err as Error).message}`));
	setImmediate(run);
	const timer = setInterval(run, RETENTION_SWEEP_MS);
	timer.unref();
	return timer;
}
