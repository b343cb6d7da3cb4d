/** Shapes every entity and list shares (DESIGN §4). */
export interface Entity {
	id: string;
	created_at: string;
	updated_at: string;
}

export interface Page<T> {
	rows: T[];
	total: number;
	page: number;
	page_size: number;
	total_pages: number;
}

export const MAX_PAGE_SIZE = 100;

/** fastest-validator params for `page`, `page_size` and `sort` over the given sortable fields. */
export function listParams(sortable: string[]) {
	return {
		page: { type: "number", integer: true, min: 1, optional: true, convert: true },
		page_size: { type: "number", integer: true, min: 1, max: MAX_PAGE_SIZE, optional: true, convert: true },
		sort: {
			type: "string",
			optional: true,
			pattern: new RegExp(`^-?(${sortable.join("|")})$`),
			messages: { stringPattern: `sort must be one of ${sortable.join(", ")}, optionally prefixed by '-'` },
		},
	} as const;
}

export function pageOf<T>(rows: T[], total: number, page: number, pageSize: number): Page<T> {
	return { rows, total, page, page_size: pageSize, total_pages: Math.ceil(total / pageSize) };
}

export function nowIso(): string {
	return new Date().toISOString();
}
