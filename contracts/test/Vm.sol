// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @dev The cheatcodes the Solidity tests use (Hardhat 3's EDR answers them at this address).
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 revertSelector) external;
    function warp(uint256 timestamp) external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function assume(bool condition) external pure;
}

abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertTrue(bool ok, string memory what) internal pure {
        require(ok, what);
    }

    function assertEqU(uint256 a, uint256 b, string memory what) internal pure {
        require(a == b, what);
    }

    function assertEqA(address a, address b, string memory what) internal pure {
        require(a == b, what);
    }

    function assertEqB(bytes32 a, bytes32 b, string memory what) internal pure {
        require(a == b, what);
    }
}
