/**
 * SIC code → the platform's industry module, for companies created from SEC EDGAR. A SIC outside every range
 * has no module: the caller names the industry. Source: SEC, "Standard Industrial Classification (SIC) Code
 * List" (sec.gov/search-filings/standard-industrial-classification-sic-code-list), and the SIC Manual's
 * divisions (OSHA, 1987): D Manufacturing 2000–3999, H Finance, Insurance and Real Estate 6000–6799.
 */

export interface SicRange {
	from: number;
	to: number;
	industry: string;
	/** What the range is, as SEC's list names it. */
	what: string;
}

/** The first range that holds a code wins: the specific ones come before the division they lie in. */
export const SIC_RANGES: SicRange[] = [
	// technology: computers, electronics, communications, software and data processing
	{ from: 3570, to: 3579, industry: "technology", what: "computer and office equipment" },
	{ from: 3600, to: 3699, industry: "technology", what: "electronic and other electrical equipment (3674 semiconductors)" },
	{ from: 4800, to: 4899, industry: "technology", what: "communications" },
	{ from: 7370, to: 7379, industry: "technology", what: "computer programming, data processing and prepackaged software" },
	// healthcare: pharmaceuticals, medical instruments, health services and plans
	{ from: 2830, to: 2836, industry: "healthcare", what: "drugs (2834 pharmaceutical preparations)" },
	{ from: 3840, to: 3851, industry: "healthcare", what: "surgical, medical, dental and ophthalmic instruments and supplies" },
	{ from: 5122, to: 5122, industry: "healthcare", what: "wholesale drugs and proprietaries" },
	{ from: 6324, to: 6324, industry: "healthcare", what: "hospital and medical service plans" },
	{ from: 8000, to: 8099, industry: "healthcare", what: "health services" },
	// division H
	{ from: 6000, to: 6799, industry: "financial_services", what: "finance, insurance and real estate" },
	// the rest of division D
	{ from: 2000, to: 3999, industry: "manufacturing", what: "manufacturing" },
];

/** The industry of a SIC code, or null when no module covers it. */
export function industryOfSic(sic: number, ranges: SicRange[] = SIC_RANGES): string | null {
	return ranges.find(r => sic >= r.from && sic <= r.to)?.industry ?? null;
}
