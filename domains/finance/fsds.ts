/**
 * SEC Financial Statement Data Sets → companyfacts documents, so a quarter's filings go through the same SEC
 * mapping as an import (sec.ts). Source: SEC DERA, "Financial Statement Data Sets" (sub.txt: one row per
 * filing; num.txt: adsh, tag, version, coreg, ddate, qtrs, uom, value; tab-separated, dates YYYYMMDD).
 */
import { US_GAAP_MAPPINGS } from "./sec";

export interface FsdsFiling {
	adsh: string;
	cik: string;
	name: string;
	/** Standard Industrial Classification code ("" when SEC has none). */
	sic: string;
	form: string;
	/** The balance sheet date, YYYY-MM-DD. */
	period: string;
	filed: string;
}

/**
 * A tab-separated table with a header row → one object per row, keyed by the header's names. SEC's files are
 * plain TSV: a `"` is a character of the value (num.txt footnotes have some), so the data sets' CSV reader
 * (RFC 4180 quoting) is not the one to use.
 */
export function readTsv(text: string): Array<Record<string, string>> {
	const lines = text.split(/\r?\n/).filter(line => line.length);
	const header = (lines.shift() ?? "").split("\t");
	return lines.map(line => {
		const cells = line.split("\t");
		return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
	});
}

const isoDate = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;

/** The day after the same date a year before: where a fiscal year ending on `end` started. */
function yearStart(end: string): string {
	const d = new Date(`${end}T00:00:00Z`);
	d.setUTCFullYear(d.getUTCFullYear() - 1);
	d.setUTCDate(d.getUTCDate() + 1);
	return d.toISOString().slice(0, 10);
}

const PER_SHARE_TAGS = new Set(US_GAAP_MAPPINGS.filter(m => m.unit === "per_share").flatMap(m => m.sources.flatMap(s => s.tags)));

/**
 * Each filing of `sub` with its figures of `num` as a companyfacts document: the filer's own us-gaap facts
 * (no co-registrant), instants (qtrs 0) and years (qtrs 4); SEC's `USD` unit of a per-share tag is `USD/shares`.
 */
export function companyFactsOfFilings(sub: Array<Record<string, string>>, num: Array<Record<string, string>>): Array<{ filing: FsdsFiling; document: object }> {
	const byFiling = new Map<string, { filing: FsdsFiling; facts: Record<string, { units: Record<string, object[]> }> }>();
	for (const row of sub)
		byFiling.set(row.adsh, {
			filing: { adsh: row.adsh, cik: row.cik, name: row.name, sic: row.sic, form: row.form, period: isoDate(row.period), filed: isoDate(row.filed) },
			facts: {},
		});
	for (const row of num) {
		const entry = byFiling.get(row.adsh);
		if (!entry || row.coreg || !row.version.startsWith("us-gaap/") || row.value === "" || (row.qtrs !== "0" && row.qtrs !== "4")) continue;
		const end = isoDate(row.ddate);
		const unit = PER_SHARE_TAGS.has(row.tag) ? `${row.uom}/shares` : row.uom;
		const fact = { ...(row.qtrs === "4" ? { start: yearStart(end) } : {}), end, val: Number(row.value), form: entry.filing.form, filed: entry.filing.filed, accn: row.adsh };
		const units = (entry.facts[row.tag] ??= { units: {} }).units;
		(units[unit] ??= []).push(fact);
	}
	return [...byFiling.values()].map(({ filing, facts }) => ({ filing, document: { cik: Number(filing.cik), entityName: filing.name, facts: { "us-gaap": facts } } }));
}
