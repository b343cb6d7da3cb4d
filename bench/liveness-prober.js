// A liveness prober in a process of its own (bench/abuse.bench.ts forks it), so what the bench itself does —
// building a 48 MB body, parsing answers — never counts as the platform's stall. It sends GET /health/live back
// to back and, when told to stop, answers the longest wait and the number of probes.
"use strict";
const url = process.env.PROBE_URL;
let probing = false;
let longest = 0;
let probes = 0;

async function loop() {
	while (probing) {
		const started = performance.now();
		try {
			await fetch(url).then(r => r.text());
		} catch {
			/* counted as the wait it was */
		}
		longest = Math.max(longest, performance.now() - started);
		probes++;
	}
}

let running = null;
process.on("message", m => {
	if (m === "start") {
		longest = 0;
		probes = 0;
		probing = true;
		running = loop();
	} else if (m === "stop") {
		probing = false;
		Promise.resolve(running).then(() => process.send({ longest_ms: longest, probes }));
	}
});
// the first fetch of a process loads Node's HTTP client (tens of ms): not a stall of the platform's
fetch(url)
	.then(r => r.text())
	.finally(() => process.send("ready"));
