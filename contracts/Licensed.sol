// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Licences of virtual goods, shared by VirtualGoods (ERC-721) and VirtualEditions (ERC-1155)
/// @notice The licensor role defines licences once (commercial use, modification and resale flags
/// and the URI of the licence text, in the spirit of a16z's "Can't Be Evil" licences and VRM's
/// licence fields) and registers commercial accounts; the minter role creates goods under them.
/// Each contract keeps its own licences and checks them on every change of holder.
abstract contract Licensed is AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    bytes32 public constant LICENSOR_ROLE = keccak256("LICENSOR_ROLE");
    /// @notice The highest royalty accepted: 10% (in basis points).
    uint96 public constant MAX_ROYALTY_BPS = 1000;

    struct Licence {
        bool commercialUse;
        bool modification;
        bool resale;
        bool defined;
        string uri;
    }

    mapping(uint96 licenceId => Licence) internal _licences;
    mapping(address account => bool) internal _commercial;
    /// @dev A good's provenance: the SHA-256 of its creator's signed manifest (a compact JWS), set once at creation.
    mapping(uint256 tokenId => bytes32) internal _provenance;

    event LicenceDefined(uint96 indexed licenceId, bool commercialUse, bool modification, bool resale, string uri);
    event CommercialAccountSet(address indexed account, bool commercial);
    event ProvenanceSet(uint256 indexed tokenId, bytes32 manifestDigest);

    error LicenceUnknown(uint96 licenceId);
    error LicenceExists(uint96 licenceId);
    error LicenceForbidsResale(uint256 tokenId, address from, address to);
    error LicenceForbidsCommercialUse(uint256 tokenId, address account);
    error RoyaltyTooHigh(uint96 royaltyBps);
    error ZeroAddress();
    error ZeroProvenance();

    constructor(address admin, address minter, address licensor) {
        if (admin == address(0) || minter == address(0) || licensor == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, minter);
        _grantRole(LICENSOR_ROLE, licensor);
    }

    /// @notice Defines a licence once; its terms never change afterwards (goods refer to it by id).
    function defineLicence(uint96 licenceId, bool commercialUse, bool modification, bool resale, string calldata uri)
        external
        onlyRole(LICENSOR_ROLE)
    {
        if (_licences[licenceId].defined) revert LicenceExists(licenceId);
        _licences[licenceId] = Licence(commercialUse, modification, resale, true, uri);
        emit LicenceDefined(licenceId, commercialUse, modification, resale, uri);
    }

    /// @notice Registers (or unregisters) an account as commercial: it receives only goods licensed for commercial use.
    function setCommercial(address account, bool commercial) external onlyRole(LICENSOR_ROLE) {
        _commercial[account] = commercial;
        emit CommercialAccountSet(account, commercial);
    }

    function licence(uint96 licenceId) external view returns (Licence memory) {
        return _licences[licenceId];
    }

    function isCommercial(address account) external view returns (bool) {
        return _commercial[account];
    }

    /// @notice The SHA-256 of a good's signed provenance manifest (its compact JWS): what anyone
    /// holding the manifest checks it against, with the file's hash and the creator's DID inside it.
    /// Zero for a good created without one.
    function provenanceOf(uint256 tokenId) external view returns (bytes32) {
        return _provenance[tokenId];
    }

    /// @dev Records a new good's provenance (once, at its creation; never zero).
    function _setProvenance(uint256 tokenId, bytes32 manifestDigest) internal {
        if (manifestDigest == bytes32(0)) revert ZeroProvenance();
        _provenance[tokenId] = manifestDigest;
    }
}
