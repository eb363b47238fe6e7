// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {IERC5006} from "../IERC5006.sol";
import {VirtualEditions} from "../VirtualEditions.sol";
import {Licensed} from "../Licensed.sol";
import {Test} from "./Vm.sol";

/// A receiver that, while being handed units, tries to pass them to a commercial account, to mint
/// more, and to rent them to a commercial account: every attempt must meet the same checks.
contract ReentrantEditionsReceiver is IERC1155Receiver {
    VirtualEditions internal immutable editions;
    address internal immutable commercial;
    uint256 public refusals;

    constructor(VirtualEditions e, address c) {
        editions = e;
        commercial = c;
    }

    function onERC1155Received(address, address, uint256 id, uint256 amount, bytes calldata)
        external
        returns (bytes4)
    {
        try editions.safeTransferFrom(address(this), commercial, id, amount, "") {} catch {
            refusals += 1;
        }
        try editions.mint(address(this), id, 1, "") {} catch {
            refusals += 1;
        }
        try editions.createUserRecord(address(this), commercial, id, 1, uint64(block.timestamp + 1 days)) {} catch {
            refusals += 1;
        }
        return IERC1155Receiver.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return IERC1155Receiver.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId;
    }
}

abstract contract EditionsFixture is Test {
    VirtualEditions internal editions;
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

    function deployEditions() internal {
        editions = new VirtualEditions(ADMIN, MINTER, LICENSOR, "ar://items/{id}.json");
        vm.startPrank(LICENSOR);
        editions.defineLicence(PERSONAL_NO_RESALE, false, false, false, "ar://cbe-personal-no-hate");
        editions.defineLicence(PERSONAL, false, true, true, "ar://cbe-personal");
        editions.defineLicence(COMMERCIAL, true, true, true, "ar://cbe-commercial");
        editions.setCommercial(SHOP, true);
        vm.stopPrank();
        vm.warp(1_800_000_000);
    }

    function item(uint96 licenceId, uint128 maxSupply) internal returns (uint256 id) {
        vm.prank(MINTER);
        id = editions.createEdition(CREATOR, licenceId, 500, maxSupply);
    }

    function mintTo(address to, uint256 id, uint256 amount) internal {
        vm.prank(MINTER);
        editions.mint(to, id, amount, "");
    }
}

contract VirtualEditionsTest is EditionsFixture {
    function setUp() public {
        deployEditions();
    }

    function testEditionCarriesLicenceRoyaltyAndInterfaces() public {
        uint256 id = item(PERSONAL, 100);
        mintTo(ALICE, id, 40);
        assertEqU(editions.balanceOf(ALICE, id), 40, "balance");
        (uint96 licenceId, Licensed.Licence memory terms, address creator) = editions.licenceOf(id);
        assertEqU(licenceId, PERSONAL, "licence id");
        assertTrue(terms.resale && terms.modification && !terms.commercialUse, "flags");
        assertEqA(creator, CREATOR, "creator");
        VirtualEditions.Edition memory e = editions.edition(id);
        assertEqU(e.maxSupply, 100, "max supply");
        assertEqU(e.supply, 40, "supply");
        (address receiver, uint256 amount) = editions.royaltyInfo(id, 10_000);
        assertEqA(receiver, CREATOR, "royalty receiver");
        assertEqU(amount, 500, "royalty 5%");
        assertTrue(editions.supportsInterface(type(IERC1155).interfaceId), "erc1155");
        assertTrue(editions.supportsInterface(type(IERC2981).interfaceId), "erc2981");
        assertTrue(type(IERC5006).interfaceId == 0xc26d96cc, "the ERC-5006 identifier as the standard states it");
        assertTrue(editions.supportsInterface(0xc26d96cc), "erc5006");
    }

    function testFuzzCreateWithProvenance(bytes32 digest, address caller) public {
        vm.assume(digest != bytes32(0) && caller != MINTER);
        vm.prank(MINTER);
        uint256 id = editions.createEditionWithProvenance(CREATOR, PERSONAL, 500, 10, digest);
        assertEqB(editions.provenanceOf(id), digest, "the item refers to its manifest");
        assertEqB(editions.provenanceOf(item(PERSONAL, 10)), bytes32(0), "an item created without one has none");
        vm.prank(MINTER);
        vm.expectRevert(Licensed.ZeroProvenance.selector);
        editions.createEditionWithProvenance(CREATOR, PERSONAL, 500, 10, bytes32(0));
        bytes32 role = editions.MINTER_ROLE();
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
        editions.createEditionWithProvenance(CREATOR, PERSONAL, 500, 10, digest);
    }

    function testFuzzOnlyMinterCreatesAndMints(address caller) public {
        vm.assume(caller != MINTER);
        uint256 id = item(PERSONAL, 10);
        bytes memory denied =
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, editions.MINTER_ROLE());
        vm.prank(caller);
        vm.expectRevert(denied);
        editions.createEdition(CREATOR, PERSONAL, 0, 1);
        vm.prank(caller);
        vm.expectRevert(denied);
        editions.mint(ALICE, id, 1, "");
    }

    function testFuzzOnlyLicensorDefinesAndClassifies(address caller) public {
        vm.assume(caller != LICENSOR);
        bytes memory denied = abi.encodeWithSelector(
            IAccessControl.AccessControlUnauthorizedAccount.selector, caller, editions.LICENSOR_ROLE()
        );
        vm.prank(caller);
        vm.expectRevert(denied);
        editions.defineLicence(9, true, true, true, "x");
        vm.prank(caller);
        vm.expectRevert(denied);
        editions.setCommercial(caller, false);
    }

    function testTermsFixedAndSupplyCapped() public {
        vm.prank(LICENSOR);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceExists.selector, PERSONAL));
        editions.defineLicence(PERSONAL, true, true, true, "ar://other");
        vm.startPrank(MINTER);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceUnknown.selector, 77));
        editions.createEdition(CREATOR, 77, 0, 1);
        vm.expectRevert(abi.encodeWithSelector(Licensed.RoyaltyTooHigh.selector, 1001));
        editions.createEdition(CREATOR, PERSONAL, 1001, 1);
        vm.expectRevert(VirtualEditions.InvalidMaxSupply.selector);
        editions.createEdition(CREATOR, PERSONAL, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(VirtualEditions.EditionUnknown.selector, 42));
        editions.mint(ALICE, 42, 1, "");
        vm.stopPrank();
        uint256 id = item(PERSONAL, 5);
        mintTo(ALICE, id, 5);
        vm.prank(MINTER);
        vm.expectRevert(abi.encodeWithSelector(VirtualEditions.SupplyExceeded.selector, id, 5));
        editions.mint(ALICE, id, 1, "");
    }

    /// Without resale, the creator hands units on; a holder can only give them back, by any path.
    function testNoResale() public {
        uint256 id = item(PERSONAL_NO_RESALE, 10);
        mintTo(CREATOR, id, 10);
        vm.prank(CREATOR);
        editions.safeTransferFrom(CREATOR, ALICE, id, 4, "");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsResale.selector, id, ALICE, BOB));
        editions.safeTransferFrom(ALICE, BOB, id, 1, "");
        vm.prank(ALICE);
        editions.setApprovalForAll(BOB, true);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsResale.selector, id, ALICE, BOB));
        editions.safeTransferFrom(ALICE, BOB, id, 1, "");
        uint256 other = item(PERSONAL, 10);
        mintTo(ALICE, other, 3);
        uint256[] memory ids = new uint256[](2);
        uint256[] memory amounts = new uint256[](2);
        (ids[0], ids[1], amounts[0], amounts[1]) = (other, id, 1, 1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsResale.selector, id, ALICE, BOB));
        editions.safeBatchTransferFrom(ALICE, BOB, ids, amounts, "");
        vm.prank(ALICE);
        editions.safeTransferFrom(ALICE, CREATOR, id, 4, "");
        assertEqU(editions.balanceOf(CREATOR, id), 10, "returned to the creator");
    }

    /// Any holder of resale-licensed units may pass any part of them to any non-commercial account.
    function testFuzzResaleAllowed(address to, uint256 amount) public {
        vm.assume(to != address(0) && to != SHOP && to != ALICE && to.code.length == 0);
        amount = 1 + (amount % 50);
        uint256 id = item(PERSONAL, 50);
        mintTo(ALICE, id, 50);
        vm.prank(ALICE);
        editions.safeTransferFrom(ALICE, to, id, amount, "");
        assertEqU(editions.balanceOf(to, id), amount, "moved");
        assertEqU(editions.balanceOf(ALICE, id), 50 - amount, "kept");
    }

    /// A commercial account never receives, by mint, transfer, batch or rental, an item not licensed for it.
    function testCommercialUseRefused() public {
        uint256 id = item(PERSONAL, 10);
        vm.prank(MINTER);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsCommercialUse.selector, id, SHOP));
        editions.mint(SHOP, id, 1, "");
        mintTo(ALICE, id, 5);
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsCommercialUse.selector, id, SHOP));
        editions.safeTransferFrom(ALICE, SHOP, id, 1, "");
        uint256[] memory ids = new uint256[](1);
        uint256[] memory amounts = new uint256[](1);
        (ids[0], amounts[0]) = (id, 1);
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsCommercialUse.selector, id, SHOP));
        editions.safeBatchTransferFrom(ALICE, SHOP, ids, amounts, "");
        vm.expectRevert(abi.encodeWithSelector(Licensed.LicenceForbidsCommercialUse.selector, id, SHOP));
        editions.createUserRecord(ALICE, SHOP, id, 1, uint64(block.timestamp + 1 days));
        vm.stopPrank();
        uint256 licensed = item(COMMERCIAL, 10);
        mintTo(ALICE, licensed, 5);
        vm.startPrank(ALICE);
        editions.createUserRecord(ALICE, SHOP, licensed, 1, uint64(block.timestamp + 1 days));
        editions.safeTransferFrom(ALICE, SHOP, licensed, 2, "");
        vm.stopPrank();
        assertEqU(editions.balanceOf(SHOP, licensed), 2, "commercial licence");
    }

    function testRental() public {
        uint256 id = item(PERSONAL, 10);
        mintTo(ALICE, id, 10);
        uint64 until = uint64(block.timestamp + 1 hours);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(VirtualEditions.NotOwnerNorApproved.selector, ALICE, BOB));
        editions.createUserRecord(ALICE, BOB, id, 3, until);
        vm.startPrank(ALICE);
        vm.expectRevert(VirtualEditions.InvalidRental.selector);
        editions.createUserRecord(ALICE, BOB, id, 0, until);
        vm.expectRevert(VirtualEditions.InvalidRental.selector);
        editions.createUserRecord(ALICE, BOB, id, 1, uint64(block.timestamp));
        vm.expectRevert(abi.encodeWithSelector(IERC1155Errors.ERC1155InsufficientBalance.selector, ALICE, 10, 11, id));
        editions.createUserRecord(ALICE, BOB, id, 11, until);
        uint256 record = editions.createUserRecord(ALICE, BOB, id, 3, until);
        vm.stopPrank();
        assertEqU(editions.usableBalanceOf(BOB, id), 3, "usable by the user");
        assertEqU(editions.frozenBalanceOf(ALICE, id), 3, "frozen for the owner");
        assertEqU(editions.balanceOf(ALICE, id), 7, "the rest stays with the owner");
        assertEqU(editions.balanceOf(BOB, id), 0, "the user owns none");
        // The owner cannot take the units back early; the user can neither sell nor move them.
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(VirtualEditions.RentalNotOver.selector, record, until));
        editions.deleteUserRecord(record);
        vm.prank(BOB);
        vm.expectRevert(
            abi.encodeWithSelector(IERC1155Errors.ERC1155InsufficientBalance.selector, BOB, 0, 1, id)
        );
        editions.safeTransferFrom(BOB, CREATOR, id, 1, "");
        vm.prank(BOB);
        vm.expectRevert(
            abi.encodeWithSelector(IERC1155Errors.ERC1155MissingApprovalForAll.selector, BOB, address(editions))
        );
        editions.safeTransferFrom(address(editions), BOB, id, 1, "");
        vm.warp(until);
        assertEqU(editions.usableBalanceOf(BOB, id), 0, "expired");
        vm.prank(CREATOR);
        vm.expectRevert(abi.encodeWithSelector(VirtualEditions.NotOwnerNorApproved.selector, ALICE, CREATOR));
        editions.deleteUserRecord(record);
        vm.prank(ALICE);
        editions.deleteUserRecord(record);
        assertEqU(editions.balanceOf(ALICE, id), 10, "back with the owner");
        assertEqU(editions.frozenBalanceOf(ALICE, id), 0, "nothing frozen");
        vm.expectRevert(abi.encodeWithSelector(VirtualEditions.RecordUnknown.selector, record));
        editions.deleteUserRecord(record);
    }

    function testUserEndsRentalEarlyAndRecordsAreCapped() public {
        uint256 id = item(PERSONAL, 20);
        mintTo(ALICE, id, 20);
        uint64 until = uint64(block.timestamp + 1 days);
        vm.startPrank(ALICE);
        uint256 first = editions.createUserRecord(ALICE, BOB, id, 1, until);
        for (uint256 i = 1; i < editions.MAX_USER_RECORDS(); ++i) {
            editions.createUserRecord(ALICE, BOB, id, 1, until);
        }
        vm.expectRevert(abi.encodeWithSelector(VirtualEditions.TooManyRecords.selector, id, BOB));
        editions.createUserRecord(ALICE, BOB, id, 1, until);
        vm.stopPrank();
        vm.prank(BOB);
        editions.deleteUserRecord(first);
        assertEqU(editions.usableBalanceOf(BOB, id), 9, "one rental ended by its user");
        assertEqU(editions.balanceOf(ALICE, id), 11, "its unit back with the owner");
    }

    /// Reentrancy: a receiver acting from inside onERC1155Received meets the same checks.
    function testReentrantReceiver() public {
        ReentrantEditionsReceiver receiver = new ReentrantEditionsReceiver(editions, SHOP);
        uint256 id = item(PERSONAL, 10);
        mintTo(ALICE, id, 5);
        vm.prank(ALICE);
        editions.safeTransferFrom(ALICE, address(receiver), id, 2, "");
        assertEqU(editions.balanceOf(address(receiver), id), 2, "kept by the receiver");
        assertEqU(receiver.refusals(), 3, "transfer, mint and rental to the shop refused");
        assertEqU(editions.balanceOf(SHOP, id), 0, "nothing reached the shop");
        assertEqU(editions.frozenBalanceOf(address(receiver), id), 0, "nothing rented");
        // A mint into the receiver meets the same checks from inside the hook.
        mintTo(address(receiver), id, 1);
        assertEqU(receiver.refusals(), 6, "refused again during the mint");
        assertEqU(editions.edition(id).supply, 6, "the supply counted once per mint");
    }
}

/// Drives random transfers, rentals and their ends between a few accounts (the shop among them).
contract EditionsHandler is Test {
    VirtualEditions internal immutable editions;
    address[4] internal actors = [address(0xA1), address(0xB0), address(0xC8EA), address(0x5409)];
    uint256[] public records;
    uint256 public immutable personal;
    uint256 public immutable commercial;

    constructor(VirtualEditions e, uint256 p, uint256 c) {
        editions = e;
        personal = p;
        commercial = c;
    }

    function actor(uint256 i) external view returns (address) {
        return actors[i];
    }

    function transfer(uint256 fromSeed, uint256 toSeed, bool which, uint256 amount) external {
        address from = actors[fromSeed % 4];
        address to = actors[toSeed % 4];
        uint256 id = which ? personal : commercial;
        uint256 balance = editions.balanceOf(from, id);
        if (balance == 0) return;
        vm.prank(from);
        try editions.safeTransferFrom(from, to, id, 1 + (amount % balance), "") {} catch {}
    }

    function rent(uint256 ownerSeed, uint256 userSeed, bool which, uint64 amount, uint32 duration) external {
        address owner = actors[ownerSeed % 4];
        uint256 id = which ? personal : commercial;
        uint256 balance = editions.balanceOf(owner, id);
        if (balance == 0) return;
        vm.prank(owner);
        try editions.createUserRecord(
            owner, actors[userSeed % 4], id, uint64(1 + (amount % balance)), uint64(block.timestamp) + 1 + duration
        ) returns (uint256 r) {
            records.push(r);
        } catch {}
    }

    function end(uint256 seed, bool asUser, uint32 wait) external {
        if (records.length == 0) return;
        uint256 r = records[seed % records.length];
        IERC5006.UserRecord memory rec = editions.userRecordOf(r);
        if (rec.owner == address(0)) return;
        vm.warp(block.timestamp + wait);
        vm.prank(asUser ? rec.user : rec.owner);
        try editions.deleteUserRecord(r) {} catch {}
    }
}

/// Invariants over any sequence of the handler's calls: no unit is created or lost (the holders'
/// balances and the rented units held by the contract add up to the supply, and the contract holds
/// exactly the frozen units), and the commercial account never holds a personal-licence unit.
contract VirtualEditionsInvariantTest is EditionsFixture {
    EditionsHandler internal handler;
    uint256 internal personal;
    uint256 internal commercial;

    function setUp() public {
        deployEditions();
        personal = item(PERSONAL, 1000);
        commercial = item(COMMERCIAL, 1000);
        mintTo(ALICE, personal, 300);
        mintTo(BOB, personal, 200);
        mintTo(ALICE, commercial, 100);
        mintTo(SHOP, commercial, 100);
        handler = new EditionsHandler(editions, personal, commercial);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariantUnitsConserved() public view {
        uint256[2] memory ids = [personal, commercial];
        for (uint256 k = 0; k < 2; ++k) {
            uint256 id = ids[k];
            uint256 held = editions.balanceOf(address(editions), id);
            uint256 frozen = 0;
            for (uint256 i = 0; i < 4; ++i) {
                address a = handler.actor(i);
                held += editions.balanceOf(a, id);
                frozen += editions.frozenBalanceOf(a, id);
            }
            assertEqU(held, editions.edition(id).supply, "units conserved");
            assertEqU(editions.balanceOf(address(editions), id), frozen, "the contract holds exactly the rented units");
        }
        assertEqU(editions.balanceOf(SHOP, personal), 0, "the shop holds no personal-licence unit");
        assertEqU(editions.usableBalanceOf(SHOP, personal), 0, "nor rents one");
    }
}
