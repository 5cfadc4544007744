// Key-value storage private to one namespace (a plugin id). Values are stored as JSON text.
import type { Kysely } from 'kysely';
import { StoreError, describeError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import type { StoreGate } from './gate.js';
import type { StoreSchema } from './schema.js';
import type { KeyValueStore } from './types.js';

export class SqlKeyValueStore implements KeyValueStore {
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;
  readonly #clock: Clock;
  readonly #namespace: string;

  constructor(db: Kysely<StoreSchema>, gate: StoreGate, clock: Clock, namespace: string) {
    this.#db = db;
    this.#gate = gate;
    this.#clock = clock;
    this.#namespace = namespace;
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#gate.run('kv.get', async () => {
      const row = await this.#db
        .selectFrom('kora_kv')
        .select('value')
        .where('namespace', '=', this.#namespace)
        .where('key', '=', key)
        .executeTakeFirst();
      return row === undefined ? undefined : (JSON.parse(row.value) as T);
    });
  }

  /** Setting `undefined` deletes the key, as JSON drops undefined properties. */
  set(key: string, value: unknown): Promise<void> {
    return this.#gate.run('kv.set', async () => {
      if (value === undefined) {
        await this.#deleteRow(key);
        return;
      }
      const json = this.#serialize(key, value);
      const updatedAt = this.#clock.now();
      await this.#db
        .insertInto('kora_kv')
        .values({ namespace: this.#namespace, key, value: json, updated_at: updatedAt })
        .onConflict((oc) => oc.columns(['namespace', 'key']).doUpdateSet({ value: json, updated_at: updatedAt }))
        .execute();
    });
  }

  delete(key: string): Promise<boolean> {
    return this.#gate.run('kv.delete', () => this.#deleteRow(key));
  }

  keys(prefix?: string): Promise<string[]> {
    return this.#gate.run('kv.keys', async () => {
      let q = this.#db.selectFrom('kora_kv').select('key').where('namespace', '=', this.#namespace);
      if (prefix) {
        // An exact prefix test, not LIKE: LIKE has wildcards to escape and is case-insensitive in
        // SQLite; and not a range, whose bounds depend on the database's collation in PostgreSQL.
        // substr() and length() count characters (code points) in both databases.
        const chars = Array.from(prefix).length;
        q = q.where((eb) => eb(eb.fn<string>('substr', ['key', eb.val(1), eb.val(chars)]), '=', prefix));
      }
      const rows = await q.orderBy('key').execute();
      return rows.map((row) => row.key);
    });
  }

  async #deleteRow(key: string): Promise<boolean> {
    const { numDeletedRows } = await this.#db
      .deleteFrom('kora_kv')
      .where('namespace', '=', this.#namespace)
      .where('key', '=', key)
      .executeTakeFirst();
    return numDeletedRows > 0n;
  }

  #serialize(key: string, value: unknown): string {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (err) {
      throw this.#notJson(key, describeError(err));
    }
    if (json === undefined) throw this.#notJson(key, `a ${typeof value} has no JSON form`);
    return json;
  }

  #notJson(key: string, why: string): StoreError {
    return new StoreError(`Value for key "${key}" in namespace "${this.#namespace}" is not JSON-serialisable: ${why}`, {
      namespace: this.#namespace,
      key,
    });
  }
}
