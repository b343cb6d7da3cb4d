/** Paths under /app as a signal: links push history entries, the back button pops them, a deep link loads as is. */
import { signal } from "@preact/signals";
import type { ComponentChildren } from "preact";

export const BASE = "/app";
const here = () => location.pathname.replace(/^\/app/, "") || "/";
export const path = signal(here());
export const query = signal(new URLSearchParams(location.search));

window.addEventListener("popstate", () => {
	path.value = here();
	query.value = new URLSearchParams(location.search);
});

export function navigate(to: string): void {
	history.pushState(null, "", `${BASE}${to}`);
	path.value = to.split("?")[0];
	query.value = new URLSearchParams(to.includes("?") ? to.slice(to.indexOf("?")) : "");
	window.scrollTo(0, 0);
}

/** A link inside the app: a plain anchor (keyboard, middle click, copy link) that navigates without a reload. */
export function Link(props: { to: string; children: ComponentChildren; class?: string }) {
	return (
		<a
			href={`${BASE}${props.to}`}
			class={props.class}
			onClick={e => {
				if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
				e.preventDefault();
				navigate(props.to);
			}}
		>
			{props.children}
		</a>
	);
}

/** The parameters of `pattern` (`/companies/:id`) in `p`, or null when it does not match. */
export function match(pattern: string, p: string): Record<string, string> | null {
	const a = pattern.split("/").filter(Boolean);
	const b = p.split("/").filter(Boolean);
	if (a.length !== b.length) return null;
	const params: Record<string, string> = {};
	for (let i = 0; i < a.length; i++) {
		if (a[i].startsWith(":")) params[a[i].slice(1)] = decodeURIComponent(b[i]);
		else if (a[i] !== b[i]) return null;
	}
	return params;
}
