/**
 * The embedded platform's door for local tools (docs/operations.md#repl): a Moleculer transporter over a Unix
 * socket in DATA_DIR, so `npm run repl` joins the running `npm start` as a node of its own, without a NATS
 * server and without a port anyone else can reach. The platform is the hub: it listens on the socket (mode
 * 0600, in a 0700 folder), and a peer must first send the token the hub wrote beside it (DATA_DIR/repl.token,
 * 0600): only the user who runs the platform can attach, and whoever attaches acts as an operator. Packets a
 * peer sends reach the hub's broker and every other peer; the hub's reach every peer; each delivers only
 * the topics it subscribed to, as a NATS subject would.
 */
import { Moleculer, type PayloadOf } from "../contracts";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Transporters } from "moleculer";

const Base = Transporters.Base as unknown as new (opts: object) => BaseTransporter;

/** What this class uses of Moleculer's transporter base. */
interface BaseTransporter {
	connected: boolean;
	nodeID: string;
	logger: { info(...a: unknown[]): void; warn(...a: unknown[]): void; debug(...a: unknown[]): void };
	broker: { broadcastLocal(event: string, payload?: unknown): void };
	getTopicName(cmd: string, nodeID?: string): string;
	receive(cmd: string, data: Buffer): void;
	onConnected(wasReconnect?: boolean): Promise<void>;
}

/** The socket and token of a data folder. Unix sockets take at most ~100 bytes of path: a long DATA_DIR gets one in the temp folder. */
export function localSocketPaths(dataDir: string): { socket: string; token: string } {
	const inDir = path.join(dataDir, "bizops.sock");
	const socket = inDir.length < 100 ? inDir : path.join(os.tmpdir(), `bizops-${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}.sock`);
	return { socket, token: path.join(dataDir, "repl.token") };
}

/** The frames on the socket: 4 bytes of length, then 1 byte of topic length, the topic and the packet. */
export function frame(topic: string, data: Buffer): Buffer {
	const t = Buffer.from(topic, "utf8");
	const head = Buffer.alloc(5);
	head.writeUInt32BE(1 + t.length + data.length, 0);
	head.writeUInt8(t.length, 4);
	return Buffer.concat([head, t, data]);
}

/** The largest frame accepted: a packet the broker would send (streams go in chunks) is far below it. */
const MAX_FRAME = 64 * 1024 * 1024;

/** Before the token, a frame is the hello: a connection that announces more is closed before it is buffered. */
const MAX_HELLO_FRAME = 256;

/** Splits a socket's bytes into frames; a frame larger than `maxFrame()` or malformed ends the connection. */
export function onFrames(socket: net.Socket, handle: (topic: string, data: Buffer) => void, maxFrame: () => number = () => MAX_FRAME): void {
	// the chunks of a frame are kept apart and joined once it is whole: a large frame costs its size, not its size squared
	let chunks: Buffer[] = [];
	let size = 0;
	socket.on("data", (chunk: Buffer) => {
		chunks.push(chunk);
		size += chunk.length;
		while (size >= 4 && !socket.destroyed) {
			if (chunks[0].length < 4) chunks = [Buffer.concat(chunks, size)];
			const length = chunks[0].readUInt32BE(0);
			if (length < 1 || length > maxFrame()) return void socket.destroy();
			if (size < 4 + length) return;
			const buffered = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
			const topicLength = buffered.readUInt8(4);
			if (topicLength + 1 > length) return void socket.destroy();
			const topic = buffered.subarray(5, 5 + topicLength).toString("utf8");
			const data = buffered.subarray(5 + topicLength, 4 + length);
			const rest = buffered.subarray(4 + length);
			chunks = rest.length ? [rest] : [];
			size = rest.length;
			handle(topic, data);
		}
	});
}

const HELLO = "$hello";

export interface LocalSocketOptions {
	dataDir: string;
	role: "hub" | "peer";
}

export class LocalSocketTransporter extends Base {
	private readonly subscriptions = new Map<string, string>(); // topic → cmd
	private server?: net.Server;
	private readonly peers = new Set<net.Socket>();
	private hub?: net.Socket;
	private readonly paths: { socket: string; token: string };

	constructor(private readonly options: LocalSocketOptions) {
		super(options);
		this.paths = localSocketPaths(options.dataDir);
	}

	/** Whether the socket is open to peers (a hub that could not open it runs alone). */
	get listening(): boolean {
		return !!this.server?.listening;
	}

	async connect(): Promise<void> {
		if (this.options.role === "hub") await this.listen();
		else await this.dial();
		return this.onConnected();
	}

	async disconnect(): Promise<void> {
		this.connected = false;
		for (const peer of this.peers) peer.destroy();
		this.peers.clear();
		this.hub?.destroy();
		if (this.server) {
			await new Promise<void>(resolve => this.server!.close(() => resolve()));
			fs.rmSync(this.paths.socket, { force: true });
		}
	}

	async subscribe(cmd: string, nodeID?: string): Promise<void> {
		this.subscriptions.set(this.getTopicName(cmd, nodeID), cmd);
	}

	async subscribeBalancedRequest(): Promise<void> {}

	async subscribeBalancedEvent(): Promise<void> {}

	async send(topic: string, data: Buffer): Promise<void> {
		const bytes = frame(topic, data);
		if (this.hub) this.hub.write(bytes);
		for (const peer of this.peers) peer.write(bytes);
	}

	/** A packet from the socket: to this broker when it subscribed to its topic. */
	private deliver(topic: string, data: Buffer): void {
		const cmd = this.subscriptions.get(topic);
		if (cmd) this.receive(cmd, data);
	}

	private token(): Buffer {
		return Buffer.from(fs.readFileSync(this.paths.token, "utf8").trim(), "hex");
	}

	/** The hub: a fresh token, the socket (a stale one from a crash removed; one in use left to its platform). */
	private async listen(): Promise<void> {
		fs.mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
		if (await this.inUse()) {
			this.logger.warn(`Another platform listens on ${this.paths.socket} (the same DATA_DIR): the REPL attaches to that one`);
			return;
		}
		fs.rmSync(this.paths.socket, { force: true });
		const token = randomBytes(32);
		fs.writeFileSync(this.paths.token, token.toString("hex"), { mode: 0o600 });
		fs.chmodSync(this.paths.token, 0o600);
		const server = net.createServer(socket => this.accept(socket, token));
		try {
			await new Promise<void>((resolve, reject) => {
				server.once("error", reject);
				server.listen(this.paths.socket, () => resolve());
			});
		} catch (err) {
			// the platform runs without it (a file system without Unix sockets): only the REPL is missing
			this.logger.warn(`No local socket for the REPL at ${this.paths.socket}: ${(err as Error).message}`);
			return;
		}
		fs.chmodSync(this.paths.socket, 0o600);
		this.server = server;
		const relative = path.relative(process.cwd(), this.paths.socket);
		this.logger.info(`\`npm run repl\` attaches here through ${relative.startsWith("..") ? this.paths.socket : relative}`);
		server.on("error", err => this.logger.warn(`Local socket: ${err.message}`));
	}

	private inUse(): Promise<boolean> {
		return new Promise(resolve => {
			const probe = net.connect(this.paths.socket);
			probe.once("connect", () => {
				probe.destroy();
				resolve(true);
			});
			probe.once("error", () => resolve(false));
		});
	}

	/** A peer: its first frame must carry the token; then its packets reach this broker and the other peers. */
	private accept(socket: net.Socket, token: Buffer): void {
		let authenticated = false;
		const timer = setTimeout(() => socket.destroy(), 5000);
		socket.on("error", () => socket.destroy());
		socket.on("close", () => {
			clearTimeout(timer);
			this.peers.delete(socket);
		});
		onFrames(
			socket,
			(topic, data) => {
				if (!authenticated) {
					if (topic !== HELLO || data.length !== token.length || !timingSafeEqual(data, token)) {
						this.logger.warn("Local socket: a connection without the token was refused");
						return void socket.destroy();
					}
					authenticated = true;
					clearTimeout(timer);
					this.peers.add(socket);
					return;
				}
				this.deliver(topic, data);
				const bytes = frame(topic, data);
				for (const peer of this.peers) if (peer !== socket) peer.write(bytes);
			},
			() => (authenticated ? MAX_FRAME : MAX_HELLO_FRAME),
		);
	}

	/** A peer: connects, sends the token; the hub closing is the platform stopping. */
	private async dial(): Promise<void> {
		const token = this.token();
		const socket = net.connect(this.paths.socket);
		await new Promise<void>((resolve, reject) => {
			socket.once("connect", () => resolve());
			socket.once("error", reject);
		});
		socket.write(frame(HELLO, token));
		onFrames(socket, (topic, data) => this.deliver(topic, data));
		socket.on("error", () => socket.destroy());
		socket.on("close", () => {
			if (!this.connected) return;
			this.connected = false;
			this.logger.warn("The platform closed the local socket (it stopped)");
			this.broker.broadcastLocal(Moleculer.events.transporterDisconnected.name, { graceful: false } satisfies PayloadOf<typeof Moleculer.events.transporterDisconnected>);
		});
		this.hub = socket;
	}
}
