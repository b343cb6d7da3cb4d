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
	/** Unique per change: what the orchestrator keys a company review by (one per change, however often delivered). */
	change_id?: string;
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

/**
 * `{model_id, alias, version, previous_version, transition_id}`: an ML model's production or staging alias moved
 * (deploy, rollback). Sent from ml.registry's outbox (each transition is stored first and re-sent until the
 * channel takes it); the same change is broadcast as ML_ALIAS_CHANGED_EVENT so every prediction node switches
 * at once, and prediction nodes re-read the aliases every ML_ALIASES_RESYNC_MS in case a broadcast was lost.
 */
export const ML_ALIAS_CHANGED_CHANNEL = "ml.model.alias-changed";
export const ML_ALIAS_CHANGED_EVENT = "ml.aliases.changed";
export const ML_ALIASES_RESYNC_MS = 5000;
export interface MlAliasChanged {
	model_id: string;
	alias: "production" | "staging";
	version: number | null;
	previous_version: number | null;
	transition_id: string;
}

/** `{job_id}`: a training job was queued; training nodes look for work at once (they also poll). */
export const ML_JOB_QUEUED_EVENT = "ml.job.queued";

/**
 * Every domain event (`ctx.emit`), as the audit trail records it: sent by the audit middleware on every node
 * (middlewares/audit.middleware.ts) and appended by one `audit` replica, once per `event_id` however often it
 * is delivered.
 */
export const AUDIT_CHANNEL = "audit.events";
/** The audit channel's dead-letter queue: records whose append failed on every redelivery, kept in a ledger and appended later. */
export const AUDIT_UNAPPENDED_CHANNEL = "audit.unappended";
/** Events that record reads, not changes: not audited. */
export const NOT_AUDITED_EVENTS = new Set(["finance.analysis.completed", "ml.predictions.made"]);
/** `{status, type, method, route, ip, actor?}`: the gateway refused a request (401, 403, 429); audited. */
export const REQUEST_DENIED_EVENT = "gateway.request.denied";
/** `{seq, company_id}`: an entry was appended to the audit trail (a broadcast, not audited): projections read on from their checkpoint. */
export const AUDIT_APPENDED_EVENT = "audit.appended";
