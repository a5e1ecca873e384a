import { KeyedLoader, then } from '../../src/store/loaders.js';

/** A loader over a fixed table that records each batch it was asked for. */
function loaderOver(table: Record<string, string>) {
  const batches: string[][] = [];
  const loader = new KeyedLoader<string | null>(async (keys) => {
    batches.push([...keys]);
    return keys.map((k) => table[k] ?? null);
  });
  return { loader, batches };
}

describe('KeyedLoader', () => {
  it('answers with a promise until the statement answered, then with the value itself', async () => {
    const { loader, batches } = loaderOver({ a: 'A', b: 'B' });
    const first = loader.get('a');
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toBe('A');
    expect(loader.get('a')).toBe('A');
    // A miss is held too: a dangling id is not asked for again.
    await loader.get('zz');
    expect(loader.get('zz')).toBeNull();
    expect(batches).toEqual([['a'], ['zz']]);
  });

  it('hands out a primed value at once and never asks the store for it', () => {
    const { loader, batches } = loaderOver({});
    loader.prime('p', 'primed');
    expect(loader.get('p')).toBe('primed');
    expect(batches).toEqual([]);
  });

  it('keeps what the statement answers for a key already asked for, as DataLoader does', async () => {
    const { loader } = loaderOver({ k: 'from the store' });
    const pending = loader.get('k');
    loader.prime('k', 'stale copy');
    expect(loader.get('k')).toBeInstanceOf(Promise);
    await expect(pending).resolves.toBe('from the store');
    expect(loader.get('k')).toBe('from the store');
  });

  it('forgets a cleared key and asks again', async () => {
    const { loader, batches } = loaderOver({ k: 'K' });
    await loader.load('k');
    loader.clear('k');
    expect(loader.get('k')).toBeInstanceOf(Promise);
    await loader.get('k');
    loader.clearAll();
    await loader.get('k');
    expect(batches).toEqual([['k'], ['k'], ['k']]);
  });

  it('batches the keys asked for in one turn', async () => {
    const { loader, batches } = loaderOver({ a: 'A', b: 'B' });
    await Promise.all([loader.get('a'), loader.get('b'), loader.get('a')]);
    expect(batches).toEqual([['a', 'b']]);
  });
});

describe('then', () => {
  it('applies f at once to a value and after the promise to a promise', async () => {
    expect(then(2, (v) => v * 3)).toBe(6);
    const later = then(Promise.resolve(2), (v) => v * 3);
    expect(later).toBeInstanceOf(Promise);
    await expect(later).resolves.toBe(6);
  });
});
