import { describe, expect, it } from 'vitest';
import { DueHeap, type HeapItem } from './heap.js';

const item = (at: number, name = String(at)): HeapItem & { name: string } => ({ at, seq: 0, heapIndex: -1, name });

describe('DueHeap', () => {
  it('pops in time order, equal times in the order they were pushed', () => {
    const heap = new DueHeap<ReturnType<typeof item>>();
    for (const [at, name] of [[5, 'a'], [1, 'b'], [5, 'c'], [3, 'd'], [1, 'e']] as const) heap.push(item(at, name));
    const out: string[] = [];
    for (let x = heap.pop(); x; x = heap.pop()) out.push(x.name);
    expect(out).toEqual(['b', 'e', 'd', 'a', 'c']);
  });

  it('stays ordered through random pushes, updates and removals', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const heap = new DueHeap<ReturnType<typeof item>>();
    const live = new Set<ReturnType<typeof item>>();
    for (let i = 0; i < 5000; i++) {
      const r = rand();
      if (r < 0.5 || live.size === 0) {
        const x = item(Math.floor(rand() * 1000));
        heap.push(x);
        live.add(x);
      } else {
        const x = [...live][Math.floor(rand() * live.size)]!;
        if (r < 0.75) heap.update(x, Math.floor(rand() * 1000));
        else {
          heap.remove(x);
          live.delete(x);
          expect(x.heapIndex).toBe(-1);
        }
      }
      expect(heap.size).toBe(live.size);
    }
    const popped: number[] = [];
    for (let x = heap.pop(); x; x = heap.pop()) popped.push(x.at);
    expect(popped).toEqual([...live].map((x) => x.at).sort((a, b) => a - b));
  });

  it('ignores removing an item that is not in it', () => {
    const heap = new DueHeap<HeapItem>();
    const x = item(1);
    heap.remove(x);
    heap.push(x);
    heap.remove(x);
    heap.remove(x);
    expect(heap.size).toBe(0);
  });
});
