// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Anchors of Verity transparency-log checkpoints
/// @notice Each anchor records a checkpoint of one log (named by the SHA-256 hash of its origin line):
/// its tree size, its root hash and the block time it was anchored at. Tree sizes strictly increase per
/// origin, so one tree size has at most one root on chain: anyone holding the chain can prove a
/// checkpoint's age (it existed by `anchoredAt`) and its uniqueness (no other root for that size).
/// Immutable: no proxy, no owner-controlled upgrade (D182).
contract CheckpointAnchor is AccessControl {
    /// @notice Accounts that may anchor checkpoints (Verity's anchoring account).
    bytes32 public constant ANCHOR_ROLE = keccak256("ANCHOR_ROLE");

    struct Anchor {
        bytes32 rootHash;
        uint64 anchoredAt;
        uint64 blockNumber;
    }

    mapping(bytes32 originHash => uint64 treeSize) private _latestSize;
    mapping(bytes32 originHash => uint256 count) private _count;
    mapping(bytes32 originHash => mapping(uint64 treeSize => Anchor)) private _anchors;

    event CheckpointAnchored(
        bytes32 indexed originHash, uint64 indexed treeSize, bytes32 rootHash, uint64 anchoredAt
    );

    error TreeSizeNotIncreasing(bytes32 originHash, uint64 latestTreeSize, uint64 treeSize);
    error EmptyRootHash();
    error ZeroAddress();

    constructor(address admin, address anchorer) {
        if (admin == address(0) || anchorer == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHOR_ROLE, anchorer);
    }

    /// @notice Anchors a checkpoint; its tree size must exceed the latest anchored for this origin.
    function anchor(bytes32 originHash, uint64 treeSize, bytes32 rootHash) external onlyRole(ANCHOR_ROLE) {
        if (rootHash == bytes32(0)) revert EmptyRootHash();
        uint64 latestSize = _latestSize[originHash];
        // INVARIANT: a tree size is anchored once per origin; the first anchor needs a non-empty tree.
        if (treeSize <= latestSize) revert TreeSizeNotIncreasing(originHash, latestSize, treeSize);
        _latestSize[originHash] = treeSize;
        _count[originHash] += 1;
        uint64 at = uint64(block.timestamp);
        _anchors[originHash][treeSize] = Anchor(rootHash, at, uint64(block.number));
        emit CheckpointAnchored(originHash, treeSize, rootHash, at);
    }

    /// @notice The latest anchor of an origin; tree size 0 when none.
    function latest(bytes32 originHash)
        external
        view
        returns (uint64 treeSize, bytes32 rootHash, uint64 anchoredAt, uint64 blockNumber)
    {
        treeSize = _latestSize[originHash];
        Anchor storage a = _anchors[originHash][treeSize];
        return (treeSize, a.rootHash, a.anchoredAt, a.blockNumber);
    }

    /// @notice The anchor of one tree size; a zero root hash when that size was never anchored.
    function anchorAt(bytes32 originHash, uint64 treeSize)
        external
        view
        returns (bytes32 rootHash, uint64 anchoredAt, uint64 blockNumber)
    {
        Anchor storage a = _anchors[originHash][treeSize];
        return (a.rootHash, a.anchoredAt, a.blockNumber);
    }

    /// @notice How many checkpoints of an origin were anchored.
    function anchorCount(bytes32 originHash) external view returns (uint256) {
        return _count[originHash];
    }
}
