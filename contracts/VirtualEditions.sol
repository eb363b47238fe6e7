// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IERC5006} from "./IERC5006.sol";
import {Licensed} from "./Licensed.sol";

/// @title Virtual goods in editions: ERC-1155 items with ERC-2981 royalties, ERC-5006 rental and licence terms
/// @notice Each token id is an item (a potion, a skin in an edition of N) created once by the minter
/// with a creator, a licence and a maximum supply, then minted in amounts. Licences are the same as
/// VirtualGoods' (commercial use, modification and resale flags and the URI of the licence text, in
/// the spirit of a16z's "Can't Be Evil" licences and VRM's licence fields) and enforced where a
/// contract can, on every change of holder (transfer, batch transfer, approved operator, mint):
///  - no resale: only the creator hands units on; a holder may give them back to the creator only;
///  - no commercial use: units never reach an account the licensor registered as commercial, by
///    mint, transfer or rental.
/// Modification is stated, not enforced. Rental follows ERC-5006: the owner's units are held by
/// this contract while rented (frozen), the user may use them until the expiry; the user may end a
/// rental at any time, the owner (or its operator) only once it expired, when the units go back.
/// The contract holds and sends no Ether. Immutable: no proxy (D182).
contract VirtualEditions is ERC1155, ERC2981, Licensed, IERC5006 {
    using EnumerableSet for EnumerableSet.UintSet;

    /// @notice Most live rentals of one item to one user (usableBalanceOf reads them all).
    uint256 public constant MAX_USER_RECORDS = 10;

    /// @dev An item's creator and licence share one slot (one read per transfer); supply the next.
    struct Edition {
        address creator;
        uint96 licenceId;
        uint128 maxSupply;
        uint128 supply;
    }

    mapping(uint256 tokenId => Edition) private _editions;
    mapping(uint256 recordId => UserRecord) private _records;
    mapping(uint256 tokenId => mapping(address owner => uint256)) private _frozen;
    mapping(uint256 tokenId => mapping(address user => EnumerableSet.UintSet)) private _userRecords;
    uint256 private _nextTokenId = 1;
    uint256 private _nextRecordId = 1;

    event EditionCreated(
        uint256 indexed tokenId, address indexed creator, uint96 indexed licenceId, uint96 royaltyBps, uint128 maxSupply
    );

    error EditionUnknown(uint256 tokenId);
    error SupplyExceeded(uint256 tokenId, uint256 maxSupply);
    error InvalidMaxSupply();
    error InvalidRental();
    error TooManyRecords(uint256 tokenId, address user);
    error RecordUnknown(uint256 recordId);
    error RentalNotOver(uint256 recordId, uint64 expiry);
    error NotOwnerNorApproved(address owner, address caller);

    constructor(address admin, address minter, address licensor, string memory metadataUri)
        ERC1155(metadataUri)
        Licensed(admin, minter, licensor)
    {}

    /// @notice An item's creator, licence, maximum supply and units minted so far.
    function edition(uint256 tokenId) external view returns (Edition memory) {
        return _editions[tokenId];
    }

    /// @notice An item's licence id, licence terms and creator.
    function licenceOf(uint256 tokenId) external view returns (uint96 licenceId, Licence memory terms, address creator) {
        Edition storage e = _requireEdition(tokenId);
        return (e.licenceId, _licences[e.licenceId], e.creator);
    }

    // ---- items and minting ----

    /// @notice Creates the next item, by `creator` (its royalty receiver at `royaltyBps`), under a
    /// defined licence, of at most `maxSupply` units (1: a unique good; more: an edition or a
    /// fungible item). Returns its token id.
    function createEdition(address creator, uint96 licenceId, uint96 royaltyBps, uint128 maxSupply)
        external
        onlyRole(MINTER_ROLE)
        returns (uint256 tokenId)
    {
        return _createEdition(creator, licenceId, royaltyBps, maxSupply, bytes32(0));
    }

    /// @notice `createEdition`, the item referring to its creation's signed provenance manifest by
    /// digest (the SHA-256 of the manifest's compact JWS, never zero; `provenanceOf`).
    function createEditionWithProvenance(
        address creator,
        uint96 licenceId,
        uint96 royaltyBps,
        uint128 maxSupply,
        bytes32 manifestDigest
    ) external onlyRole(MINTER_ROLE) returns (uint256 tokenId) {
        if (manifestDigest == bytes32(0)) revert ZeroProvenance();
        return _createEdition(creator, licenceId, royaltyBps, maxSupply, manifestDigest);
    }

    function _createEdition(
        address creator,
        uint96 licenceId,
        uint96 royaltyBps,
        uint128 maxSupply,
        bytes32 manifestDigest
    ) private returns (uint256 tokenId) {
        if (creator == address(0)) revert ZeroAddress();
        if (!_licences[licenceId].defined) revert LicenceUnknown(licenceId);
        if (royaltyBps > MAX_ROYALTY_BPS) revert RoyaltyTooHigh(royaltyBps);
        if (maxSupply == 0) revert InvalidMaxSupply();
        tokenId = _nextTokenId++;
        _editions[tokenId] = Edition(creator, licenceId, maxSupply, 0);
        _setTokenRoyalty(tokenId, creator, royaltyBps);
        emit EditionCreated(tokenId, creator, licenceId, royaltyBps, maxSupply);
        if (manifestDigest != bytes32(0)) {
            _setProvenance(tokenId, manifestDigest);
            emit ProvenanceSet(tokenId, manifestDigest);
        }
    }

    /// @notice Mints `amount` units of an item to `to` (a contract receiver is asked, ERC-1155).
    function mint(address to, uint256 tokenId, uint256 amount, bytes calldata data) external onlyRole(MINTER_ROLE) {
        _count(tokenId, amount);
        // Supply counted first, then the mint (licence checked in _update, then the receiver's hook).
        _mint(to, tokenId, amount, data);
    }

    /// @notice Mints several items at once to `to`.
    function mintBatch(address to, uint256[] calldata tokenIds, uint256[] calldata amounts, bytes calldata data)
        external
        onlyRole(MINTER_ROLE)
    {
        if (tokenIds.length != amounts.length) revert ERC1155InvalidArrayLength(tokenIds.length, amounts.length);
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            _count(tokenIds[i], amounts[i]);
        }
        _mintBatch(to, tokenIds, amounts, data);
    }

    function _count(uint256 tokenId, uint256 amount) private {
        Edition storage e = _requireEdition(tokenId);
        uint256 supply = e.supply + amount;
        if (supply > e.maxSupply) revert SupplyExceeded(tokenId, e.maxSupply);
        e.supply = uint128(supply);
    }

    function _requireEdition(uint256 tokenId) private view returns (Edition storage e) {
        e = _editions[tokenId];
        if (e.creator == address(0)) revert EditionUnknown(tokenId);
    }

    // ---- the licence check on every change of holder ----

    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        // OpenZeppelin's checks first (balances; approval was checked before), so an unauthorized
        // caller learns only that.
        super._update(from, to, ids, values);
        // Units going into or out of a rental (held here) are not a sale; no burn path exists.
        if (to == address(0) || to == address(this) || from == address(this)) return;
        uint256 commercial = 0; // 0 not read yet, 1 no, 2 yes: read once, only when a licence needs it
        for (uint256 i = 0; i < ids.length; ++i) {
            Edition storage e = _editions[ids[i]];
            address creator = e.creator;
            Licence storage terms = _licences[e.licenceId];
            if (from != address(0) && !terms.resale && from != creator && to != creator) {
                revert LicenceForbidsResale(ids[i], from, to);
            }
            if (!terms.commercialUse) {
                if (commercial == 0) commercial = _commercial[to] ? 2 : 1;
                if (commercial == 2) revert LicenceForbidsCommercialUse(ids[i], to);
            }
        }
    }

    // ---- ERC-5006 rental ----

    /// @inheritdoc IERC5006
    function createUserRecord(address owner, address user, uint256 tokenId, uint64 amount, uint64 expiry)
        external
        returns (uint256 recordId)
    {
        if (owner != msg.sender && !isApprovedForAll(owner, msg.sender)) revert NotOwnerNorApproved(owner, msg.sender);
        if (user == address(0) || user == owner || amount == 0 || expiry <= block.timestamp) revert InvalidRental();
        Edition storage e = _requireEdition(tokenId);
        if (_commercial[user] && !_licences[e.licenceId].commercialUse) revert LicenceForbidsCommercialUse(tokenId, user);
        EnumerableSet.UintSet storage mine = _userRecords[tokenId][user];
        if (mine.length() >= MAX_USER_RECORDS) revert TooManyRecords(tokenId, user);
        recordId = _nextRecordId++;
        _records[recordId] = UserRecord(tokenId, owner, amount, user, expiry);
        _frozen[tokenId][owner] += amount;
        mine.add(recordId);
        emit CreateUserRecord(recordId, tokenId, amount, owner, user, expiry);
        // The units are held here while rented (no receiver hook: this contract is the receiver).
        _update(owner, address(this), _single(tokenId), _single(amount));
    }

    /// @inheritdoc IERC5006
    /// @dev The user may end a rental at any time; the owner or its operator once it expired.
    function deleteUserRecord(uint256 recordId) external {
        UserRecord memory r = _records[recordId];
        if (r.owner == address(0)) revert RecordUnknown(recordId);
        if (msg.sender != r.user) {
            if (r.owner != msg.sender && !isApprovedForAll(r.owner, msg.sender)) {
                revert NotOwnerNorApproved(r.owner, msg.sender);
            }
            if (block.timestamp < r.expiry) revert RentalNotOver(recordId, r.expiry);
        }
        delete _records[recordId];
        _frozen[r.tokenId][r.owner] -= r.amount;
        _userRecords[r.tokenId][r.user].remove(recordId);
        emit DeleteUserRecord(recordId);
        _update(address(this), r.owner, _single(r.tokenId), _single(r.amount));
    }

    /// @inheritdoc IERC5006
    function usableBalanceOf(address account, uint256 tokenId) external view returns (uint256 amount) {
        EnumerableSet.UintSet storage mine = _userRecords[tokenId][account];
        uint256 n = mine.length();
        for (uint256 i = 0; i < n; ++i) {
            UserRecord storage r = _records[mine.at(i)];
            if (r.expiry > block.timestamp) amount += r.amount;
        }
    }

    /// @inheritdoc IERC5006
    function frozenBalanceOf(address account, uint256 tokenId) external view returns (uint256) {
        return _frozen[tokenId][account];
    }

    /// @inheritdoc IERC5006
    function userRecordOf(uint256 recordId) external view returns (UserRecord memory) {
        return _records[recordId];
    }

    function _single(uint256 x) private pure returns (uint256[] memory a) {
        a = new uint256[](1);
        a[0] = x;
    }

    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC1155, ERC2981, AccessControl)
        returns (bool)
    {
        return interfaceId == type(IERC5006).interfaceId || super.supportsInterface(interfaceId);
    }
}
