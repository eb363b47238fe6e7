// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ERC-4907: rental of an ERC-721 token (a user role with an expiry, beside the owner)
interface IERC4907 {
    event UpdateUser(uint256 indexed tokenId, address indexed user, uint64 expires);

    function setUser(uint256 tokenId, address user, uint64 expires) external;

    function userOf(uint256 tokenId) external view returns (address);

    function userExpires(uint256 tokenId) external view returns (uint256);
}
