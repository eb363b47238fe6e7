// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {IERC4907} from "./IERC4907.sol";
import {Licensed} from "./Licensed.sol";

/// @title Virtual goods: ERC-721 tokens with ERC-2981 royalties, ERC-4907 rental and licence terms
/// @notice Each token carries a licence (one of the licences the licensor defined, in the spirit of
/// a16z's "Can't Be Evil" licences and VRM's licence fields): commercial use, modification and
/// resale flags and the URI of the licence text. The contract enforces what a contract can:
///  - no resale: only the creator hands the token on; a holder may give it back to the creator only;
///  - no commercial use: the token is never minted, transferred or rented to an account the licensor
///    registered as commercial.
/// Modification is stated, not enforced (nothing on chain sees a modified copy).
/// Royalty information follows ERC-2981 (the creator, at the rate set at mint); paying it is up to
/// the marketplace. The contract holds and sends no Ether. Immutable: no proxy (D182).
contract VirtualGoods is ERC721, ERC2981, Licensed, IERC4907 {
    struct Rental {
        address user;
        uint64 expires;
    }

    /// @dev A token's creator and licence in one storage slot: one write at mint, one read per transfer.
    struct Good {
        address creator;
        uint96 licenceId;
    }

    mapping(uint256 tokenId => Good) private _goods;
    mapping(uint256 tokenId => Rental) private _rentals;
    uint256 private _nextTokenId = 1;

    event GoodMinted(uint256 indexed tokenId, address indexed creator, uint96 indexed licenceId, uint96 royaltyBps);

    error NotOwnerNorApproved(uint256 tokenId, address caller);

    constructor(address admin, address minter, address licensor)
        ERC721("Verity Virtual Goods", "VGOOD")
        Licensed(admin, minter, licensor)
    {}

    /// @notice A token's licence id, licence terms and creator.
    function licenceOf(uint256 tokenId) external view returns (uint96 licenceId, Licence memory terms, address creator) {
        _requireOwned(tokenId);
        Good memory g = _goods[tokenId];
        return (g.licenceId, _licences[g.licenceId], g.creator);
    }

    // ---- minting ----

    /// @notice Mints the next token to `to`, created by `creator`, under a defined licence, with the
    /// creator as royalty receiver at `royaltyBps`. Returns the token id.
    function mint(address to, address creator, uint96 licenceId, uint96 royaltyBps)
        external
        onlyRole(MINTER_ROLE)
        returns (uint256 tokenId)
    {
        return _mintGood(to, creator, licenceId, royaltyBps, bytes32(0));
    }

    /// @notice `mint`, the token referring to its creation's signed provenance manifest by digest
    /// (the SHA-256 of the manifest's compact JWS, never zero; `provenanceOf`).
    function mintWithProvenance(address to, address creator, uint96 licenceId, uint96 royaltyBps, bytes32 manifestDigest)
        external
        onlyRole(MINTER_ROLE)
        returns (uint256 tokenId)
    {
        if (manifestDigest == bytes32(0)) revert ZeroProvenance();
        return _mintGood(to, creator, licenceId, royaltyBps, manifestDigest);
    }

    function _mintGood(address to, address creator, uint96 licenceId, uint96 royaltyBps, bytes32 manifestDigest)
        private
        returns (uint256 tokenId)
    {
        if (creator == address(0)) revert ZeroAddress();
        if (!_licences[licenceId].defined) revert LicenceUnknown(licenceId);
        if (royaltyBps > MAX_ROYALTY_BPS) revert RoyaltyTooHigh(royaltyBps);
        tokenId = _nextTokenId++;
        // State first, then the mint (which checks the licence in _update); no receiver callback.
        _goods[tokenId] = Good(creator, licenceId);
        _setTokenRoyalty(tokenId, creator, royaltyBps);
        if (manifestDigest != bytes32(0)) _setProvenance(tokenId, manifestDigest);
        _mint(to, tokenId);
        emit GoodMinted(tokenId, creator, licenceId, royaltyBps);
        if (manifestDigest != bytes32(0)) emit ProvenanceSet(tokenId, manifestDigest);
    }

    // ---- the licence check on every change of owner ----

    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        // OpenZeppelin's checks first (owner, approval), so an unauthorized caller learns only that.
        from = super._update(to, tokenId, auth);
        if (to != address(0)) {
            Good memory g = _goods[tokenId];
            Licence storage terms = _licences[g.licenceId];
            if (from != address(0) && !terms.resale && from != g.creator && to != g.creator) {
                revert LicenceForbidsResale(tokenId, from, to);
            }
            if (!terms.commercialUse && _commercial[to]) revert LicenceForbidsCommercialUse(tokenId, to);
        }
        // A new owner takes the token without its previous rental (as ERC-4907's reference does).
        if (from != to && _rentals[tokenId].user != address(0)) {
            delete _rentals[tokenId];
            emit UpdateUser(tokenId, address(0), 0);
        }
    }

    // ---- ERC-4907 rental ----

    /// @inheritdoc IERC4907
    function setUser(uint256 tokenId, address user, uint64 expires) external {
        address owner = _requireOwned(tokenId);
        if (!_isAuthorized(owner, msg.sender, tokenId)) revert NotOwnerNorApproved(tokenId, msg.sender);
        if (user != address(0) && _commercial[user] && !_licences[_goods[tokenId].licenceId].commercialUse) {
            revert LicenceForbidsCommercialUse(tokenId, user);
        }
        _rentals[tokenId] = Rental(user, expires);
        emit UpdateUser(tokenId, user, expires);
    }

    /// @inheritdoc IERC4907
    function userOf(uint256 tokenId) external view returns (address) {
        Rental storage r = _rentals[tokenId];
        return uint256(r.expires) >= block.timestamp ? r.user : address(0);
    }

    /// @inheritdoc IERC4907
    function userExpires(uint256 tokenId) external view returns (uint256) {
        return _rentals[tokenId].expires;
    }

    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721, ERC2981, AccessControl)
        returns (bool)
    {
        return interfaceId == type(IERC4907).interfaceId || super.supportsInterface(interfaceId);
    }
}
