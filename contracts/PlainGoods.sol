// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title OpenZeppelin's plain ERC-721, the baseline beside VirtualGoods in the gas benchmark
contract PlainGoods is ERC721 {
    uint256 private _nextTokenId = 1;

    constructor() ERC721("Plain Goods", "PLAIN") {}

    function mint(address to) external returns (uint256 tokenId) {
        tokenId = _nextTokenId++;
        _mint(to, tokenId);
    }
}
