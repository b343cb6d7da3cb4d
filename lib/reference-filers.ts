/**
 * The FY2009 10-K filers of SEC's Financial Statement Data Sets shipped in data/sec-fsds/, each through the SEC
 * import's mapping into statements, read once per process, for two uses: the reference filers the default
 * distress model is checked against (domains/ml/reference.ts: the model's inputs and Altman's zone; financial
 * firms, SIC 6000–6799, left out: neither the Polish data nor Altman's z″ is about banks and insurers), and the
 * reference peer set of the benchmarks (each filer in the industry its SIC maps to, domains/integration/sic.ts).
 */
import { projectPath } from "../config/files";
import fs from "node:fs";
import path from "node:path";
import { companyFactsOfFilings, readTsv } from "../domains/finance/fsds";
import { figuresOf } from "../domains/finance/ratios";
import { altman } from "../domains/finance/scores";
import { parseCompanyFacts, SecDocumentError } from "../domains/finance/sec";
import { DISTRESS_FEATURE_NAMES, statementFeatures } from "../domains/ml/distress";
import { computeRatios, type RatioGroups } from "../domains/finance/ratios";
import { BENCHMARK_RATIOS } from "../domains/finance/analysis";
import { industryOfSic } from "../domains/integration/sic";
import type { StatementData } from "../models/statement";
import type { ReferenceFiler } from "../domains/ml/reference";
import type { Statement } from "../models/statement";

export const REFERENCE_POPULATION = "US 10-K filers of fiscal 2009 outside finance (SEC Financial Statement Data Sets, 2010q1)";

/** What a benchmark against the reference peer set says of it: a dated set (FY2009 is FY2009). */
export const REFERENCE_PEER_SET = { source: "US 10-K filers of fiscal 2009 (SEC Financial Statement Data Sets, 2010q1)", as_of: "FY2009" } as const;

const DIR = projectPath("data", "sec-fsds");

const isFinancial = (sic: string) => Number(sic) >= 6000 && Number(sic) < 6800;
/** SEC's SIC divisions D (2000–3999) are manufacturing: Altman's z′; every other filer z″. */
const industryOf = (sic: string) => (Number(sic) >= 2000 && Number(sic) < 4000 ? "manufacturing" : "other");

interface ReferenceFiling {
	name: string;
	cik: string;
	sic: string;
	period_end: string;
	current: StatementData;
	prior: StatementData | null;
}

let filings: { filings: ReferenceFiling[]; unreadableSics: string[] } | undefined;
let cached: { filers: ReferenceFiler[]; unreadable: number } | undefined;
const peersByIndustry = new Map<string, Array<{ company_id: string; ratios: RatioGroups }>>();
let peersLoaded = false;

/** Whether the files are there (a deployment may leave data/ out: its models are then not checked, and a reference gate fails). */
export const referenceFilersShipped = () => fs.existsSync(path.join(DIR, "2010q1-10k-num.tsv"));

/** Every shipped filing through the SEC mapping: its fiscal year's statement and the one before (and how many could not be read). */
function referenceFilings(): { filings: ReferenceFiling[]; unreadableSics: string[] } {
	if (filings) return filings;
	const sub = readTsv(fs.readFileSync(path.join(DIR, "2010q1-10k-sub.tsv"), "utf8"));
	const num = readTsv(fs.readFileSync(path.join(DIR, "2010q1-10k-num.tsv"), "utf8"));
	const read: ReferenceFiling[] = [];
	const unreadableSics: string[] = [];
	for (const { filing, document } of companyFactsOfFilings(sub, num)) {
		let periods;
		try {
			periods = parseCompanyFacts(document).periods;
		} catch (err) {
			if (!(err instanceof SecDocumentError)) throw err;
			unreadableSics.push(filing.sic);
			continue;
		}
		const current = periods.find(p => p.period_end === filing.period);
		if (!current) {
			unreadableSics.push(filing.sic);
			continue;
		}
		const year = Number(filing.period.slice(0, 4));
		const prior = periods.find(p => Number(p.period_end.slice(0, 4)) === year - 1) ?? null;
		read.push({ name: filing.name, cik: filing.cik, sic: filing.sic, period_end: filing.period, current: current.statement, prior: prior?.statement ?? null });
	}
	filings = { filings: read, unreadableSics };
	return filings;
}

/** The reference filers (and how many filings the SEC mapping could not read, e.g. reported in two currencies). */
export function referenceFilers(): { filers: ReferenceFiler[]; unreadable: number } {
	if (cached) return cached;
	const all = referenceFilings();
	const filers = all.filings
		.filter(f => !isFinancial(f.sic))
		.map(f => ({
			name: f.name,
			cik: f.cik,
			period_end: f.period_end,
			values: statementFeatures(DISTRESS_FEATURE_NAMES, f.current as Statement, f.prior as Statement | null).values,
			altman_zone: altman(figuresOf(f.current), industryOf(f.sic)).zone,
		}));
	cached = { filers, unreadable: all.unreadableSics.filter(sic => !isFinancial(sic)).length };
	return cached;
}

/** The benchmark ratios of a statement's figures (`group.name` → value), as the peer set keeps them. */
function benchmarkRatiosOf(statement: StatementData): RatioGroups {
	const all = computeRatios(figuresOf(statement));
	const kept: RatioGroups = {};
	for (const path of BENCHMARK_RATIOS) {
		const [group, name] = path.split(".");
		(kept[group] ??= {})[name] = all[group]?.[name] ?? null;
	}
	return kept;
}

/**
 * The reference peer set from the shipped filings, by industry (each filer whose SIC maps to it, by the
 * benchmark ratios of its FY2009 statement, keyed `sec-fsds:<cik>`): what `npm run reference-peers` writes to
 * REFERENCE_PEERS_FILE, so a process reads it instead of parsing the filings (a test fails while it is stale).
 */
export function computeReferencePeers(): Record<string, Array<{ company_id: string; ratios: RatioGroups }>> {
	const out: Record<string, Array<{ company_id: string; ratios: RatioGroups }>> = {};
	for (const f of referenceFilings().filings) {
		const industry = f.sic !== "" ? industryOfSic(Number(f.sic)) : null;
		if (industry) (out[industry] ??= []).push({ company_id: `sec-fsds:${f.cik}`, ratios: benchmarkRatiosOf(f.current) });
	}
	return out;
}

export const REFERENCE_PEERS_FILE = path.join(DIR, "reference-peers.json");

/** The reference peers of an industry (none when the files are not shipped). */
export function referencePeers(industry: string): Array<{ company_id: string; ratios: RatioGroups }> {
	if (!peersLoaded) {
		peersLoaded = true;
		const all: Record<string, Array<{ company_id: string; ratios: RatioGroups }>> = fs.existsSync(REFERENCE_PEERS_FILE)
			? JSON.parse(fs.readFileSync(REFERENCE_PEERS_FILE, "utf8")).industries
			: referenceFilersShipped()
				? computeReferencePeers()
				: {};
		for (const [name, peers] of Object.entries(all)) peersByIndustry.set(name, peers);
	}
	return peersByIndustry.get(industry) ?? [];
}
