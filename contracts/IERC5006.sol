// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ERC-5006: rental of ERC-1155 tokens (user records: an amount a user may use until an expiry)
/// @dev As the standard states it; its ERC-165 identifier is 0xc26d96cc.
interface IERC5006 {
    struct UserRecord {
        uint256 tokenId;
        address owner;
        uint64 amount;
        address user;
        uint64 expiry;
    }

    event CreateUserRecord(uint256 recordId, uint256 tokenId, uint64 amount, address owner, address user, uint64 expiry);
    event DeleteUserRecord(uint256 recordId);

    function usableBalanceOf(address account, uint256 tokenId) external view returns (uint256);

    function frozenBalanceOf(address account, uint256 tokenId) external view returns (uint256);

    function userRecordOf(uint256 recordId) external view returns (UserRecord memory);

    function createUserRecord(address owner, address user, uint256 tokenId, uint64 amount, uint64 expiry)
        external
        returns (uint256);

    function deleteUserRecord(uint256 recordId) external;
}
