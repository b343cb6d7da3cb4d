#!/bin/sh
# Makes 2010q1-10k-sub.tsv and 2010q1-10k-num.tsv from SEC's Financial Statement Data Set 2010q1.zip
# (https://www.sec.gov/dera/data/financial-statement-data-sets): the sub.txt rows of the 10-K filings, and
# their num.txt rows of the us-gaap tags the SEC import maps (domains/finance/sec.ts), of the filer itself
# (no co-registrant), for an instant (qtrs 0) or a year (qtrs 4). Rows are copied whole, bytes unchanged.
# Usage: sh extract.sh path/to/2010q1.zip
set -eu
ZIP=${1:?the path of 2010q1.zip}
HERE=$(dirname "$0")
TAGS="Assets AssetsCurrent LiabilitiesCurrent Liabilities LiabilitiesAndStockholdersEquity StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest StockholdersEquity RetainedEarningsAccumulatedDeficit CashAndCashEquivalentsAtCarryingValue ShortTermInvestments AvailableForSaleSecuritiesDebtSecuritiesCurrent MarketableSecuritiesCurrent AvailableForSaleSecuritiesCurrent AccountsReceivableNetCurrent ReceivablesNetCurrent AccountsNotesAndLoansReceivableNetCurrent InventoryNet PropertyPlantAndEquipmentNet Goodwill IntangibleAssetsNetExcludingGoodwill AccountsPayableCurrent DebtCurrent LongTermDebtAndCapitalLeaseObligationsCurrent LongTermDebtCurrent ShortTermBorrowings LongTermDebtNoncurrent LongTermDebt CommonStockSharesOutstanding WeightedAverageNumberOfSharesOutstandingBasic Revenues RevenueFromContractWithCustomerExcludingAssessedTax SalesRevenueNet SalesRevenueGoodsNet SalesRevenueServicesNet CostOfRevenue CostOfGoodsAndServicesSold CostOfGoodsSold CostOfServices GrossProfit SellingGeneralAndAdministrativeExpense SellingAndMarketingExpense GeneralAndAdministrativeExpense ResearchAndDevelopmentExpense DepreciationDepletionAndAmortization DepreciationAndAmortization DepreciationAmortizationAndAccretionNet Depreciation OperatingIncomeLoss InterestExpense InterestExpenseNonoperating InterestAndDebtExpense InterestExpenseDebt IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest IncomeLossFromContinuingOperationsBeforeIncomeTaxesMinorityInterestAndIncomeLossFromEquityMethodInvestments IncomeTaxExpenseBenefit NetIncomeLoss EarningsPerShareBasic EarningsPerShareDiluted NetCashProvidedByUsedInOperatingActivities PaymentsToAcquirePropertyPlantAndEquipment NetCashProvidedByUsedInInvestingActivities NetCashProvidedByUsedInFinancingActivities PaymentsOfDividends PaymentsOfDividendsCommonStock PaymentsForRepurchaseOfCommonStock"
unzip -p "$ZIP" sub.txt | awk -F '\t' 'NR == 1 || $26 == "10-K"' > "$HERE/2010q1-10k-sub.tsv"
unzip -p "$ZIP" num.txt | awk -F '\t' -v tags="$TAGS" '
  FNR == NR { if (FNR > 1) tenk[$1] = 1; next }
  BEGIN { n = split(tags, t, " "); for (i = 1; i <= n; i++) want[t[i]] = 1 }
  FNR == 1 { print; next }
  ($1 in tenk) && ($2 in want) && $3 ~ /^us-gaap\// && $4 == "" && ($6 == "0" || $6 == "4")
' "$HERE/2010q1-10k-sub.tsv" - > "$HERE/2010q1-10k-num.tsv"
