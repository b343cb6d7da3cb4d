/** api (services/api.service.ts): the gateway. */
import type { CoalescedRefusal, Refusal } from "../domains/audit/refusals";
import { action, event } from "./contract";

/** A refused request (401, 403, 429); refusals of one caller, route and status in one window are one entry with their count. */
export type RequestDenied = Refusal & Partial<Pick<CoalescedRefusal, "count" | "first_at" | "last_at">>;

export interface Readiness {
	status: "ready" | "unavailable";
	transporter: string;
	auth: string;
	services: Record<string, boolean>;
	missing_services: string[];
	warnings: string[];
}

export const Gateway = {
	events: {
		requestDenied: event<RequestDenied>()("gateway.request.denied", { entity: "gateway.request", id: p => `${p.method} ${p.route}`.trim() }),
	},
	actions: {
		ready: action<Record<string, never>, Readiness>()("api.ready"),
		/** Empties this gateway's answer cache: another gateway that took a write asks it before answering the writer. */
		clearAnswers: action<Record<string, never>, { cleared: true }>()("api.clearAnswers"),
	},
} as const;
