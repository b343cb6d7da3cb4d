/** compliance (services/compliance.service.ts): regulations, frameworks and a company's compliance records. */
import type { Regulation } from "../domains/compliance/catalogue";
import type { Attestation, Evaluation } from "../domains/compliance/evaluation";
import type { Page } from "../models/common";
import { action, event } from "./contract";

export interface ComplianceRecord extends Evaluation {
	id: string;
	company_id: string;
	industry: string;
	attestations: Record<string, Attestation>;
	created_at: string;
	updated_at: string;
}

export const Compliance = {
	events: {
		recordUpdated: event<{ record: ComplianceRecord }>()("compliance.record.updated", {
			entity: "compliance.record",
			id: p => p.record.id,
			company: p => p.record.company_id,
			domain: p => p.record.industry,
		}),
		frameworkImported: event<{ id: string; urn: string; industries: string[]; by: string }>()("compliance.framework.imported", {
			entity: "compliance.framework",
			id: p => p.id,
		}),
	},
	actions: {
		listRegulations: action<{ industry?: string; page?: number; page_size?: number }, Page<Regulation>>()("compliance.listRegulations"),
		listRecords: action<{ id: string; page?: number; page_size?: number }, Page<ComplianceRecord>>()("compliance.listRecords"),
		/** Evaluates one regulation for the company now: its record. */
		evaluate: action<{ id: string; regulation_type: string }, ComplianceRecord>()("compliance.evaluate"),
	},
} as const;
