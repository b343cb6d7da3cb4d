// Validates Kubernetes manifests against the API schemas of kubernetes-models (ESM-only, hence a script the
// tests run). Usage: node validate-k8s.mjs FILE...; prints [{file, kind, name, error?}] as JSON.
import fs from "fs";
import YAML from "yaml";
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";

const MODELS = { ConfigMap, Namespace, Secret, Service, Deployment, StatefulSet, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy };
const results = [];
for (const file of process.argv.slice(2)) {
	for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
		const obj = doc.toJS();
		if (!obj) continue;
		const Model = MODELS[obj.kind];
		const entry = { file, kind: obj.kind, name: obj.metadata?.name };
		if (!Model) entry.error = `no schema for kind ${obj.kind}`;
		else {
			try {
				new Model(obj).validate();
			} catch (err) {
				entry.error = err.message;
			}
		}
		results.push(entry);
	}
}
console.log(JSON.stringify(results));
