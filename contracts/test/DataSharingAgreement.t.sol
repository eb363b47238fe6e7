// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {DataSharingAgreement} from "../DataSharingAgreement.sol";
import {Test} from "./Vm.sol";

/// An ERC-1271 wallet that approves any digest, but once armed tries to revoke an agreement it is a
/// party to from inside the signature check. It is asked with a staticcall, so the attempt must fail.
contract ReentrantWallet {
    DataSharingAgreement internal immutable dsa;
    bytes32 public target;

    constructor(DataSharingAgreement d) {
        dsa = d;
    }

    function arm(bytes32 id) external {
        target = id;
    }

    function isValidSignature(bytes32, bytes memory) external returns (bytes4) {
        if (target != bytes32(0)) {
            // A raw call on purpose: the wallet must not revert when the contract refuses its reentry.
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok,) = address(dsa).call(abi.encodeWithSelector(DataSharingAgreement.revoke.selector, target));
            if (!ok) return 0xffffffff;
        }
        return IERC1271.isValidSignature.selector;
    }
}

/// An ERC-1271 wallet that writes state when asked: its check fails under a staticcall.
/// (Neither declares IERC1271, whose function is `view`: these two write on purpose.)
contract WritingWallet {
    uint256 public calls;

    function isValidSignature(bytes32, bytes memory) external returns (bytes4) {
        calls += 1;
        return IERC1271.isValidSignature.selector;
    }
}

contract DataSharingAgreementTest is Test {
    DataSharingAgreement internal dsa;
    uint256 internal constant SUBJECT_KEY = 0x5ab1;
    uint256 internal constant RECIPIENT_KEY = 0x7ec1;
    address internal subject;
    address internal recipient;
    bytes32 internal constant PURPOSE = keccak256("analytics");
    bytes32 internal constant CATEGORY = keccak256("gameplay");

    function setUp() public {
        dsa = new DataSharingAgreement();
        subject = vm.addr(SUBJECT_KEY);
        recipient = vm.addr(RECIPIENT_KEY);
        vm.warp(1_800_000_000);
    }

    function terms(bytes32 salt) internal view returns (DataSharingAgreement.Terms memory t) {
        bytes32[] memory purposes = new bytes32[](1);
        purposes[0] = PURPOSE;
        bytes32[] memory categories = new bytes32[](2);
        categories[0] = CATEGORY;
        categories[1] = keccak256("telemetry");
        t = DataSharingAgreement.Terms(
            subject, recipient, purposes, categories, uint64(block.timestamp + 1 days), keccak256("conditions"), salt
        );
    }

    function sig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function createSigned(DataSharingAgreement.Terms memory t) internal returns (bytes32) {
        bytes32 digest = dsa.hashTerms(t);
        return dsa.create(t, sig(SUBJECT_KEY, digest), sig(RECIPIENT_KEY, digest));
    }

    function testCreateReadRevoke() public {
        bytes32 id = createSigned(terms("s1"));
        assertTrue(dsa.isActive(id), "active");
        assertTrue(dsa.permits(id, PURPOSE, CATEGORY), "permits");
        assertTrue(!dsa.permits(id, keccak256("marketing"), CATEGORY), "other purpose");
        assertTrue(!dsa.permits(id, PURPOSE, keccak256("biometrics")), "other category");
        vm.prank(recipient);
        dsa.revoke(id);
        assertTrue(!dsa.isActive(id), "revoked");
        assertTrue(!dsa.permits(id, PURPOSE, CATEGORY), "revoked permits nothing");
        vm.prank(subject);
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.AlreadyRevoked.selector, id));
        dsa.revoke(id);
    }

    function testExpires() public {
        bytes32 id = createSigned(terms("s2"));
        vm.warp(block.timestamp + 1 days);
        assertTrue(!dsa.isActive(id), "expired");
    }

    function testOneSignedTextGivesOneAgreement() public {
        DataSharingAgreement.Terms memory t = terms("s3");
        bytes32 id = createSigned(t);
        bytes32 digest = dsa.hashTerms(t);
        bytes memory a = sig(SUBJECT_KEY, digest);
        bytes memory b = sig(RECIPIENT_KEY, digest);
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.AgreementExists.selector, id));
        dsa.create(t, a, b);
    }

    /// A signature by anyone other than the named party is refused, for either party.
    function testFuzzForgedSignatureRefused(uint256 forgerKey) public {
        vm.assume(forgerKey != 0 && forgerKey < 115792089237316195423570985008687907852837564279074904382605163141518161494337);
        vm.assume(forgerKey != SUBJECT_KEY && forgerKey != RECIPIENT_KEY);
        DataSharingAgreement.Terms memory t = terms("s4");
        bytes32 digest = dsa.hashTerms(t);
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.InvalidSignature.selector, subject));
        dsa.create(t, sig(forgerKey, digest), sig(RECIPIENT_KEY, digest));
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.InvalidSignature.selector, recipient));
        dsa.create(t, sig(SUBJECT_KEY, digest), sig(forgerKey, digest));
    }

    /// A signature over other terms does not create these terms (changed expiry).
    function testSignatureBoundToTerms() public {
        DataSharingAgreement.Terms memory t = terms("s5");
        bytes32 digest = dsa.hashTerms(t);
        bytes memory a = sig(SUBJECT_KEY, digest);
        bytes memory b = sig(RECIPIENT_KEY, digest);
        t.expiry += 365 days;
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.InvalidSignature.selector, subject));
        dsa.create(t, a, b);
    }

    /// Only a party revokes.
    function testFuzzOnlyPartiesRevoke(address caller) public {
        vm.assume(caller != subject && caller != recipient);
        bytes32 id = createSigned(terms("s6"));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.NotAParty.selector, id, caller));
        dsa.revoke(id);
        assertTrue(dsa.isActive(id), "still active");
    }

    function testRefusesBadTerms() public {
        DataSharingAgreement.Terms memory t = terms("s7");
        t.recipient = t.subject;
        vm.expectRevert(DataSharingAgreement.InvalidParties.selector);
        dsa.create(t, "", "");
        t = terms("s8");
        t.purposes = new bytes32[](0);
        vm.expectRevert(DataSharingAgreement.InvalidItems.selector);
        dsa.create(t, "", "");
        t = terms("s9");
        t.categories = new bytes32[](17);
        vm.expectRevert(DataSharingAgreement.InvalidItems.selector);
        dsa.create(t, "", "");
        t = terms("s10");
        t.expiry = uint64(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.AlreadyExpired.selector, t.expiry));
        dsa.create(t, "", "");
    }

    /// Reentrancy: a contract wallet's signature check cannot change state (a staticcall).
    function testContractWalletCannotReenter() public {
        ReentrantWallet wallet = new ReentrantWallet(dsa);
        DataSharingAgreement.Terms memory t = terms("s11");
        t.subject = address(wallet);
        bytes32 digest = dsa.hashTerms(t);
        bytes32 first = dsa.create(t, hex"00", sig(RECIPIENT_KEY, digest));
        assertTrue(dsa.isActive(first), "a contract wallet may sign");
        wallet.arm(first);
        t = terms("s11b");
        t.subject = address(wallet);
        digest = dsa.hashTerms(t);
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.InvalidSignature.selector, address(wallet)));
        dsa.create(t, hex"00", sig(RECIPIENT_KEY, digest));
        assertTrue(dsa.isActive(first), "the reentrant revocation did not happen");
        WritingWallet writer = new WritingWallet();
        t = terms("s12");
        t.subject = address(writer);
        digest = dsa.hashTerms(t);
        vm.expectRevert(abi.encodeWithSelector(DataSharingAgreement.InvalidSignature.selector, address(writer)));
        dsa.create(t, hex"00", sig(RECIPIENT_KEY, digest));
        assertEqU(writer.calls(), 0, "no write happened");
    }
}
