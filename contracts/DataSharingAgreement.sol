// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title Data-sharing agreements between a data subject (or a platform) and a recipient
/// @notice An agreement states purposes and data categories (as 32-byte identifiers: hashes of
/// Verity's purpose and category names, never personal data), an expiry and the hash of its
/// conditions document. It exists once both parties signed the same EIP-712 `Agreement` (an
/// account's ECDSA signature or an ERC-1271 contract wallet's answer); either party revokes it.
/// Its identifier is the EIP-712 digest both signed, so one signed text gives one agreement.
/// Immutable: no proxy, no owner, no administrator (D182).
contract DataSharingAgreement is EIP712 {
    bytes32 public constant AGREEMENT_TYPEHASH = keccak256(
        "Agreement(address subject,address recipient,bytes32[] purposes,bytes32[] categories,uint64 expiry,bytes32 conditionsHash,bytes32 salt)"
    );
    /// @notice At most this many purposes, and this many categories, per agreement.
    uint256 public constant MAX_ITEMS = 16;

    // The EIP-712 type both parties sign: its field order is the signed type's, not a storage layout.
    // solhint-disable-next-line gas-struct-packing
    struct Terms {
        address subject;
        address recipient;
        bytes32[] purposes;
        bytes32[] categories;
        uint64 expiry;
        bytes32 conditionsHash;
        bytes32 salt;
    }

    struct Agreement {
        address subject;
        uint64 expiry;
        address recipient;
        uint64 revokedAt;
        bytes32 conditionsHash;
    }

    mapping(bytes32 id => Agreement) private _agreements;
    mapping(bytes32 id => mapping(bytes32 purpose => bool)) private _purposes;
    mapping(bytes32 id => mapping(bytes32 category => bool)) private _categories;

    event AgreementCreated(
        bytes32 indexed id,
        address indexed subject,
        address indexed recipient,
        uint64 expiry,
        bytes32 conditionsHash,
        bytes32[] purposes,
        bytes32[] categories
    );
    event AgreementRevoked(bytes32 indexed id, address indexed by);

    error InvalidParties();
    error InvalidItems();
    error AlreadyExpired(uint64 expiry);
    error AgreementExists(bytes32 id);
    error UnknownAgreement(bytes32 id);
    error InvalidSignature(address signer);
    error NotAParty(bytes32 id, address caller);
    error AlreadyRevoked(bytes32 id);

    constructor() EIP712("Verity DataSharingAgreement", "1") {}

    /// @notice The EIP-712 digest both parties sign; also the agreement's identifier.
    function hashTerms(Terms calldata t) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    AGREEMENT_TYPEHASH,
                    t.subject,
                    t.recipient,
                    keccak256(abi.encodePacked(t.purposes)),
                    keccak256(abi.encodePacked(t.categories)),
                    t.expiry,
                    t.conditionsHash,
                    t.salt
                )
            )
        );
    }

    /// @notice Records an agreement signed by both parties; anyone may submit it.
    function create(Terms calldata t, bytes calldata subjectSignature, bytes calldata recipientSignature)
        external
        returns (bytes32 id)
    {
        if (t.subject == address(0) || t.recipient == address(0) || t.subject == t.recipient) {
            revert InvalidParties();
        }
        uint256 np = t.purposes.length;
        uint256 nc = t.categories.length;
        if (np == 0 || nc == 0 || np > MAX_ITEMS || nc > MAX_ITEMS) revert InvalidItems();
        if (t.expiry <= block.timestamp) revert AlreadyExpired(t.expiry);
        id = hashTerms(t);
        if (_agreements[id].subject != address(0)) revert AgreementExists(id);
        // ERC-1271 wallets are asked with a staticcall: no state change can happen inside the check.
        if (!SignatureChecker.isValidSignatureNow(t.subject, id, subjectSignature)) {
            revert InvalidSignature(t.subject);
        }
        if (!SignatureChecker.isValidSignatureNow(t.recipient, id, recipientSignature)) {
            revert InvalidSignature(t.recipient);
        }
        _agreements[id] = Agreement(t.subject, t.expiry, t.recipient, 0, t.conditionsHash);
        for (uint256 i = 0; i < np; ++i) {
            _purposes[id][t.purposes[i]] = true;
        }
        for (uint256 i = 0; i < nc; ++i) {
            _categories[id][t.categories[i]] = true;
        }
        emit AgreementCreated(id, t.subject, t.recipient, t.expiry, t.conditionsHash, t.purposes, t.categories);
    }

    /// @notice Revokes an agreement; only its subject or its recipient may.
    function revoke(bytes32 id) external {
        Agreement storage a = _agreements[id];
        if (a.subject == address(0)) revert UnknownAgreement(id);
        if (msg.sender != a.subject && msg.sender != a.recipient) revert NotAParty(id, msg.sender);
        if (a.revokedAt != 0) revert AlreadyRevoked(id);
        a.revokedAt = uint64(block.timestamp);
        emit AgreementRevoked(id, msg.sender);
    }

    /// @notice The stored agreement; a zero subject when it does not exist.
    function agreement(bytes32 id) external view returns (Agreement memory) {
        return _agreements[id];
    }

    /// @notice Whether the agreement exists, is not revoked and has not expired.
    function isActive(bytes32 id) public view returns (bool) {
        Agreement storage a = _agreements[id];
        return a.subject != address(0) && a.revokedAt == 0 && block.timestamp < a.expiry;
    }

    /// @notice Whether an active agreement covers this purpose and this data category.
    function permits(bytes32 id, bytes32 purpose, bytes32 category) external view returns (bool) {
        return isActive(id) && _purposes[id][purpose] && _categories[id][category];
    }
}
