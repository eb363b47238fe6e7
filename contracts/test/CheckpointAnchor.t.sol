// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {CheckpointAnchor} from "../CheckpointAnchor.sol";
import {Test} from "./Vm.sol";

contract CheckpointAnchorTest is Test {
    CheckpointAnchor internal anchors;
    address internal constant ADMIN = address(0xA11CE);
    address internal constant ANCHORER = address(0xA7C4);
    bytes32 internal constant ORIGIN = keccak256("verity.example/log");

    function setUp() public {
        anchors = new CheckpointAnchor(ADMIN, ANCHORER);
    }

    function testAnchorsAndReadsBack() public {
        vm.warp(1_800_000_000);
        vm.prank(ANCHORER);
        anchors.anchor(ORIGIN, 5, keccak256("root5"));
        (uint64 size, bytes32 root, uint64 at,) = anchors.latest(ORIGIN);
        assertEqU(size, 5, "size");
        assertEqB(root, keccak256("root5"), "root");
        assertEqU(at, 1_800_000_000, "time");
        (bytes32 root5,,) = anchors.anchorAt(ORIGIN, 5);
        assertEqB(root5, keccak256("root5"), "anchorAt");
        (bytes32 none,,) = anchors.anchorAt(ORIGIN, 4);
        assertEqB(none, bytes32(0), "no anchor at 4");
        assertEqU(anchors.anchorCount(ORIGIN), 1, "count");
    }

    /// Only the anchoring account anchors, whoever else calls.
    function testFuzzOnlyAnchorer(address caller) public {
        vm.assume(caller != ANCHORER);
        bytes32 role = anchors.ANCHOR_ROLE();
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
        anchors.anchor(ORIGIN, 1, keccak256("r"));
    }

    /// A tree size not above the latest is refused: one root per size, for ever.
    function testFuzzStrictlyIncreasing(uint64 first, uint64 second) public {
        vm.assume(first > 0);
        vm.startPrank(ANCHORER);
        anchors.anchor(ORIGIN, first, keccak256("a"));
        if (second <= first) {
            vm.expectRevert(
                abi.encodeWithSelector(CheckpointAnchor.TreeSizeNotIncreasing.selector, ORIGIN, first, second)
            );
            anchors.anchor(ORIGIN, second, keccak256("b"));
            (bytes32 kept,,) = anchors.anchorAt(ORIGIN, first);
            assertEqB(kept, keccak256("a"), "first root kept");
        } else {
            anchors.anchor(ORIGIN, second, keccak256("b"));
            (uint64 size,,,) = anchors.latest(ORIGIN);
            assertEqU(size, second, "latest moved");
        }
        vm.stopPrank();
    }

    function testOriginsAreIndependent() public {
        vm.startPrank(ANCHORER);
        anchors.anchor(ORIGIN, 10, keccak256("a"));
        anchors.anchor(keccak256("other"), 3, keccak256("b"));
        vm.stopPrank();
        (uint64 size,,,) = anchors.latest(keccak256("other"));
        assertEqU(size, 3, "other origin");
    }

    function testRefusesEmptyRootAndZeroSize() public {
        vm.startPrank(ANCHORER);
        vm.expectRevert(CheckpointAnchor.EmptyRootHash.selector);
        anchors.anchor(ORIGIN, 1, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(CheckpointAnchor.TreeSizeNotIncreasing.selector, ORIGIN, 0, 0));
        anchors.anchor(ORIGIN, 0, keccak256("r"));
        vm.stopPrank();
    }

    function testAdminGrantsAndRevokesAnchorers() public {
        address second = address(0xB0B);
        bytes32 role = anchors.ANCHOR_ROLE();
        bytes32 adminRole = anchors.DEFAULT_ADMIN_ROLE();
        vm.prank(ANCHORER);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, ANCHORER, adminRole)
        );
        anchors.grantRole(role, second);
        vm.prank(ADMIN);
        anchors.grantRole(role, second);
        vm.prank(second);
        anchors.anchor(ORIGIN, 1, keccak256("r"));
        vm.prank(ADMIN);
        anchors.revokeRole(role, ANCHORER);
        vm.prank(ANCHORER);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, ANCHORER, role)
        );
        anchors.anchor(ORIGIN, 2, keccak256("r2"));
    }
}
