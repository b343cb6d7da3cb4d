/** finance (services/finance.service.ts): statements, SEC imports and the analysis. */
import type { Analysis, PeerStats } from "../domains/finance/analysis";
import type { HistoryPoint } from "../domains/finance/history";
import type { Statement } from "../models/statement";
import type { Page } from "../models/common";
import { action, event, signal } from "./contract";

/** What a price upload wrote: the rows of the CSV, their first and last day, and how many were new, changed or the same. */
export interface PriceUpload {
	company_id: string;
	rows: number;
	from: string;
	to: string;
	created: number;
	updated: number;
	unchanged: number;
}

const ofStatement = { entity: "finance.statement", id: (p: { statement: Statement }) => p.statement.id, company: (p: { statement: Statement }) => p.statement.company_id };

export const Finance = {
	events: {
		statementCreated: event<{ statement: Statement; by: string }>()("finance.statement.created", ofStatement),
		statementUpdated: event<{ statement: Statement; by: string }>()("finance.statement.updated", ofStatement),
		statementDeleted: event<{ statement: Statement; by: string }>()("finance.statement.deleted", ofStatement),
		statementsImported: event<{ company_id: string; cik: string; created: number; updated: number; period_ends: string[]; by: string }>()("finance.statements.imported", {
			entity: "finance.statements",
			id: p => p.company_id,
			company: p => p.company_id,
		}),
		/** Daily prices written (an upload or a provider's fetch): what changed, recorded like any other write. */
		pricesUploaded: event<{ company_id: string; rows: number; from: string; to: string; created: number; updated: number; by: string }>()("finance.prices.uploaded", {
			entity: "finance.prices",
			id: p => p.company_id,
			company: p => p.company_id,
		}),
		/** A read: not recorded. */
		analysisCompleted: signal<{ company_id: string; period_end: string }>()("finance.analysis.completed"),
	},
	actions: {
		listStatements: action<
			{ id: string; statement_type?: "annual" | "quarterly"; from?: string; to?: string; sort?: string; page?: number; page_size?: number },
			Page<Statement>
		>()("finance.listStatements"),
		/** The analysis as the caller may read it (its company's domain). */
		analysis: action<{ id: string; period_end?: string }, Analysis>()("finance.analysis"),
		/** The analysis for a service (no caller's scope: the caller checked it). */
		computeAnalysis: action<{ company_id: string; industry: string; period_end?: string; reference_peers?: boolean }, Analysis>()("finance.computeAnalysis"),
		peerStats: action<{ industry: string; reference_peers?: boolean }, PeerStats>()("finance.peerStats"),
		/** The SEC import: a companyfacts document as the call's stream (the gateway's import route). */
		importSec: action<{ id: string }, unknown>()("finance.importSec"),
		/** A price CSV stored for the company, as the caller may write it (`POST /companies/:id/prices`). */
		uploadPrices: action<{ id: string; content: string }, PriceUpload>()("finance.uploadPrices"),
		/** The same with the CSV as the call's stream (a provider's history can pass a transporter message's 1 MB). */
		importPriceCsv: action<{ id: string }, PriceUpload>()("finance.importPriceCsv"),
		/** Ratios (`group.name`, a comma list) over every period, oldest first. */
		ratioHistory: action<{ id: string; ratios?: string; statement_type?: "annual" | "quarterly" }, { company_id: string; ratios: Record<string, HistoryPoint[]> }>()(
			"finance.ratioHistory",
		),
		/** The first and last day of the company's prices, as the caller may read them. */
		priceSpan: action<{ id: string }, { company_id: string; first: string | null; last: string | null; rows: number }>()("finance.priceSpan"),
	},
} as const;
