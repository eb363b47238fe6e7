// viem's values for the wallets capability, from the same joined module as src/chain's (src/deps).
// Every module of src/wallets imports viem's values from here and its types from 'viem' with
// `import type`. Private to src/wallets.
import type * as V from 'viem';
import type * as A from 'viem/accounts';
import type * as S from 'viem/siwe';
import { loadJoined } from '../deps/index.ts';

type Viem = typeof V & typeof A & typeof S;
const v = (await loadJoined<Viem>('viem')).module;

export const bytesToHex: typeof V.bytesToHex = v.bytesToHex;
export const createSiweMessage: typeof S.createSiweMessage = v.createSiweMessage;
export const encodeFunctionData: typeof V.encodeFunctionData = v.encodeFunctionData;
export const hashMessage: typeof V.hashMessage = v.hashMessage;
export const hashTypedData: typeof V.hashTypedData = v.hashTypedData;
export const hexToBytes: typeof V.hexToBytes = v.hexToBytes;
export const isAddress: typeof V.isAddress = v.isAddress;
export const keccak256: typeof V.keccak256 = v.keccak256;
export const parseSignature: typeof V.parseSignature = v.parseSignature;
export const publicKeyToAddress: typeof A.publicKeyToAddress = v.publicKeyToAddress;
export const serializeTransaction: typeof V.serializeTransaction = v.serializeTransaction;
export const toAccount: typeof A.toAccount = v.toAccount;
export const toHex: typeof V.toHex = v.toHex;
