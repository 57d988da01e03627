"""The love supermarket (爱心超市) of one community: goods with point prices and stock.

Stock is this aggregate's rule, the member's balance the account's: a redemption takes
the goods here first, then the points there, and gives the goods back if the points are
not enough (handlers/redeem.py). Each aggregate's optimistic concurrency keeps its own
rule under any number of concurrent redemptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from grassroots_eventkit.domain import (
    Command,
    CommandRejected,
    Decider,
    DomainEvent,
    EventTypes,
    IdFactory,
    NotFound,
)
from grassroots_eventkit.values import EntityId
from pydantic import Field

STREAM_TYPE = "supermarket"


def supermarket_id(community_id: str) -> str:
    return f"supermarket:{community_id}"


class StockItem(Command):
    """Add goods, or restock and re-price them."""

    community_id: EntityId
    item_id: EntityId
    name: str = Field(min_length=1, max_length=60)
    price: int = Field(ge=1, le=100_000)
    added: int = Field(ge=0, le=100_000)


class TakeGoods(Command):
    community_id: EntityId
    redemption_id: EntityId
    member_id: EntityId
    item_id: EntityId
    quantity: int = Field(ge=1, le=100)


class ReturnGoods(Command):
    community_id: EntityId
    redemption_id: EntityId


SupermarketCommand = StockItem | TakeGoods | ReturnGoods


class ItemStocked(DomainEvent):
    event_name = "ItemStocked"

    community_id: str
    item_id: str
    name: str
    price: int
    added: int
    stock: int


class GoodsTaken(DomainEvent):
    event_name = "GoodsTaken"

    community_id: str
    redemption_id: str
    member_id: str
    item_id: str
    quantity: int
    points: int
    stock: int


class GoodsReturned(DomainEvent):
    event_name = "GoodsReturned"

    community_id: str
    redemption_id: str
    member_id: str
    item_id: str
    quantity: int
    stock: int


SupermarketEvent = ItemStocked | GoodsTaken | GoodsReturned


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    price: int
    stock: int


@dataclass(frozen=True, slots=True)
class Supermarket:
    community_id: str
    items: dict[str, Item] = field(default_factory=dict)
    # redemption -> (member, item, quantity, points, returned)
    taken: dict[str, tuple[str, str, int, int, bool]] = field(default_factory=dict)


def decide(
    state: Supermarket | None, command: SupermarketCommand, *, now: datetime, new_id: IdFactory
) -> list[SupermarketEvent]:
    shop = state or Supermarket(command.community_id)
    match command:
        case StockItem():
            before = shop.items.get(command.item_id)
            return [
                ItemStocked(
                    community_id=shop.community_id,
                    item_id=command.item_id,
                    name=command.name,
                    price=command.price,
                    added=command.added,
                    stock=(before.stock if before else 0) + command.added,
                )
            ]
        case TakeGoods():
            if command.redemption_id in shop.taken:
                return []
            item = shop.items.get(command.item_id)
            if item is None:
                raise NotFound("item_not_found", f"no item {command.item_id}")
            if item.stock < command.quantity:
                raise CommandRejected(
                    "out_of_stock", f"{item.stock} left of {item.name}", field="quantity"
                )
            return [
                GoodsTaken(
                    community_id=shop.community_id,
                    redemption_id=command.redemption_id,
                    member_id=command.member_id,
                    item_id=command.item_id,
                    quantity=command.quantity,
                    points=item.price * command.quantity,
                    stock=item.stock - command.quantity,
                )
            ]
        case ReturnGoods():
            found = shop.taken.get(command.redemption_id)
            if found is None:
                raise NotFound("redemption_not_found", f"no redemption {command.redemption_id}")
            member_id, item_id, quantity, _, returned = found
            if returned:
                return []
            return [
                GoodsReturned(
                    community_id=shop.community_id,
                    redemption_id=command.redemption_id,
                    member_id=member_id,
                    item_id=item_id,
                    quantity=quantity,
                    stock=shop.items[item_id].stock + quantity,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def evolve(state: Supermarket | None, event: SupermarketEvent) -> Supermarket:
    shop = state or Supermarket(event.community_id)
    match event:
        case ItemStocked():
            items = {**shop.items, event.item_id: Item(event.name, event.price, event.stock)}
            return replace(shop, items=items)
        case GoodsTaken():
            item = replace(shop.items[event.item_id], stock=event.stock)
            taken = {
                **shop.taken,
                event.redemption_id: (
                    event.member_id,
                    event.item_id,
                    event.quantity,
                    event.points,
                    False,
                ),
            }
            return replace(shop, items={**shop.items, event.item_id: item}, taken=taken)
        case GoodsReturned():
            item = replace(shop.items[event.item_id], stock=event.stock)
            m, i, q, p, _ = shop.taken[event.redemption_id]
            taken = {**shop.taken, event.redemption_id: (m, i, q, p, True)}
            return replace(shop, items={**shop.items, event.item_id: item}, taken=taken)
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Supermarket | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Supermarket | None, SupermarketCommand, SupermarketEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(ItemStocked, GoodsTaken, GoodsReturned),
)
