// Which PKCS#11 module a data directory may load (D419). `verity.json` names the module, and
// whoever can write the data directory can write `verity.json`: a module is native code, loaded
// into the process that holds the PIN. So the module `verity.json` names is loaded only where no
// one but root could have written it (the file and every directory above it owned by root and not
// writable by group or others), or when the operator names that same module in VERITY_HSM_MODULE.
// The module is then loaded by its real path, so a symbolic link changed after the check is not
// followed.
import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { KeyError, quote } from '../errors/index.ts';

/** Why no one but root is sure to have written `path`, or undefined when only root could have. */
async function writableByOthers(path: string): Promise<string | undefined> {
  const file = await stat(path);
  if (!file.isFile()) return 'it is not a regular file';
  for (let p = path; ; p = dirname(p)) {
    const s = p === path ? file : await stat(p);
    if (s.uid !== 0) return `${quote(p)} is owned by uid ${s.uid}`;
    if ((s.mode & 0o022) !== 0) return `${quote(p)} is writable by group or others`;
    if (dirname(p) === p) return undefined;
  }
}

/**
 * The real path of the PKCS#11 module to load, or VERITY_E_HSM_MODULE: `named` is the module the
 * operator named in the environment (VERITY_HSM_MODULE), which is loaded as named.
 */
export async function trustedHsmModule(module: string, named: string | undefined): Promise<string> {
  if (named !== undefined && named === module) return module;
  if (!isAbsolute(module))
    throw new KeyError('VERITY_E_HSM_MODULE', `the PKCS#11 module ${quote(module)} is not an absolute path`);
  let real: string;
  try {
    real = await realpath(module);
  } catch {
    throw new KeyError('VERITY_E_HSM_MODULE', `the PKCS#11 module ${quote(module)} does not exist`);
  }
  // Windows has no owner uid to read this way; its modules sit in folders only administrators write.
  const why = process.platform === 'win32' ? undefined : await writableByOthers(real);
  if (why !== undefined)
    throw new KeyError(
      'VERITY_E_HSM_MODULE',
      `the PKCS#11 module ${quote(module)} that verity.json names could have been written by someone other than root (${why}); install it where only root writes, or name it in VERITY_HSM_MODULE to load it`,
    );
  return real;
}
