/**
 * The session and the API, as the web app uses them: the gateway's own routes under /api/v1, the access token
 * in memory and the refresh token in sessionStorage (this tab only; gone when it closes), refreshed a minute
 * before the access token expires, and every failure as an ApiError carrying the API's status and message.
 */
import { signal } from "@preact/signals";

export const API = "/api/v1";
const REFRESH_KEY = "bizops.refresh_token";

export type Role = "super_admin" | "domain_admin" | "analyst" | "viewer";
export interface User {
	id: string;
	username: string;
	role: Role;
	domains: string[];
}

export class ApiError extends Error {
	constructor(
		public status: number,
		message: string,
		public data?: unknown,
	) {
		super(message);
	}
}

/** The signed-in user; null when signed out; undefined while the session is being restored. */
export const user = signal<User | null | undefined>(undefined);
let token: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

const RANK: Record<Role, number> = { viewer: 0, analyst: 1, domain_admin: 2, super_admin: 3 };
/** Whether the signed-in user's role is at least `role` (the API decides; this only hides moves it would refuse). */
export const atLeast = (role: Role): boolean => user.value != null && RANK[user.value.role] >= RANK[role];

interface Session {
	token: string;
	refresh_token: string;
	expires_in: number;
	user: User;
}

function start(session: Session): void {
	token = session.token;
	sessionStorage.setItem(REFRESH_KEY, session.refresh_token);
	user.value = session.user;
	clearTimeout(refreshTimer);
	// a minute before expiry (half the lifetime for short ones)
	const inMs = Math.max(5_000, Math.min(session.expires_in * 1000 - 60_000, (session.expires_in * 1000) / 2));
	refreshTimer = setTimeout(() => void refresh(), inMs);
}

function end(): void {
	token = null;
	clearTimeout(refreshTimer);
	sessionStorage.removeItem(REFRESH_KEY);
	user.value = null;
}

async function send(method: string, path: string, body?: unknown, auth = true): Promise<Response> {
	const headers: Record<string, string> = { accept: "application/json" };
	if (body !== undefined) headers["content-type"] = "application/json";
	if (auth && token) headers.authorization = `Bearer ${token}`;
	return fetch(`${API}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function failure(res: Response): Promise<ApiError> {
	let message = `${res.status} ${res.statusText}`;
	let data: unknown;
	try {
		const doc = (await res.json()) as { message?: string; data?: unknown };
		if (doc.message) message = doc.message;
		data = doc.data;
	} catch {
		/* no JSON body: the status line */
	}
	return new ApiError(res.status, message, data);
}

export async function login(username: string, password: string): Promise<void> {
	const res = await send("POST", "/auth/login", { username, password }, false);
	if (!res.ok) throw await failure(res);
	start((await res.json()) as Session);
}

/** A new access token from the refresh token; signed out when it is refused. */
export async function refresh(): Promise<boolean> {
	const refreshToken = sessionStorage.getItem(REFRESH_KEY);
	if (!refreshToken) {
		end();
		return false;
	}
	const res = await send("POST", "/auth/refresh", { refresh_token: refreshToken }, false).catch(() => null);
	if (!res?.ok) {
		end();
		return false;
	}
	start((await res.json()) as Session);
	return true;
}

/** Signs out here at once (a reload meanwhile finds no session), then ends the session at the API. */
export async function logout(): Promise<void> {
	const refreshToken = sessionStorage.getItem(REFRESH_KEY);
	const access = token;
	end();
	await fetch(`${API}/auth/logout`, {
		method: "POST",
		headers: { "content-type": "application/json", ...(access ? { authorization: `Bearer ${access}` } : {}) },
		body: JSON.stringify(refreshToken ? { refresh_token: refreshToken } : {}),
	}).catch(() => undefined);
}

/** The API's answer to a request; a 401 refreshes the session once, then signs out. */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
	let res = await send(method, path, body);
	if (res.status === 401 && (await refresh())) res = await send(method, path, body);
	if (!res.ok) throw await failure(res);
	return (await res.json()) as T;
}

export const get = <T = any>(path: string) => api<T>("GET", path);

/** A file the API answers (a report's), as a blob; a 401 refreshes the session once. */
export async function file(path: string): Promise<Blob> {
	let res = await send("GET", path);
	if (res.status === 401 && (await refresh())) res = await send("GET", path);
	if (!res.ok) throw await failure(res);
	return res.blob();
}
export const post = <T = any>(path: string, body?: unknown) => api<T>("POST", path, body ?? {});
