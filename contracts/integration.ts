/** integration (services/integration.service.ts): companies and their filings brought in from SEC EDGAR. */
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

export const Integration = {
	events: {},
	actions: {
		fromSec: action<{ ticker?: string; cik?: string; industry?: string }, SecCompanyImport>()("integration.fromSec"),
		secRefresh: action<{ id: string }, SecCompanyImport>()("integration.secRefresh"),
		secStatus: action<Record<string, never>, SecStatus>()("integration.secStatus"),
	},
} as const;
