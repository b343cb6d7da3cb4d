/**
 * Durable channels (lib/channels.ts): messages that must reach their consumers even when none is running at
 * the time. Plain Moleculer events (`companies.deleted`, …) still go out for everything else.
 */

/** `{company, by}`: a company was deleted; whatever hangs off it is to be deleted too (idempotently). */
export const COMPANY_DELETED_CHANNEL = "companies.deleted";
