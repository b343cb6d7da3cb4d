/**
 * Durable channels (lib/channels.ts): messages that must reach their consumers even when none is running at
 * the time. Plain Moleculer events (`companies.deleted`, …) still go out for everything else.
 */

/** `{company, by}`: a company was deleted; whatever hangs off it is to be deleted too (idempotently). */
export const COMPANY_DELETED_CHANNEL = "companies.deleted";

/**
 * `{company_id, source, period_end?}`: a company's figures changed (statements written, imported or deleted;
 * operational metrics recorded). What is computed from them (compliance records) is re-evaluated.
 */
export const COMPANY_DATA_CHANGED_CHANNEL = "companies.data.changed";
export interface CompanyDataChanged {
	company_id: string;
	source: "statements" | "operational_metrics";
	period_end?: string;
}

/**
 * `{jti, exp}` (exp in epoch seconds): an access token was revoked. A plain broadcast, not a channel: every
 * gateway keeps the revocations in memory from these, and reloads the whole list from auth on start, on
 * reconnect and every REVOCATIONS_RESYNC_MS, so one lost on the way is caught up within that time.
 */
export const TOKEN_REVOKED_EVENT = "auth.token.revoked";
export const REVOCATIONS_RESYNC_MS = 30000;
