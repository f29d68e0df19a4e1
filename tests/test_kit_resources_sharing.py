"""Kits given the same ``KitResources`` share its engines — the local moderation classifier too (its model loads
once), while kits with their own resources get their own."""

from __future__ import annotations

import brandkit
from brandkit.provider.local_moderation import NudeNetModerator
from brandkit.resources import LOCAL_MODERATOR, KitResources


def test_kits_sharing_resources_share_the_local_moderator(northwind: brandkit.BrandSpec) -> None:
    shared = KitResources()
    first = brandkit.BrandKit(northwind, provider="local", resources=shared, signer=None)
    second = brandkit.AsyncBrandKit(northwind, provider="local", resources=shared, signer=None)
    assert isinstance(first.moderator, NudeNetModerator)
    assert second.moderator is first.moderator is shared.local_moderator()
    alone = brandkit.BrandKit(northwind, provider="local", resources=KitResources(), signer=None)
    assert isinstance(alone.moderator, NudeNetModerator) and alone.moderator is not first.moderator


def test_an_explicit_moderator_is_used_and_none_is_created(northwind: brandkit.BrandSpec) -> None:
    shared = KitResources()
    mine = NudeNetModerator()
    kit = brandkit.BrandKit(northwind, provider="local", resources=shared, moderator=mine, signer=None)
    off = brandkit.BrandKit(northwind, provider="local", resources=shared, moderator=None, signer=None)
    assert kit.moderator is mine and off.moderator is None
    created: list[object] = []
    shared.checks.get(LOCAL_MODERATOR, lambda: created.append(1))  # nothing was put there by the two kits
    assert created == [1]
