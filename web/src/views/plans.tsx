/** A company's strategic plans: SWOT with its evidence, OKRs with progress and grades, action items (overdue first), and the moves this user may make. */
import { useState } from "preact/hooks";
import { atLeast, get, post, user } from "../api";
import { Badge, ErrorBox, Loaded, Table, fmt, useLoad } from "../components";
import { CompanyHeader, CompanyNav } from "./company";
import { PLAN_TRANSITIONS, proposersOf, type PlanStatus } from "../../../domains/strategy/plan";

const QUADRANTS = ["strengths", "weaknesses", "opportunities", "threats"] as const;

export function PlansPage({ id }: { id: string }) {
	const state = useLoad(async () => {
		const company = await get(`/companies/${id}`);
		const plans = await get<{ rows: any[] }>(`/companies/${id}/strategic-plans?page_size=50`);
		return { company, plans: plans.rows };
	}, [id]);
	return (
		<Loaded state={state} what="company">
			{({ company, plans }) => (
				<article>
					<CompanyHeader company={company} />
					<CompanyNav id={id} here="/plans" />
					{plans.length === 0 && <p class="muted">No plans yet.</p>}
					{plans.map(p => (
						<Plan plan={p} onMoved={state.reload} />
					))}
				</article>
			)}
		</Loaded>
	);
}

/** The moves the user may make: the API's next statuses, for the user's role, never approving what they proposed. */
function allowedMoves(plan: any): PlanStatus[] {
	const me = user.value!;
	return (plan.next_statuses as PlanStatus[]).filter(to => {
		const role = PLAN_TRANSITIONS[plan.status as PlanStatus]?.[to];
		if (!role || !atLeast(role)) return false;
		return !(to === "approved" && proposersOf(plan).includes(me.username));
	});
}

function Plan({ plan, onMoved }: { plan: any; onMoved(): void }) {
	const [error, setError] = useState<Error | null>(null);
	const actions = [...plan.action_plan].sort((a, b) => Number(b.overdue) - Number(a.overdue) || String(a.due_date ?? "").localeCompare(String(b.due_date ?? "")));
	return (
		<section class="plan" aria-label={plan.title}>
			<h2>
				{plan.title} <Badge value={plan.status} /> {plan.summary.grade && <span class="muted">grade {plan.summary.grade}</span>}
			</h2>
			<div class="swot">
				{QUADRANTS.map(q => (
					<div class={`quadrant ${q}`}>
						<h3>{fmt.label(q)}</h3>
						<ul>
							{plan.swot_analysis[q].map((item: any) => (
								<li>
									{item.text ?? item.title ?? String(item)}
									{item.evidence && (
										<span class="evidence muted">
											{" "}
											— {item.evidence.source}
											{item.evidence.metric ? `: ${item.evidence.metric}` : ""}
											{item.evidence.value != null ? ` ${fmt.num(item.evidence.value, 3)}` : ""}
											{item.evidence.period ? ` (${item.evidence.period})` : ""}
										</span>
									)}
								</li>
							))}
						</ul>
					</div>
				))}
			</div>
			{plan.objectives.length > 0 && (
				<>
					<h3>Objectives and key results</h3>
					<ul class="okrs">
						{plan.objectives.map((o: any) => (
							<li>
								<strong>{o.title}</strong> {o.grade && <Badge value={o.grade} />}
								<ul>
									{(o.key_results ?? []).map((kr: any) => (
										<li>
											{kr.title}: <progress max={1} value={Math.max(0, Math.min(1, kr.progress ?? 0))} aria-label={`${kr.title} progress`} />{" "}
											{fmt.pct(kr.progress, 0)}
										</li>
									))}
								</ul>
							</li>
						))}
					</ul>
				</>
			)}
			{actions.length > 0 && (
				<>
					<h3>Action items</h3>
					<Table
						label="Action items"
						rows={actions}
						rowClass={a => (a.overdue ? "overdue" : "")}
						columns={[
							{ label: "Action", cell: a => a.title },
							{ label: "Owner", cell: a => a.owner },
							{
								label: "Due",
								cell: a => (
									<>
										{fmt.date(a.due_date)} {a.overdue && <Badge value="overdue" />}
									</>
								),
							},
							{ label: "Status", cell: a => <Badge value={a.status} /> },
						]}
					/>
				</>
			)}
			<div class="moves">
				{allowedMoves(plan).map(to => (
					<button
						type="button"
						onClick={async () => {
							const reason = window.prompt(`Why move "${plan.title}" to ${fmt.label(to)}?`);
							if (reason == null) return;
							try {
								await post(`/strategic-plans/${plan.id}/transitions`, { to, ...(reason ? { reason } : {}) });
								onMoved();
							} catch (err) {
								setError(err as Error);
							}
						}}
					>
						Move to {fmt.label(to)}
					</button>
				))}
			</div>
			{error && <ErrorBox error={error} />}
		</section>
	);
}
