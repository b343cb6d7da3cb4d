// The framework's floor: a minimal moleculer-web gateway, one alias to an action returning a constant,
// default broker options (METRICS=1: with Moleculer's built-in Prometheus metrics on). Its own process.
const { ServiceBroker } = require("moleculer");
const ApiGateway = require("moleculer-web");

const body = JSON.parse(process.env.BODY || '{"status":"ok"}');
const broker = new ServiceBroker({ logger: false, metrics: process.env.METRICS === "1" ? { enabled: true, reporter: { type: "Prometheus", options: { port: 0 } } } : false });
broker.createService({ name: "floor", actions: { get: { handler: () => body } } });
broker.createService({ name: "api", mixins: [ApiGateway], settings: { port: 0, ip: "127.0.0.1", routes: [{ path: "/", aliases: { "GET /": "floor.get" } }] } });
broker.start().then(() => process.send?.({ port: broker.getLocalService("api").server.address().port }));
