/** The `personalData` action a service declares with mixins/personal-data.mixin.ts (and audit's own): what it keeps under a person's name. */
import { action } from "./contract";

export interface PersonalDataRecords {
	kind: string;
	rows: unknown[];
	truncated: boolean;
}

export const PersonalData = {
	/** `<service>.personalData`: the records that service keeps under the person's username or id. */
	of: (service: string) => action<{ username: string; user_id: string }, PersonalDataRecords>()(`${service}.personalData`),
	/** `<service>.erasePersonalData`: the records naming the person made to name `[erased]`; how many. */
	eraseOf: (service: string) => action<{ username: string; user_id: string }, { kind: string; records: number }>()(`${service}.erasePersonalData`),
} as const;
