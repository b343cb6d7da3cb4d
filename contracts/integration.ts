/** integration (services/integration.service.ts): companies and their filings brought in from SEC EDGAR, and their prices from a provider. */
import type { Company } from "../models/company";
import type { SecFiler } from "../domains/integration/edgar";
import { action } from "./contract";

/** What `from-sec` and `sec-refresh` answer: the company, SEC's description of the filer and what the import wrote. */
export interface SecCompanyImport {
	company: Company;
	/** true: the company was made now; false: it was there (same CIK) and is refreshed. */
	created: boolean;
	filer: Omit<SecFiler, "cik" | "name">;
	import: unknown;
}

/** What the status route shows of the SEC client (lib/sec-client.ts). */
export interface SecStatus {
	paused_until: string | null;
	requests_per_second: number;
	shared: boolean;
	cached_answers: number;
}

/** Where a scheduled refresh reads from: SEC EDGAR (companies with a CIK) or the price provider (companies with a ticker). */
export type RefreshSource = "sec" | "prices";

/** A scheduled refresh, one per firing across every replica (its natural key: the source and the firing's time). */
export interface RefreshRun {
	id: string;
	source: RefreshSource;
	fired_at: string;
	node: string;
	state: "running" | "succeeded" | "paused" | "failed";
	companies: number;
	refreshed: number;
	failed: number;
	errors: Array<{ company_id: string; message: string }>;
	started_at: string;
	finished_at?: string;
}

/** What a price fetch stored: the range asked for, and the upload's counts (none when the provider had no new day). */
export interface PriceFetch {
	company_id: string;
	provider: string;
	ticker: string;
	requested: { from: string; to: string };
	/** A split or a dividend among the new rows: the whole history was fetched again. */
	history_refetched: boolean;
	rows: number;
	from: string | null;
	to: string | null;
	created: number;
	updated: number;
	unchanged: number;
}

export const Integration = {
	events: {},
	actions: {
		fromSec: action<{ ticker?: string; cik?: string; industry?: string }, SecCompanyImport>()("integration.fromSec"),
		secRefresh: action<{ id: string }, SecCompanyImport>()("integration.secRefresh"),
		secStatus: action<Record<string, never>, SecStatus>()("integration.secStatus"),
		fetchPrices: action<{ id: string; from?: string; to?: string }, PriceFetch>()("integration.fetchPrices"),
	},
} as const;
