/**
 * The reference filers the default distress model is checked against (domains/ml/reference.ts): the FY2009
 * 10-K filers of SEC's Financial Statement Data Sets shipped in data/sec-fsds/, each through the SEC import's
 * mapping into statements, then into the model's inputs and Altman's zone. Financial firms (SIC 6000–6799)
 * are left out: neither the Polish data nor Altman's z″ is about banks and insurers. Read once per process.
 */
import { projectPath } from "../config/files";
import fs from "node:fs";
import path from "node:path";
import { companyFactsOfFilings, readTsv } from "../domains/finance/fsds";
import { figuresOf } from "../domains/finance/ratios";
import { altman } from "../domains/finance/scores";
import { parseCompanyFacts, SecDocumentError } from "../domains/finance/sec";
import { DISTRESS_FEATURE_NAMES, statementFeatures } from "../domains/ml/distress";
import type { ReferenceFiler } from "../domains/ml/reference";
import type { Statement } from "../models/statement";

export const REFERENCE_POPULATION = "US 10-K filers of fiscal 2009 outside finance (SEC Financial Statement Data Sets, 2010q1)";

const DIR = projectPath("data", "sec-fsds");

const isFinancial = (sic: string) => Number(sic) >= 6000 && Number(sic) < 6800;
/** SEC's SIC divisions D (2000–3999) are manufacturing: Altman's z′; every other filer z″. */
const industryOf = (sic: string) => (Number(sic) >= 2000 && Number(sic) < 4000 ? "manufacturing" : "other");

let cached: { filers: ReferenceFiler[]; unreadable: number } | undefined;

/** Whether the files are there (a deployment may leave data/ out: its models are then not checked, and a reference gate fails). */
export const referenceFilersShipped = () => fs.existsSync(path.join(DIR, "2010q1-10k-num.tsv"));

/** The reference filers (and how many filings the SEC mapping could not read, e.g. reported in two currencies). */
export function referenceFilers(): { filers: ReferenceFiler[]; unreadable: number } {
	if (cached) return cached;
	const sub = readTsv(fs.readFileSync(path.join(DIR, "2010q1-10k-sub.tsv"), "utf8")).filter(row => !isFinancial(row.sic));
	const num = readTsv(fs.readFileSync(path.join(DIR, "2010q1-10k-num.tsv"), "utf8"));
	const filers: ReferenceFiler[] = [];
	let unreadable = 0;
	for (const { filing, document } of companyFactsOfFilings(sub, num)) {
		let periods;
		try {
			periods = parseCompanyFacts(document).periods;
		} catch (err) {
			if (!(err instanceof SecDocumentError)) throw err;
			unreadable++;
			continue;
		}
		const current = periods.find(p => p.period_end === filing.period);
		if (!current) {
			unreadable++;
			continue;
		}
		const year = Number(filing.period.slice(0, 4));
		const prior = periods.find(p => Number(p.period_end.slice(0, 4)) === year - 1) ?? null;
		const { values } = statementFeatures(DISTRESS_FEATURE_NAMES, current.statement as Statement, (prior?.statement ?? null) as Statement | null);
		filers.push({
			name: filing.name,
			cik: filing.cik,
			period_end: filing.period,
			values,
			altman_zone: altman(figuresOf(current.statement), industryOf(filing.sic)).zone,
		});
	}
	cached = { filers, unreadable };
	return cached;
}
