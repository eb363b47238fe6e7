// A real object seen through a proxy that counts the calls of one of its methods (how many reads
// of the store a piece of code makes), every other member passed through to the object itself.

/** `target`, with each call of `method` reported to `onCall` (with its arguments) before it runs. */
export function counted<T extends object>(target: T, method: keyof T, onCall: (args: unknown[]) => void): T {
  return new Proxy(target, {
    get(t, name) {
      const v = Reflect.get(t, name, t);
      if (typeof v !== 'function') return v;
      if (name !== method) return v.bind(t);
      return (...args: unknown[]) => {
        onCall(args);
        return v.apply(t, args);
      };
    },
  });
}
