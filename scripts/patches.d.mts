// Types of scripts/patches.mjs (plain JavaScript, run by scripts/ensure-deps.mjs before any install of TypeScript tooling).
export interface PatchResult {
  readonly name: string;
  readonly version: string;
  readonly file: string;
  /** 'unapplied': the files were as published (and are now patched unless `write` was false). */
  readonly state: 'applied' | 'unapplied';
}
export interface PatchLine {
  text: string;
  eol: boolean;
}
export interface PatchHunk {
  readonly oldStart: number;
  readonly newStart: number;
  readonly old: PatchLine[];
  readonly new: PatchLine[];
}
export interface PatchFile {
  readonly oldPath: string;
  readonly newPath: string;
  readonly hunks: PatchHunk[];
}
export function parsePatch(text: string): PatchFile[];
export function patchTarget(fileName: string): { name: string; version: string };
export function applyPatch(root: string, patchFile: string, options?: { write?: boolean }): PatchResult;
export function applyPatches(root: string, options?: { write?: boolean }): PatchResult[];
