// Why a gateway is degraded: problems for good (a plugin or daemon failed) and conditions that
// clear (the store or the status file cannot be written right now), each said once.

export class Problems {
  readonly #lasting: string[] = [];
  readonly #conditions = new Map<string, string>();

  /** A problem for the rest of this gateway's life. */
  add(message: string): void {
    this.#lasting.push(message);
  }

  /** A condition under `key`, replacing the one there; false when nothing changed. */
  set(key: string, message: string): boolean {
    if (this.#conditions.get(key) === message) return false;
    this.#conditions.set(key, message);
    return true;
  }

  /** The condition under `key` cleared; false when there was none. */
  clear(key: string): boolean {
    return this.#conditions.delete(key);
  }

  list(): string[] {
    return [...this.#lasting, ...this.#conditions.values()];
  }

  get any(): boolean {
    return this.#lasting.length > 0 || this.#conditions.size > 0;
  }
}
