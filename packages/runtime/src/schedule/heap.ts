// A binary min-heap of things that fall due at a time: the scheduler keeps every task's next
// slot and every run's deadline in one, so one timer armed for the top serves them all.

export interface HeapItem {
  /** When it falls due (epoch ms); the heap key. */
  at: number;
  /** Tie-breaker: equal times come out in the order they were pushed or updated. */
  seq: number;
  /** Position in the heap, -1 when not in one. Maintained by the heap. */
  heapIndex: number;
}

export class DueHeap<T extends HeapItem> {
  #items: T[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    item.seq = this.#seq++;
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top) this.remove(top);
    return top;
  }

  /** Move an item already in the heap to a new time. */
  update(item: T, at: number): void {
    item.at = at;
    item.seq = this.#seq++;
    if (!this.#up(item.heapIndex)) this.#down(item.heapIndex);
  }

  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0 || this.#items[i] !== item) return;
    const last = this.#items.pop() as T;
    item.heapIndex = -1;
    if (last === item) return;
    this.#items[i] = last;
    last.heapIndex = i;
    if (!this.#up(i)) this.#down(i);
  }

  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items = [];
  }

  /** Whether `a` comes out before `b`. */
  #less(a: T, b: T): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #up(start: number): boolean {
    const items = this.#items;
    const item = items[start] as T;
    let i = start;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.#less(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = item;
    item.heapIndex = i;
    return i !== start;
  }

  #down(start: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[start] as T;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.#less(items[right] as T, items[left] as T)) child = right;
      const c = items[child] as T;
      if (!this.#less(c, item)) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
