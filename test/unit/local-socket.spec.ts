/** The local socket's framing (lib/local-socket-transporter.ts): frames whole whatever the chunks, and a frame too large refused on its length. */
import { EventEmitter } from "node:events";
import type net from "node:net";
import { frame, onFrames } from "../../lib/local-socket-transporter";

function fakeSocket() {
	const socket = Object.assign(new EventEmitter(), { destroyed: false, destroy: () => void (socket.destroyed = true) });
	return socket;
}

describe("the local socket's frames", () => {
	it("come out whole and in order, however the bytes are cut", () => {
		const socket = fakeSocket();
		const got: Array<[string, string]> = [];
		onFrames(socket as unknown as net.Socket, (topic, data) => void got.push([topic, data.toString()]));
		const big = "x".repeat(3 * 1024 * 1024);
		const bytes = Buffer.concat([frame("MOL.INFO.a", Buffer.from("one")), frame("MOL.REQ.b", Buffer.from(big)), frame("MOL.EVENT.c", Buffer.from("three"))]);
		// one byte at a time for the first frames' heads, then 64 KB chunks
		for (let i = 0; i < 40; i++) socket.emit("data", bytes.subarray(i, i + 1));
		for (let i = 40; i < bytes.length; i += 65536) socket.emit("data", bytes.subarray(i, Math.min(bytes.length, i + 65536)));
		expect(got.map(([topic]) => topic)).toEqual(["MOL.INFO.a", "MOL.REQ.b", "MOL.EVENT.c"]);
		expect(got[1][1]).toBe(big);
		expect(got[2][1]).toBe("three");
		expect(socket.destroyed).toBe(false);
	});

	it("close the connection on a length past the limit, before its bytes arrive", () => {
		const socket = fakeSocket();
		onFrames(
			socket as unknown as net.Socket,
			() => undefined,
			() => 256,
		);
		const head = Buffer.alloc(4);
		head.writeUInt32BE(1024, 0);
		socket.emit("data", head);
		expect(socket.destroyed).toBe(true);
	});
});
