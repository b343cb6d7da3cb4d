/** companies (services/companies.service.ts): the companies, and the channels that tell others what happened to one. */
import type { Company } from "../models/company";
import type { Page } from "../models/common";
import { action, channel, event } from "./contract";

/** A company's own event: its entity, its company and its domain are the company's. */
const ofCompany = {
	entity: "companies",
	id: (p: { company: Company }) => p.company.id,
	company: (p: { company: Company }) => p.company.id,
	domain: (p: { company: Company }) => p.company.industry,
};

/** Unique per change of a company's figures: what the orchestrator keys a company review by (one per change, however often delivered). */
export interface CompanyDataChanged {
	company_id: string;
	change_id?: string;
	source: "statements" | "operational_metrics" | "prices";
	period_end?: string;
}

/**
 * The figures whose change runs the company review (analysis → risk → compliance → SWOT): statements, and
 * prices (the market value of equity moves Altman's z, the valuation multiples and the distance to default).
 * Operational metrics move only KPIs: compliance evaluates them again by itself.
 */
export const REVIEWED_SOURCES: ReadonlyArray<CompanyDataChanged["source"]> = ["statements", "prices"];

export const Companies = {
	events: {
		created: event<{ company: Company; by: string }>()("companies.created", ofCompany),
		updated: event<{ company: Company; fields: string[]; by: string }>()("companies.updated", ofCompany),
		deleted: event<{ company: Company; by: string }>()("companies.deleted", ofCompany),
	},
	channels: {
		/** A company was deleted: whatever hangs off it is to be deleted too (idempotently). */
		deleted: channel<{ company: Company; by: string }>()("companies.deleted"),
		/**
		 * A company's figures changed (statements written, imported or deleted; operational metrics or prices recorded): what
		 * is computed from them (compliance records, the company review, bound key results) follows.
		 */
		dataChanged: channel<CompanyDataChanged>()("companies.data.changed"),
	},
	actions: {
		get: action<{ id: string }, Company>()("companies.get"),
		list: action<{ ticker?: string; cik?: string; industry?: string; page?: number; page_size?: number }, Page<Company>>()("companies.list"),
		create: action<Omit<Company, "id" | "created_at" | "updated_at">, Company>()("companies.create"),
		remove: action<{ id: string }, unknown>()("companies.remove"),
		update: action<{ id: string } & Partial<Omit<Company, "id" | "created_at" | "updated_at">>, Company>()("companies.update"),
	},
} as const;
