import { MlRegistry, MlTraining } from "../contracts";
import { call } from "../lib/contract-calls";
import { fixed, formatTable } from "./format";
import { asOperator, show, type ReplCommand } from "./index";

const commands: ReplCommand[] = [
	{
		command: "ml-models",
		description: "bizops: ML models: type, domain, the versions in production and staging, status",
		async action(broker) {
			const page = await call(broker, MlRegistry.actions.list, { page_size: 100 }, asOperator);
			show(
				formatTable(
					page.rows.map(m => ({
						id: m.id,
						name: m.name,
						type: m.model_type,
						domain: m.domain,
						production: m.aliases?.production,
						staging: m.aliases?.staging,
						status: m.status,
					})),
					["id", "name", "type", "domain", "production", "staging", "status"],
				),
			);
		},
	},
	{
		command: "ml-jobs [modelId]",
		description: "bizops: training jobs (of one model when given), newest first: state, progress, the version made",
		async action(broker, args) {
			const page = await call(broker, MlTraining.actions.listJobs, { ...(args.modelId ? { model_id: String(args.modelId) } : {}), page_size: 20 }, asOperator);
			show(
				formatTable(
					page.rows.map(j => ({
						id: j.id,
						model: j.model_id,
						state: j.state,
						progress: j.progress == null ? "-" : `${fixed(j.progress * 100, 0)} %`,
						version: j.version,
						error: j.error,
						created: j.created_at?.slice(0, 19),
					})),
					["id", "model", "state", "progress", "version", "error", "created"],
				),
			);
		},
	},
];

export default commands;
