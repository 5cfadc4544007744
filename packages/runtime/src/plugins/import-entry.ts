// The runtime's one dynamic import of code outside itself: a plugin's entry module. In its own
// module so the build can route it: the bundle is loaded as a script with a V8 code cache
// (scripts/bundle.mjs, dist/load.js), and a script has no `import()` of its own on Node 20,
// so there this module is replaced by one calling the importer of the ES module that loaded it.

/** `import(url)`: a plugin's entry, by file URL. */
export function importEntry(url: string): Promise<unknown> {
  return import(url);
}
