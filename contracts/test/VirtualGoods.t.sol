// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {IERC4907} from "../IERC4907.sol";
import {VirtualGoods} from "../VirtualGoods.sol";
import {Licensed} from "../Licensed.sol";
import {Test} from "./Vm.sol";

/// A receiver that, while being handed a token, tries to pass it on to a commercial account, to mint,
/// and to rent it out: every attempt must meet the same checks as a direct call.
contract ReentrantReceiver is IERC721Receiver {
    VirtualGoods internal immutable goods;
    address internal immutable commercial;
    bool public transferRefused;
    bool public mintRefused;

    constructor(VirtualGoods g, address c) {
        goods = g;
        commercial = c;
    }

    function onERC721Received(address, address, uint256 tokenId, bytes calldata) external returns (bytes4) {
        try goods.transferFrom(address(this), commercial, tokenId) {}
        catch {
            transferRefused = true;
        }
        try goods.mint(address(this), address(this), 1, 0) {}
        catch {
            mintRefused = true;
        }
        return IERC721Receiver.onERC721Received.selector;
    }
}

contract VirtualGoodsTest is Test {
    VirtualGoods internal goods;
    address internal constant ADMIN = address(0xA11CE);
    address internal constant MINTER = address(0x111);
    address internal constant LICENSOR = address(0x11C);
    address internal constant CREATOR = address(0xC8EA);
    address internal constant ALICE = address(0xA1);
    address internal constant BOB = address(0xB0);
    address internal constant SHOP = address(0x5409);
    uint96 internal constant PERSONAL_NO_RESALE = 1; // no commercial use, no resale
    uint96 internal constant PERSONAL = 2; // no commercial use, resale allowed
    uint96 internal constant COMMERCIAL = 3; // everything allowed

    function setUp() public {
        goods = new VirtualGoods(ADMIN, MINTER, LICENSOR);
        vm.startPrank(LICENSOR);
        goods.defineLicence(PERSONAL_NO_RESALE, false, false, false, "ar://cbe-personal-no-hate");
        goods.defineLicence(PERSONAL, false, true, true, "ar://cbe-personal");
        goods.defineLicence(COMMERCIAL, true, true, true, "ar://cbe-commercial");
        goods.setCommercial(SHOP, true);
        vm.stopPrank();
        vm.warp(1_800_000_000);
    }

    function mintTo(address to, uint96 licenceId) internal returns (uint256) {
        vm.prank(MINTER);
        return goods.mint(to, CREATOR, licenceId, 500);
    }

    function testMintCarriesLicenceAndRoyalty() public {
        uint256 id = mintTo(ALICE, PERSONAL);
        assertEqA(goods.ownerOf(id), ALICE, "owner");
        (uint96 licenceId, Licensed.Licence memory terms, address creator) = goods.licenceOf(id);
        assertEqU(licenceId, PERSONAL, "licence id");
        assertTrue(terms.resale && terms.modification && !terms.commercialUse, "flags");
        assertEqA(creator, CREATOR, "creator");
        (address receiver, uint256 amount) = goods.royaltyInfo(id, 10_000);
        assertEqA(receiver, CREATOR, "royalty receiver");
        assertEqU(amount, 500, "royalty 5%");
        assertTrue(goods.supportsInterface(type(IERC721).interfaceId), "erc721");
        assertTrue(goods.supportsInterface(type(IERC2981).interfaceId), "erc2981");
        assertTrue(goods.supportsInterface(type(IERC4907).interfaceId), "erc4907");
    }

    function testFuzzMintWithProvenance(bytes32 digest, address caller) public {
        vm.assume(digest != bytes32(0) && caller != MINTER);
        vm.prank(MINTER);
        uint256 id = goods.mintWithProvenance(ALICE, CREATOR, PERSONAL, 500, digest);
        assertEqB(goods.provenanceOf(id), digest, "the token refers to its manifest");
        assertEqA(goods.ownerOf(id), ALICE, "owner");
        assertEqB(goods.provenanceOf(mintTo(ALICE, PERSONAL)), bytes32(0), "a good minted without one has none");
        vm.prank(MINTER);
        vm.expectRevert(Licensed.ZeroProvenance.selector);
        goods.mintWithProvenance(ALICE, CREATOR, PERSONAL, 500, bytes32(0));
        bytes32 role = goods.MINTER_ROLE();
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
        goods.mintWithProvenance(ALICE, CREATOR, PERSONAL, 500, digest);
    }

    function testFuzzOnlyMinterMints(address caller) public {
        vm.assume(caller != MINTER);
        bytes32 role = goods.MINTER_ROLE();
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
        goods.mint(ALICE, CREATOR, PERSONAL, 0);
    }

    function testFuzzOnlyLicensorDefinesAndClassifies(address caller) public {
        vm.assume(caller != LICENSOR);
        bytes memory denied =
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, goods.LICENSOR_ROLE());
        vm.prank(caller);
        vm.expectRevert(denied);
        goods.defineLicence(9, true, true, true, "x");
        vm.prank(caller);
        vm.expectRevert(denied);
        goods.setCommercial(caller, false);
    }

    function testLicenceTermsAreFixed() public {
        vm.prank(LICENSOR);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceExists.selector, PERSONAL));
        goods.defineLicence(PERSONAL, true, true, true, "ar://other");
        vm.prank(MINTER);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceUnknown.selector, 77));
        goods.mint(ALICE, CREATOR, 77, 0);
        vm.prank(MINTER);
        vm.expectRevert(abi.encodeWithSelector(Licensed.RoyaltyTooHigh.selector, 1001));
        goods.mint(ALICE, CREATOR, PERSONAL, 1001);
    }

    /// Without resale, the creator hands the token on once; the holder can only give it back.
    function testNoResale() public {
        uint256 id = mintTo(CREATOR, PERSONAL_NO_RESALE);
        vm.prank(CREATOR);
        goods.transferFrom(CREATOR, ALICE, id);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsResale.selector, id, ALICE, BOB));
        goods.transferFrom(ALICE, BOB, id);
        // Approval does not get around it either.
        vm.prank(ALICE);
        goods.approve(BOB, id);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsResale.selector, id, ALICE, BOB));
        goods.transferFrom(ALICE, BOB, id);
        vm.prank(ALICE);
        goods.transferFrom(ALICE, CREATOR, id);
        assertEqA(goods.ownerOf(id), CREATOR, "returned to the creator");
    }

    /// Any holder of a resale-licensed token may pass it to any non-commercial account.
    function testFuzzResaleAllowed(address to) public {
        vm.assume(to != address(0) && to != SHOP && to.code.length == 0);
        uint256 id = mintTo(ALICE, PERSONAL);
        vm.prank(ALICE);
        goods.transferFrom(ALICE, to, id);
        assertEqA(goods.ownerOf(id), to, "moved");
    }

    /// A commercial account never receives, by mint, transfer or rental, a good not licensed for it.
    function testCommercialUseRefused() public {
        vm.prank(MINTER);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsCommercialUse.selector, 1, SHOP));
        goods.mint(SHOP, CREATOR, PERSONAL, 0);
        uint256 id = mintTo(ALICE, PERSONAL);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsCommercialUse.selector, id, SHOP));
        goods.transferFrom(ALICE, SHOP, id);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsCommercialUse.selector, id, SHOP));
        goods.setUser(id, SHOP, uint64(block.timestamp + 1 days));
        uint256 licensed = mintTo(ALICE, COMMERCIAL);
        vm.startPrank(ALICE);
        goods.setUser(licensed, SHOP, uint64(block.timestamp + 1 days));
        goods.transferFrom(ALICE, SHOP, licensed);
        vm.stopPrank();
        assertEqA(goods.ownerOf(licensed), SHOP, "commercial licence");
    }

    function testRentalExpiresAndEndsOnTransfer() public {
        uint256 id = mintTo(ALICE, PERSONAL);
        vm.prank(ALICE);
        goods.setUser(id, BOB, uint64(block.timestamp + 1 hours));
        assertEqA(goods.userOf(id), BOB, "rented");
        vm.warp(block.timestamp + 2 hours);
        assertEqA(goods.userOf(id), address(0), "expired");
        vm.prank(ALICE);
        goods.setUser(id, BOB, uint64(block.timestamp + 1 hours));
        vm.prank(ALICE);
        goods.transferFrom(ALICE, CREATOR, id);
        assertEqA(goods.userOf(id), address(0), "a new owner takes it unrented");
        assertEqU(goods.userExpires(id), 0, "no expiry left");
    }

    function testFuzzOnlyOwnerOrApprovedRents(address caller) public {
        vm.assume(caller != ALICE);
        uint256 id = mintTo(ALICE, PERSONAL);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(VirtualGoods.NotOwnerNorApproved.selector, id, caller));
        goods.setUser(id, caller, uint64(block.timestamp + 1 days));
    }

    /// Reentrancy: a receiver acting from inside onERC721Received meets the same checks.
    function testReentrantReceiver() public {
        ReentrantReceiver receiver = new ReentrantReceiver(goods, SHOP);
        uint256 id = mintTo(ALICE, PERSONAL);
        vm.prank(ALICE);
        goods.safeTransferFrom(ALICE, address(receiver), id);
        assertEqA(goods.ownerOf(id), address(receiver), "kept by the receiver");
        assertTrue(receiver.transferRefused(), "the transfer to a commercial account was refused");
        assertTrue(receiver.mintRefused(), "the receiver could not mint");
        assertEqU(goods.balanceOf(SHOP), 0, "nothing reached the shop");
    }
}
