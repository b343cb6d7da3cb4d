// The baseline: a bare Node http server answering every request with the given JSON, as the gateway would.
const http = require("http");
const body = process.env.BODY || '{"status":"ok"}';
const server = http.createServer((req, res) => {
	res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
	res.end(body);
});
server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => process.send?.({ port: server.address().port }));
