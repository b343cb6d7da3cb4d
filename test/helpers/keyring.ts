/** A keyring over an in-memory NeDB collection (the store code the platform runs on), for unit-level tests. */
import { Repository } from "../../mixins/db.mixin";
import { Keyring, newKekEntry, type KekEntry, type KeyringLease } from "../../lib/keyring";

const DbService = require("moleculer-db");

export async function memoryKeyring(keks: KekEntry[] = [newKekEntry()]): Promise<{ keyring: Keyring; store: Repository; lease: KeyringLease }> {
	const adapter = new DbService.MemoryAdapter();
	adapter.init({}, { schema: { collection: "encryption_keys" } });
	await adapter.connect();
	const store = new Repository(adapter, null);
	const keyring = new Keyring(store, keks);
	return { keyring, store, lease: { get: async () => keyring, release: async () => undefined } };
}
