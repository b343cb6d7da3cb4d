/** ml.datasets (services/ml.datasets.service.ts): the data sets models are trained and evaluated on. */
import type { Readable } from "node:stream";
import type { ColumnSummary } from "../domains/ml/dataset";
import type { Entity, Page } from "../models/common";
import type { DatasetFormat } from "../models/ml";
import { action, event } from "./contract";

export interface Dataset extends Entity {
	name: string;
	domain: string;
	format: DatasetFormat;
	label: string;
	positive_class: string;
	classes: [string, string];
	rows: number;
	columns: ColumnSummary[];
	class_balance: Record<string, number>;
	missing_values: Record<string, number>;
	missing_total: number;
	sha256: string;
	size_bytes: number;
	source?: string;
	created_by: string;
}

export const MlDatasets = {
	events: {
		created: event<{ id: string; name: string; domain: string; by: string }>()("ml.dataset.created", { entity: "ml.dataset", id: p => p.id, domain: p => p.domain }),
	},
	actions: {
		/** The upload (a stream: the gateway's upload route). */
		create: action<Record<string, never>, Dataset>()("ml.datasets.create"),
		get: action<{ id: string }, Dataset>()("ml.datasets.get"),
		list: action<{ name?: string; page?: number; page_size?: number }, Page<Omit<Dataset, "columns" | "missing_values"> & { columns: number }>>()("ml.datasets.list"),
		/** The data set's file as a stream (training and evaluation nodes read it), verified by its hash. */
		content: action<{ id: string }, Readable>()("ml.datasets.content"),
	},
} as const;
