/**
 * When to try a failed delivery to a SIEM again: exponential backoff from one second, doubling per consecutive
 * failure, capped at a minute, with "equal jitter" (half the delay fixed, half random) so replicas and restarts do
 * not retry in step.
 * Source: AWS Architecture Blog, "Exponential Backoff And Jitter" (Brooker, 2015).
 */
export const RETRY_BASE_MS = 1000;
export const RETRY_MAX_MS = 60_000;

/** Milliseconds to wait after `failures` consecutive failures (≥ 1); `random` in [0, 1). */
export function retryDelayMs(failures: number, random: number = Math.random()): number {
	const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
	return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
