// viem's values for the chain capability, from its joined module where one was built (src/deps:
// viem with ox and abitype is some 500 modules, which took 350-450 ms to load at every server
// start). Every module of src/chain imports viem's values from here and its types from 'viem' with
// `import type`; one joined module serves 'viem', 'viem/accounts' and 'viem/siwe', so error classes
// checked with `instanceof` are the ones viem throws. Private to src/chain.
import type * as V from 'viem';
import type * as A from 'viem/accounts';
import type * as S from 'viem/siwe';
import { loadJoined } from '../deps/index.ts';

type Viem = typeof V & typeof A & typeof S;
const v = (await loadJoined<Viem>('viem')).module;

export const BaseError: typeof V.BaseError = v.BaseError;
export const ContractFunctionRevertedError: typeof V.ContractFunctionRevertedError = v.ContractFunctionRevertedError;
export const HttpRequestError: typeof V.HttpRequestError = v.HttpRequestError;
export const InsufficientFundsError: typeof V.InsufficientFundsError = v.InsufficientFundsError;
export const bytesToHex: typeof V.bytesToHex = v.bytesToHex;
export const createPublicClient: typeof V.createPublicClient = v.createPublicClient;
export const createWalletClient: typeof V.createWalletClient = v.createWalletClient;
export const custom: typeof V.custom = v.custom;
export const decodeEventLog: typeof V.decodeEventLog = v.decodeEventLog;
export const decodeFunctionResult: typeof V.decodeFunctionResult = v.decodeFunctionResult;
export const defineChain: typeof V.defineChain = v.defineChain;
export const encodeFunctionData: typeof V.encodeFunctionData = v.encodeFunctionData;
export const hashMessage: typeof V.hashMessage = v.hashMessage;
export const hexToBytes: typeof V.hexToBytes = v.hexToBytes;
export const http: typeof V.http = v.http;
export const keccak256: typeof V.keccak256 = v.keccak256;
export const mnemonicToAccount: typeof A.mnemonicToAccount = v.mnemonicToAccount;
export const parseSiweMessage: typeof S.parseSiweMessage = v.parseSiweMessage;
export const toBytes: typeof V.toBytes = v.toBytes;
export const validateSiweMessage: typeof S.validateSiweMessage = v.validateSiweMessage;
export const verifyMessage: typeof V.verifyMessage = v.verifyMessage;
