"""pip's cache directory: left alone when the user owns it, redirected when an earlier `sudo pip` took it.

Nothing is chowned: pip gets PIP_CACHE_DIR under safepip's own cache dir, and the notice names the fix.
"""

from __future__ import annotations

from safepip.facts.pip_cache import CacheFact
from safepip.util.named_tuple import NamedTuple


class CacheChoice(NamedTuple):
    redirect_to: str | None
    reason: str
    notice: str | None = None
    refusal: str | None = None  # pip would read a cache another user can change, and it cannot be moved
    advice: str | None = None  # said once (actions/said.py)


def decide_cache(fact: CacheFact, user: str, own_cache: str, own_cache_writable: bool) -> CacheChoice:
    if fact.path is None:
        return CacheChoice(None, f"pip's cache is disabled ({fact.source})")
    if fact.distrust:  # pip installs the wheels it finds there as they are
        why = f"pip's cache {fact.path} is not safe to use: {fact.distrust}"
        if fact.source == "--cache-dir" or not own_cache_writable:  # an argument beats PIP_CACHE_DIR
            return CacheChoice(None, why, refusal=why)
        return CacheChoice(own_cache, why, f"{why}; using {own_cache}")
    if fact.writable and not fact.foreign:
        if fact.reachable and fact.source != "--cache-dir" and own_cache_writable:
            # safepip's own is made 0700: no one else has ever been below its top
            why = (
                f"other users can get below the top of pip's cache {fact.path}, "
                "so what pip cached there cannot be vouched for"
            )
            advice = f"{why}; pip uses {own_cache} (chmod 700 {fact.path} to use it again)"
            return CacheChoice(own_cache, why, advice=advice)
        return CacheChoice(None, f"{fact.path} is {user}'s")
    why = (
        f"{fact.foreign[0]} is owned by {fact.foreign_owner}"
        if fact.foreign
        else f"{fact.path} is not writable"
    )
    fix = f"sudo chown -R {user} {fact.path}" if fact.foreign else f"make {fact.path} writable"
    if fact.source == "--cache-dir":  # pip takes its argument over any PIP_CACHE_DIR safepip could give it
        # pip turns its cache off when it cannot write the top; below a top it can write, its writes fail
        outcome = "pip runs with it as it is" if fact.writable else "pip runs without a cache"
        return CacheChoice(
            None,
            f"{why}; {outcome}",
            f"pip's cache {fact.path} (--cache-dir) is not usable ({why}), and safepip cannot move what "
            f"--cache-dir names: {outcome}. Fix: {fix}",
        )
    if not own_cache_writable:
        return CacheChoice(
            None, f"{why}, and {own_cache} cannot be made either; pip will run without a cache"
        )
    return CacheChoice(
        own_cache,
        why,
        f"pip's cache {fact.path} is not usable ({why}{', e.g. after `sudo pip`' if fact.foreign else ''}); "
        f"using {own_cache}. Fix: {fix}",
    )
