/** The web app (docs/web-app.md): signs in against the gateway, then shows the views the user's role allows. */
import { render, type JSX } from "preact";
import { useState } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { atLeast, login, logout, refresh, user, ApiError } from "./api";
import { ErrorBox, NotFound } from "./components";
import { Link, match, path } from "./router";
import { Portfolio } from "./views/portfolio";
import { CompanyPage, StatementsPage } from "./views/company";
import { RiskPage } from "./views/risk";
import { CompliancePage } from "./views/compliance";
import { PlansPage } from "./views/plans";
import { MlModels, MlModelPage } from "./views/ml";
import { Operations } from "./views/operations";
import { ReportsPage } from "./views/reports";

function Login() {
	const [error, setError] = useState<Error | null>(null);
	const [busy, setBusy] = useState(false);
	return (
		<main class="login">
			<h1>bizops</h1>
			<form
				onSubmit={async e => {
					e.preventDefault();
					const form = new FormData(e.currentTarget as HTMLFormElement);
					setBusy(true);
					setError(null);
					try {
						await login(String(form.get("username")), String(form.get("password")));
					} catch (err) {
						setError(err as Error);
					} finally {
						setBusy(false);
					}
				}}
			>
				<label>
					Username <input name="username" autocomplete="username" required autofocus />
				</label>
				<label>
					Password <input name="password" type="password" autocomplete="current-password" required />
				</label>
				<button type="submit" disabled={busy}>
					Sign in
				</button>
				{error && <ErrorBox error={error} />}
			</form>
		</main>
	);
}

const ROUTES: Array<[string, (p: Record<string, string>) => JSX.Element]> = [
	["/", () => <Portfolio />],
	["/companies/:id", p => <CompanyPage id={p.id} />],
	["/companies/:id/statements", p => <StatementsPage id={p.id} />],
	["/companies/:id/risk", p => <RiskPage id={p.id} />],
	["/companies/:id/compliance", p => <CompliancePage id={p.id} />],
	["/companies/:id/plans", p => <PlansPage id={p.id} />],
	["/reports", () => <ReportsPage />],
	["/ml", () => <MlModels />],
	["/ml/models/:id", p => <MlModelPage id={p.id} />],
	["/operations", () => (atLeast("super_admin") ? <Operations /> : <NotFound what="page" />)],
];

function Page() {
	for (const [pattern, view] of ROUTES) {
		const params = match(pattern, path.value);
		if (params) return view(params);
	}
	return <NotFound what="page" />;
}

function App() {
	const me = user.value;
	if (me === undefined) return <p class="muted">Loading…</p>;
	if (me === null) return <Login />;
	return (
		<>
			<header class="top">
				<nav aria-label="Main">
					<Link to="/" class="brand">
						bizops
					</Link>
					<Link to="/">Portfolio</Link>
					<Link to="/reports">Reports</Link>
					<Link to="/ml">Models</Link>
					{atLeast("super_admin") && <Link to="/operations">Operations</Link>}
				</nav>
				<div class="who">
					<span>
						{me.username} · {me.role.replace("_", " ")} · {me.domains.join(", ")}
					</span>
					<button type="button" onClick={() => void logout()}>
						Sign out
					</button>
				</div>
			</header>
			<main id="main">
				<Page />
			</main>
		</>
	);
}

// a session this tab had survives a reload; otherwise the sign-in form
void refresh().catch((err: ApiError) => console.warn(err.message));
render(<App />, document.getElementById("app")!);
