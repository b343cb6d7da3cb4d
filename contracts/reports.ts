/** reports (services/reports.service.ts): report jobs, their files and their schedules (docs/reports.md). */
import type { Entity } from "../models/common";
import type { PortfolioRow } from "../domains/reports/portfolio-report";
import { event, signal } from "./contract";

export const REPORT_KINDS = ["company", "portfolio"] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const REPORT_FORMATS_LIST = ["pdf", "xlsx"] as const;
export type ReportFileFormat = (typeof REPORT_FORMATS_LIST)[number];
export const REPORT_STATES = ["queued", "running", "succeeded", "failed"] as const;
export type ReportState = (typeof REPORT_STATES)[number];

/** What a portfolio report covers: one industry, chosen companies, or (neither) every company its owner sees. */
export interface PortfolioScope {
	industry?: string;
	company_ids?: string[];
}

export interface Report extends Entity {
	kind: ReportKind;
	format: ReportFileFormat;
	company_id?: string;
	scope?: PortfolioScope;
	/** The industries its contents belong to: a reader must see every one of them. */
	domains: string[];
	state: ReportState;
	progress: number;
	stage?: string;
	error?: string;
	/** The stored file: content-addressed (its SHA-256 names the blob). */
	file?: { sha256: string; size: number; content_type: string; filename: string };
	/** A portfolio report's companies as they stood (the next report of the scope lists what moved). */
	snapshot?: PortfolioRow[];
	schedule_id?: string;
	/** A scheduled report's firing. */
	fired_at?: string;
	attempts: number;
	node?: string;
	lease_until?: string;
	started_at?: string;
	finished_at?: string;
	expires_at: string;
	created_by: string;
	/** The owner's user id: a scheduled run reads with the owner's role and domains as they are then. */
	owner_id: string;
}

export interface ReportSchedule extends Entity {
	name: string;
	kind: ReportKind;
	format: ReportFileFormat;
	company_id?: string;
	scope?: PortfolioScope;
	/** Cron expression, UTC (croner: seconds optional). */
	cron: string;
	domains: string[];
	enabled: boolean;
	next_run: string | null;
	created_by: string;
	owner_id: string;
}

const ofReport = { entity: "report", id: (p: { report_id: string }) => p.report_id, company: (p: { company_id?: string }) => p.company_id ?? null };
const ofSchedule = { entity: "report.schedule", id: (p: { schedule_id: string }) => p.schedule_id, company: (p: { company_id?: string }) => p.company_id ?? null };

export const Reports = {
	events: {
		/** Requested (by a user, or by a schedule's firing); also broadcast to every report node so one takes it at once. */
		reportQueued: event<{ report_id: string; kind: ReportKind; format: ReportFileFormat; company_id?: string; by: string }>()("report.queued", ofReport),
		reportSucceeded: event<{ report_id: string; company_id?: string; sha256: string; size: number }>()("report.succeeded", ofReport),
		reportFailed: event<{ report_id: string; company_id?: string; error: string }>()("report.failed", ofReport),
		/** Removed by a user, or expired (`by` is absent). */
		reportDeleted: event<{ report_id: string; company_id?: string; by?: string }>()("report.deleted", ofReport),
		scheduleCreated: event<{ schedule_id: string; company_id?: string; cron: string; by: string }>()("report.schedule.created", ofSchedule),
		/** To every report node: a schedule was added or removed, load them again (not recorded). */
		schedulesChanged: signal<{ schedule_id: string }>()("reports.schedules.changed"),
		scheduleDeleted: event<{ schedule_id: string; company_id?: string; by: string }>()("report.schedule.deleted", ofSchedule),
	},
} as const;
