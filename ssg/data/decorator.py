"""@ssg.cache: request memoization and the data cache for any function, keyed by its arguments.

The Python spelling of React `cache` + Next.js `unstable_cache`, sharing ssg.fetch's policy.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import pickle
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar, cast, overload

from ssg.data.keys import call_data_key, call_memo_key
from ssg.data.policy import RevalidateOption, make_policy, run_cached, run_cached_sync
from ssg.errors import ArgumentError
from ssg.scope import current_scope

P = ParamSpec("P")
R = TypeVar("R")

# A fixed protocol keeps argument digests stable across Python versions that
# change HIGHEST_PROTOCOL, so data-cache entries stay reachable.
_KEY_PICKLE_PROTOCOL = 4


@overload
def cache(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def cache(
    fn: None = None, /, *, revalidate: RevalidateOption = None, tags: Iterable[str] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def cache(
    fn: Callable[P, R] | None = None,
    /,
    *,
    revalidate: RevalidateOption = None,
    tags: Iterable[str] = (),
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Memoize a sync or async function like ssg.fetch: `@ssg.cache` or `@ssg.cache(revalidate=60)`.

    Inside a render, a call with the same arguments runs once per build (at
    build) or per render (at serve), also when awaited concurrently. With
    `revalidate=N` (seconds > 0) or `revalidate=False` (until `revalidate_tag`)
    the result is also stored in the data cache on disk, across builds and
    restarts; `revalidate=0` stores nothing and makes the route dynamic. Each
    call records its revalidate and tags into the page, as a cached fetch does.
    Outside a render the function is simply called.

    Keys: "module.qualname" plus the pickled arguments, bound to the signature
    (so `f(1)`, `f(x=1)` and a defaulted `f()` are one key). Arguments must be
    picklable (a TypeError names the function otherwise); arguments that are
    equal but pickle differently (e.g. sets of strings across processes) only
    miss. Stored results must be picklable too, else they are memoized but not
    stored, with a warning on "ssg.data". Closures sharing a qualname share entries.

    A decorated async function stays async; a sync one stays sync (memoized per
    scope without in-flight sharing, and stored in the data cache the same way).

    Args:
        fn: the function, when used as a bare `@ssg.cache`.
        revalidate: seconds a stored result stays fresh; False = until
            revalidate_tag; 0 = never stored (dynamic); None = memoized only.
        tags: cache tags, recorded into the page and used by revalidate_tag.

    Returns:
        The wrapped function, or a decorator when called with options.

    Raises:
        ArgumentError: bad `revalidate` or `tags` (at decoration time).
    """
    policy = make_policy(revalidate=revalidate, cache=None, tags=tags)

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        function_id = f"{function.__module__}.{function.__qualname__}"
        try:
            signature: inspect.Signature | None = inspect.signature(function)
        except (TypeError, ValueError):  # some builtins have no signature: key by the raw call
            signature = None
        dynamic_call = f"{function.__qualname__}() with @ssg.cache(revalidate=0)"
        # Site modules loaded by path have generated names (ssg_site_app_page_1a2b3c4d).
        describe = (
            f"@ssg.cache {function.__qualname__}"
            if function.__module__.startswith("ssg_site_")
            else f"@ssg.cache {function_id}"
        )
        # A call without arguments keys the same every time when the function takes no
        # named parameters (a default could be a mutable object that changes).
        constant_call = signature is not None and all(
            p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            for p in signature.parameters.values()
        )
        no_argument_keys: list[tuple[tuple[object, ...], str]] = []  # its keys, once made

        def keys(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[object, ...], str]:
            """(memo key, data key) of a call."""
            if no_argument_keys and not args and not kwargs:
                return no_argument_keys[0]
            digest = _arguments_digest(function_id, signature, args, kwargs)
            made = (
                call_memo_key(function_id, digest, policy.memo_options),
                call_data_key(function_id, digest),
            )
            if constant_call and not args and not kwargs:
                no_argument_keys.append(made)
            return made

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                scope = current_scope()
                if scope is None:
                    return await cast(Any, function)(*args, **kwargs)
                memo_key, data_key = keys(args, kwargs)
                if policy.no_store:
                    scope.use_dynamic(dynamic_call)

                async def produce() -> Any:
                    return await cast(Any, function)(*args, **kwargs)

                return await run_cached(
                    scope,
                    memo_key=memo_key,
                    data_key=data_key,
                    policy=policy,
                    produce=produce,
                    should_store=lambda _value: True,
                    describe=describe,
                )

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(function)
        def sync_wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            scope = current_scope()
            if scope is None:
                return function(*args, **kwargs)
            memo_key, data_key = keys(args, kwargs)
            if policy.no_store:
                scope.use_dynamic(dynamic_call)
            result: R = run_cached_sync(
                scope,
                memo_key=memo_key,
                data_key=data_key,
                policy=policy,
                produce=lambda: function(*args, **kwargs),
                describe=describe,
            )
            return result

        return sync_wrapper

    if fn is not None:
        return decorate(fn)
    return decorate


def _arguments_digest(
    function_id: str,
    signature: inspect.Signature | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> str:
    """Return sha256 hex of the call's arguments, bound to `signature` when there is one.

    Example: for `def f(x, y=2)`, `f(1)` and `f(x=1, y=2)` give the same digest.

    Raises:
        ArgumentError: an argument cannot be pickled (also a TypeError).
        TypeError: the arguments do not fit the signature (the same error
            calling the function would raise).
    """
    if signature is not None:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        var_keyword = {
            p.name for p in signature.parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD
        }
        # **kwargs arrive in call order; sorting makes f(a=1, b=2) and f(b=2, a=1) one key.
        parts: object = [
            (name, sorted(value.items()) if name in var_keyword else value)
            for name, value in bound.arguments.items()
        ]
    else:
        parts = (args, sorted(kwargs.items()))
    try:
        blob = pickle.dumps(parts, protocol=_KEY_PICKLE_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise ArgumentError(
            f"@ssg.cache: {function_id} was called with an argument that cannot be pickled "
            f"({exc}), and its cache key is made from the pickled arguments. Pass plain values "
            "(str, int, float, tuples, lists, dicts, dataclasses) or remove @ssg.cache.",
            call="ssg.cache",
        ) from exc
    return hashlib.sha256(blob).hexdigest()
