/**
 * `npm run routes`: writes services/routes.json, the REST routes of every service this code base ships (but
 * the gateway), read from their own `rest` declarations. The gateway reads that file instead of loading the
 * services' code; a test fails while it is out of date.
 */
import fs from "fs";
import path from "path";
import { manifestJson, operationDocsOf, restActionsOf, serviceDescriptionsOf, type RouteManifest, type RoutedSchema } from "../mixins/rest-routes";

export const SERVICES_DIR = path.resolve(__dirname, "..", "services");
export const MANIFEST_FILE = path.join(SERVICES_DIR, "routes.json");

/** The manifest as the service files declare it now. */
export function buildManifest(): RouteManifest {
	const schemas = fs
		.readdirSync(SERVICES_DIR)
		.filter(f => /\.service\.ts$/.test(f) && f !== "api.service.ts")
		.sort()
		.map(f => require(path.join(SERVICES_DIR, f)).default as RoutedSchema);
	return { services: schemas.map(s => String(s.name)), tags: serviceDescriptionsOf(schemas), routes: restActionsOf(schemas), operations: operationDocsOf(schemas) };
}

if (require.main === module) {
	fs.writeFileSync(MANIFEST_FILE, manifestJson(buildManifest()));
	console.log(`wrote ${path.relative(process.cwd(), MANIFEST_FILE)}`);
}
