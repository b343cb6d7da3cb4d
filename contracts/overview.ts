/** overview (services/overview.service.ts): the company overview, a read model folded from the audit trail. */
import type { CompanyOverview, OverviewView } from "../domains/overview/projection";
import { action } from "./contract";

export const Overview = {
	actions: {
		/** The stored projection of a company, as folded so far (null before its first entry). */
		projection: action<{ company_id: string }, CompanyOverview | null>()("overview.projection"),
		/** Up to 100 companies' overviews as the caller may read them (`GET /overviews`). */
		list: action<{ company_ids: string }, { rows: OverviewView[]; not_found: string[] }>()("overview.list"),
	},
} as const;
