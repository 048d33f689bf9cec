"""The agent emitter, in Python: the same lines and the same budget as the TypeScript kit
(``lambdas/agent-kit/emitter.ts``), standard library only, Python 3.9 and later.

It writes the contract's agent lines (``agent.start``, ``agent.action``, ``agent.end``,
``tool.call``) while it keeps the budget, so the rule that detects a leak after the fact
(``budget-exceeded``, ``budget-undercount``) is the rule that prevents it: one pool per root run,
shared by every sub-agent (``child``), decremented at the innermost call, refusing the action that
would go past it (``BudgetExhaustedError``).

The module stands alone: copy this one file into an agent's code if installing the package is
not an option.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import numbers
import secrets
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

__all__ = [
    "AgentEmitter",
    "ActionReceipt",
    "BudgetExhaustedError",
    "create_agent_emitter",
    "MAX_COST_USD",
    "MAX_TOKENS",
    "MAX_DURATION_MS",
    "MAX_LINE_BYTES",
    "MAX_ID_CHARS",
    "MAX_ID_BYTES",
]

# The pipeline's bounds on one line's quantities (lambdas/core/quantity-limits.ts): a larger
# number is a wrong unit or a corrupt value, and the pipeline rejects its line.
MAX_COST_USD = 1_000_000
MAX_TOKENS = 1_000_000_000
MAX_DURATION_MS = 31_622_400_000  # 366 days
# Lines longer than this (bytes of UTF-8) are dropped whole by the pipeline (lambdas/core/parse/line-limit.ts).
MAX_LINE_BYTES = 256 * 1024
# The pipeline's bound on an identifier (agent, run_id, parent_run_id, tool, call_id: lambdas/core/events.ts):
# they become parts of storage keys, and a longer one rejects its line. Characters are UTF-16 units, as JavaScript counts them.
MAX_ID_CHARS = 256
MAX_ID_BYTES = 400

_MAX_SAFE_INTEGER = 2**53 - 1
# What a line's "ts" field adds, with room for the longest ISO time.
_TS_FIELD_BYTES = 40
# Cost sums differ from exact decimals by float noise; the budget-exceeded detector allows the same.
_USD_EPSILON = 1e-6
# How long a text may stay in a tool.call line that is too long: 2 KiB, then less.
_CUT_BYTES = (2048, 512, 128)
_BUDGET_KEYS = ("max_actions", "max_cost_usd", "scope")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _described(value: Any) -> str:
    """A value as a message names it, in Python's terms: ``nan``, ``-0.2``, ``the string "0.05"``, ``None``, ``a list``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and abs(value) >= 10**21:
        # Too long to read whole (and past Python's limit on digits printed): 10**400 reads 1.000e+400.
        return format(decimal.Decimal(int(value)), ".3e")
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, numbers.Number):
        # Not a built-in number (a Decimal, a Fraction, numpy's int64): its repr names its type, Decimal('5').
        return repr(value)
    if isinstance(value, str):
        return "the string " + json.dumps(value if len(value) <= 40 else value[:39] + "\u2026", ensure_ascii=False)
    name = type(value).__name__
    return ("an " if name[:1] in "AEIOUaeiou" else "a ") + name


def _number(value: Any, whole: bool) -> Optional[Union[int, float]]:
    """``value`` as the number a line carries (whole numbers as int), or None when it is not a finite one 0 or more."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        as_float = float(value)
    except OverflowError:
        # A whole number too large for a float (10**400): no line can carry it.
        return None
    if not math.isfinite(as_float) or as_float < 0:
        return None
    if isinstance(value, numbers.Integral) or as_float.is_integer():
        if abs(as_float) > _MAX_SAFE_INTEGER:
            return None if whole else as_float
        return int(value)
    return None if whole else as_float


def _error_kind(value: Any) -> type:
    """The error for a value refused: ValueError for a number out of its rules, TypeError for anything else (a bool too)."""
    return ValueError if isinstance(value, numbers.Real) and not isinstance(value, bool) else TypeError


def _past_safe_integer(what: str, value: Any) -> Optional[str]:
    """Why a whole number is refused for being past 2**53 - 1 (a JSON number past it is not read back
    exactly): the bound, not "must be a whole number", which it is. None for any other value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        past = int(value) > _MAX_SAFE_INTEGER
    else:
        as_float = float(value)
        past = math.isfinite(as_float) and as_float.is_integer() and as_float > _MAX_SAFE_INTEGER
    return f"{what} must be at most {_MAX_SAFE_INTEGER} (2^53 - 1); got {_described(value)}" if past else None


def _id_problem(what: str, value: Any, *, empty_ok: bool = False) -> Optional[BaseException]:
    """Why ``value`` cannot be written as the identifier ``what`` (the pipeline rejects its line), or None:
    a TypeError for anything but text, a ValueError for text empty (where a name is required) or past the bound."""
    if not isinstance(value, str):
        return TypeError(f"{what} must be {'a' if empty_ok else 'a non-empty'} string; got {_described(value)}")
    if value == "" and not empty_ok:
        return ValueError(f"{what} must be a non-empty string; got the empty string")
    chars = len(value.encode("utf-16-le", "surrogatepass")) // 2
    if chars > MAX_ID_CHARS:
        return ValueError(f"{what} must be at most {MAX_ID_CHARS} characters (identifiers become storage keys); got {chars}")
    # As the pipeline counts the text it reads back: a lone surrogate is 3 bytes there.
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_ID_BYTES:
        return ValueError(f"{what} must be at most {MAX_ID_BYTES} bytes of UTF-8 (identifiers become storage keys); got {size}")
    return None


def _check_id(where: str, what: str, value: Any, *, empty_ok: bool = False) -> None:
    """Raises, with nothing recorded, when ``value`` is not an identifier the pipeline reads (``_id_problem``)."""
    problem = _id_problem(what, value, empty_ok=empty_ok)
    if problem is not None:
        raise type(problem)(f"{where}: {problem}. Nothing was recorded: every line naming it would be rejected by the pipeline.")


def _above(value: Any, bound: Union[int, float]) -> bool:
    """Whether ``value`` is a finite number above ``bound`` (a whole number too large for a float too)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        as_float = float(value)
    except OverflowError:
        return value > 0
    return math.isfinite(as_float) and as_float > bound


def _json_number(value: Union[int, float]) -> Union[int, float]:
    """A float with no fraction written as JavaScript writes it (``3``, not ``3.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


# (key, what it must be, whole, bound, the bound in words)
_DETAIL_NUMBERS = (
    ("tick", "a whole number, 0 or more", True, None, ""),
    ("cost_usd", "a number of dollars, 0 or more", False, MAX_COST_USD, f"{MAX_COST_USD} dollars"),
    ("tokens_in", "a whole number of tokens, 0 or more", True, MAX_TOKENS, f"{MAX_TOKENS} tokens"),
    ("tokens_out", "a whole number of tokens, 0 or more", True, MAX_TOKENS, f"{MAX_TOKENS} tokens"),
    ("duration_ms", "a number of milliseconds, 0 or more", False, MAX_DURATION_MS, f"{MAX_DURATION_MS} (366 days)"),
)


def _checked_detail(detail: Mapping[str, Any]) -> "tuple[Dict[str, Any], Optional[BaseException]]":
    """The detail's numbers as a line carries them, or the error that says why one cannot be written."""
    out: Dict[str, Any] = {}
    name = detail.get("name")
    if name is not None:
        if not isinstance(name, str):
            return out, TypeError(f"name must be text; got {_described(name)}")
        out["name"] = name
    for key, expected, whole, bound, bound_text in _DETAIL_NUMBERS:
        value = detail.get(key)
        if value is None:
            continue
        # The pipeline's bound: a larger number is a wrong unit or a corrupt one, and sums of it overflow.
        if bound is not None and _above(value, bound):
            return out, ValueError(f"{key} must be at most {bound_text}; got {_described(value)}")
        number = _number(value, whole)
        if number is None:
            past = _past_safe_integer(key, value) if whole else None
            if past is not None:
                return out, ValueError(past)
            kind = _error_kind(value)
            return out, kind(f"{key} must be {expected}; got {_described(value)}")
        out[key] = number
    return out, None


def _checked_budget(where: str, budget: Any) -> Optional[Dict[str, Any]]:
    """The budget as kept and written (None values left out), by the rules of ``agents.<agent>.budget`` in the config."""
    if budget is None:
        return None

    def refuse(kind: type, problem: str) -> BaseException:
        return kind(f"{where}: {problem} (the rules of agents.<agent>.budget in the config).")

    if not isinstance(budget, Mapping):
        raise refuse(TypeError, f'budget must be a dict such as {{"max_actions": 20, "max_cost_usd": 0.5}}; got {_described(budget)}')
    for key in budget:
        if key not in _BUDGET_KEYS:
            raise refuse(ValueError, f"budget has no {key}: it takes max_actions, max_cost_usd and scope")
    out: Dict[str, Any] = {}
    for key, value in budget.items():
        if value is None:
            continue
        if key == "max_actions":
            number = _number(value, True)
            if number is None or number <= 0:
                past = _past_safe_integer("budget.max_actions", value)
                if past is not None:
                    raise refuse(ValueError, past)
                kind = _error_kind(value)
                raise refuse(kind, f"budget.max_actions must be a whole number above 0; got {_described(value)}")
        elif key == "max_cost_usd":
            number = _number(value, False)
            if number is None:
                kind = _error_kind(value)
                raise refuse(kind, f"budget.max_cost_usd must be a number of dollars, 0 or more; got {_described(value)}")
        else:
            if value not in ("task", "tick"):
                raise refuse(ValueError if isinstance(value, str) else TypeError, f'budget.scope must be "task" or "tick"; got {_described(value)}')
            number = value
        out[key] = number
    return out


class BudgetExhaustedError(Exception):
    """Raised (or returned, by ``try_action``) when an action would go past a budget: the caller stops and ends the run."""

    def __init__(self, *, limit: str, scope: str, max: Union[int, float], used: Union[int, float], budget_run_id: str, run_id: str, agent: str, tick: Optional[int] = None, action_cost: Optional[float] = None) -> None:
        what = f"{used} of {max} actions" if limit == "actions" else f"${used:.4f} of ${max:.2f}"
        per = f" in tick {tick or 0}" if scope == "tick" else ""
        past = f", and this action's ${action_cost:.4f} would go past it" if limit == "cost" and action_cost else ""
        super().__init__(
            f"budget exhausted: {what} used{per} (budget of run {budget_run_id}){past}; {agent} run {run_id} must stop: "
            'end the run with status "budget_exhausted" and leave the rest for review'
        )
        self.limit = limit
        self.scope = scope
        self.max = max
        self.used = used
        #: The run whose budget ran out (the root's pool, or a sub-agent's own).
        self.budget_run_id = budget_run_id
        #: The run that tried to act.
        self.run_id = run_id
        self.agent = agent


@dataclass(frozen=True)
class ActionReceipt:
    action_id: str
    #: What is left of the tightest budget: ``{"actions": 3, "cost_usd": 0.12}``, a key only where there is a limit.
    remaining: Dict[str, Union[int, float]]


class _Usage:
    __slots__ = ("actions", "cost")

    def __init__(self) -> None:
        self.actions = 0
        self.cost: Union[int, float] = 0


class _Pool:
    """One budget and what has been spent against it (per tick for a per-tick budget)."""

    def __init__(self, budget: Dict[str, Any], run_id: str) -> None:
        self.budget = budget
        self.run_id = run_id
        self.total = _Usage()
        self.ticks: Dict[int, _Usage] = {}

    def usage(self, tick: Optional[int]) -> _Usage:
        if self.budget.get("scope") != "tick":
            return self.total
        return self.ticks.setdefault(tick or 0, _Usage())

    def check(self, tick: Optional[int], cost: Optional[float], run_id: str, agent: str) -> Optional[BudgetExhaustedError]:
        """The error if one more action costing ``cost`` (None: not known) would break this budget. An action whose cost is not known is refused once nothing is left."""
        used = self.usage(tick)
        scope = self.budget.get("scope", "task")
        max_actions = self.budget.get("max_actions")
        if max_actions is not None and used.actions >= max_actions:
            return BudgetExhaustedError(limit="actions", scope=scope, max=max_actions, used=used.actions, budget_run_id=self.run_id, run_id=run_id, agent=agent, tick=tick)
        max_cost = self.budget.get("max_cost_usd")
        if max_cost is not None and (used.cost >= max_cost - _USD_EPSILON if cost is None else used.cost + cost > max_cost + _USD_EPSILON):
            return BudgetExhaustedError(limit="cost", scope=scope, max=max_cost, used=used.cost, budget_run_id=self.run_id, run_id=run_id, agent=agent, tick=tick, action_cost=cost)
        return None

    def spend(self, tick: Optional[int], cost: Union[int, float]) -> None:
        used = self.usage(tick)
        used.actions += 1
        used.cost += cost
        if used is not self.total:
            self.total.actions += 1
            self.total.cost += cost

    def remaining(self, tick: Optional[int]) -> Dict[str, Union[int, float]]:
        used = self.usage(tick)
        out: Dict[str, Union[int, float]] = {}
        if self.budget.get("max_actions") is not None:
            out["actions"] = max(0, self.budget["max_actions"] - used.actions)
        if self.budget.get("max_cost_usd") is not None:
            out["cost_usd"] = max(0, self.budget["max_cost_usd"] - used.cost)
        return out


class _Shared:
    """What the runs of one tree share: the tick, the clock, the writer, the ids, one lock."""

    def __init__(self, write: Callable[[str], Any], clock: Callable[[], float], new_run_id: Callable[[], str], new_nonce: Callable[[], str]) -> None:
        self.tick: Optional[int] = None
        self.write = write
        self.clock = clock
        self.new_run_id = new_run_id
        self.new_nonce = new_nonce
        # Threads of one agent share the pool: a check and its spend happen as one step.
        self.lock = threading.RLock()


def _dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _utf8_len(text: str) -> int:
    """Bytes of ``text`` as a line writes it (``_line``): a lone surrogate is its 6-byte JSON escape ``\\udce9``."""
    return len(text.encode("utf-8", "backslashreplace"))


def _written_prefix(text: str, limit: int) -> str:
    """The longest start of ``text`` whose bytes as written (``_utf8_len``) are at most ``limit``: whole characters only."""
    size = 0
    for index, char in enumerate(text):
        size += _utf8_len(char)
        if size > limit:
            return text[:index]
    return text


def _iso(seconds: float) -> str:
    """Epoch seconds as JavaScript's ``toISOString()`` writes them: ``2026-10-05T10:00:01.000Z``."""
    ms = math.floor(round(seconds * 1000, 3))
    at = _EPOCH + _dt.timedelta(milliseconds=ms)
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond // 1000:03d}Z"


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _arguments_as_written(where: str, args: Any, after: str) -> Dict[str, Any]:
    """``args`` as a tool.call line carries them: a dict, or the JSON text of one, through JSON and back (a datetime is its isoformat(), nan and inf None)."""

    def refuse(got: str) -> TypeError:
        return TypeError(f'{where} args must be a dict of named arguments ({{"user_id": ...}}) or the JSON text of one; got {got}{after}')

    if isinstance(args, (str, bytes, bytearray)):
        try:
            parsed = json.loads(args)
        except ValueError as error:
            raise refuse(f"text that is not JSON ({error})") from None
        if not isinstance(parsed, dict):
            raise refuse(f"JSON text of {_described(parsed)}")
        args = parsed
    if not isinstance(args, Mapping):
        raise refuse(_described(args))
    try:
        text = json.dumps(dict(args), default=_json_default, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError, RecursionError) as error:
        reason = str(error).split("\n")[0]
        raise TypeError(f"{where} args cannot be written as JSON ({reason}): pass plain data (dicts, lists, text, numbers), without sets, objects or circular references{after}") from None
    # NaN and Infinity are written as null, as JavaScript's JSON.stringify writes them: the pipeline reads JSON.
    return json.loads(text, parse_constant=lambda _: None)


def _cut_texts(value: Any, limit: int) -> Any:
    """``value`` with every text longer than ``limit`` bytes of UTF-8 cut to its first ``limit`` bytes and ``… [N more bytes cut]``."""
    if isinstance(value, str):
        size = _utf8_len(value)
        if size <= limit:
            return value
        head = _written_prefix(value, limit)
        return f"{head}\u2026 [{size - _utf8_len(head)} more bytes cut]"
    if isinstance(value, list):
        return [_cut_texts(item, limit) for item in value]
    if isinstance(value, dict):
        return {key: _cut_texts(inner, limit) for key, inner in value.items()}
    return value


def _arguments_within_line(where: str, args: Dict[str, Any], bytes_of: Callable[[Dict[str, Any]], int], after: str) -> Dict[str, Any]:
    """``args`` such that their line fits the pipeline's limit: as they are, else with long texts cut (2 KiB, then 512, then 128 bytes)."""
    size = bytes_of(args)
    if size <= MAX_LINE_BYTES:
        return args
    for limit in _CUT_BYTES:
        cut = _cut_texts(args, limit)
        size = bytes_of(cut)
        if size <= MAX_LINE_BYTES:
            return cut
    raise TypeError(
        f"{where} args make a tool.call line of {size} bytes even with every text cut to {_CUT_BYTES[-1]} bytes; the pipeline drops lines over "
        f"{MAX_LINE_BYTES} bytes: pass smaller arguments (a reference to the data rather than the data){after}"
    )


def _tighter(a: Dict[str, Union[int, float]], b: Dict[str, Union[int, float]]) -> Dict[str, Union[int, float]]:
    out: Dict[str, Union[int, float]] = {}
    for key in ("actions", "cost_usd"):
        values = [d[key] for d in (a, b) if key in d]
        if values:
            out[key] = min(values)
    return out


# One lock for every emitter of the process writing to stdout: runs of separate trees (a thread per
# conversation) each hold only their own tree's lock.
_STDOUT_LOCK = threading.Lock()


def _print_line(line: str) -> None:
    """The default writer: the line and its newline in one write, flushed, under the process's stdout lock, so
    lines of runs in other threads never land inside it (``print`` writes the line and the newline apart).
    With no stdout (``sys.stdout`` is None under pythonw, or in a service detached from any console) the
    line is dropped, as ``print`` drops it, and the run goes on."""
    with _STDOUT_LOCK:
        out = sys.stdout
        if out is None:
            return
        out.write(line + "\n")
        out.flush()


class AgentEmitter:
    """One agent run's emitter. Create the root with ``create_agent_emitter``, sub-agents with ``child()``.

    Every action is checked against every budget above it (the root's pool and any sub-agent's own
    tighter one) before it is written: one that would go past a budget (its stated cost included)
    is refused with a ``BudgetExhaustedError``.
    """

    def __init__(self, _shared: _Shared, *, agent: str, run_id: str, budget: Optional[Dict[str, Any]], parent: Optional["AgentEmitter"], inherited: List[_Pool]) -> None:
        self.agent = agent
        self.run_id = run_id
        self.parent_run_id = parent.run_id if parent is not None else None
        self._shared = _shared
        self._parent = parent
        has_limit = budget is not None and (budget.get("max_actions") is not None or budget.get("max_cost_usd") is not None)
        self._own_budget = {**budget, "scope": budget.get("scope", "task")} if has_limit and budget is not None else None
        self._pools = inherited + [_Pool(self._own_budget, run_id)] if self._own_budget is not None else inherited
        # What started the run (start(), its first action, ...) and the parent its agent.start named; None until it started.
        self._started_by: Optional[str] = None
        self._started_under: Optional[str] = None
        self._ended = False
        self._seq = 0
        # Makes this emitter's action_ids its own: _seq starts at 1 in every process using the run id.
        self._nonce = _shared.new_nonce()
        # Actions and cost of this run and every sub-agent under it: what end() reports.
        self._subtree_actions = 0
        self._subtree_cost: Union[int, float] = 0
        self._cost_seen = False

    def _refuse_if_ended(self, what: str) -> None:
        """Raises when this run, or a run above it, has ended: that run's ``agent.end`` counted the actions
        under it, so an action (or a sub-agent) written after it would not be in its count and the
        pipeline would report the honest agent's ``budget-undercount``. What counts is the check under the tree's lock."""
        if self._ended:
            raise RuntimeError(f"{self.agent} run {self.run_id} already ended: no {what} after end()")
        above = self._parent
        while above is not None:
            if above._ended:
                whose = "its parent" if above is self._parent else "a run above it,"
                raise RuntimeError(
                    f"{self.agent} run {self.run_id}: {whose} {above.agent} run {above.run_id}, already ended, and its agent.end counted the actions under it: "
                    f"no {what} after that end(). End a sub-agent before the run above it. Nothing was recorded."
                )
            above = above._parent

    def _line(self, body: Dict[str, Any]) -> None:
        body["ts"] = _iso(self._shared.clock())
        # A lone surrogate (text decoded with surrogateescape) is written as its JSON escape, as JavaScript writes it.
        self._shared.write(_dumps(body).encode("utf-8", "backslashreplace").decode("utf-8"))

    def start(self, parent_run_id: Optional[str] = None) -> None:
        """Writes ``agent.start`` (with the parent and this run's own budget). Called by the first action if not before.
        Once started, a repeat that changes nothing does nothing, and one naming another parent raises a ``RuntimeError``:
        its ``agent.start`` is written, and its actions would stay out of that parent's tree. A ``parent_run_id``
        that is not an identifier the pipeline reads (a non-empty string, at most ``MAX_ID_CHARS`` characters and
        ``MAX_ID_BYTES`` (400) bytes of UTF-8) raises a ``TypeError`` or ``ValueError``."""
        if parent_run_id is not None:
            _check_id(f"{self.agent} run {self.run_id}: start()", "parent_run_id", parent_run_id)
        with self._shared.lock:
            if self._started_by is not None and parent_run_id is not None and parent_run_id != self._started_under:
                now = "as a root of its own" if self._started_under is None else f"under parent {self._started_under}"
                raise RuntimeError(
                    f"{self.agent} run {self.run_id} already started, {now} ({self._started_by} started it): start(parent_run_id={json.dumps(parent_run_id)}) "
                    f"must come before its first action, or its actions stay out of {parent_run_id}'s tree and budget. Nothing was recorded."
                )
            self._begin("start()", parent_run_id)

    def _begin(self, by: str, parent_run_id: Optional[str] = None) -> None:
        """Writes ``agent.start`` unless the run has started, ``by`` saying what started it."""
        with self._shared.lock:
            if self._started_by is not None:
                return
            parent = parent_run_id if parent_run_id is not None else self.parent_run_id
            body: Dict[str, Any] = {"type": "agent.start", "agent": self.agent, "run_id": self.run_id}
            if parent is not None:
                body["parent_run_id"] = parent
            if self._own_budget is not None:
                body["budget"] = {key: _json_number(value) if isinstance(value, float) else value for key, value in self._own_budget.items()}
            # Written, then marked started: a write that raises leaves the run to start again, not started with no line.
            self._line(body)
            self._started_by = by
            self._started_under = parent

    def tick(self, n: Optional[int] = None) -> int:
        """Starts the next tick (one loop iteration, one turn); per-tick budgets start afresh. Returns its number."""
        if n is not None:
            number = _number(n, True)
            if number is None:
                kind = _error_kind(n)
                problem = _past_safe_integer("tick(n)", n) or f"tick(n) takes a whole number, 0 or more; got {_described(n)}"
                raise kind(f"{self.agent} run {self.run_id}: {problem}")
            n = int(number)
        with self._shared.lock:
            self._shared.tick = n if n is not None else (0 if self._shared.tick is None else self._shared.tick + 1)
            return self._shared.tick

    def remaining(self, tick: Optional[int] = None) -> Dict[str, Union[int, float]]:
        """The tightest of the budgets this run acts under (in ``tick``, default the current one): ``{"actions": …, "cost_usd": …}``, a key only where there is a limit."""
        with self._shared.lock:
            at = tick if tick is not None else self._shared.tick
            out: Dict[str, Union[int, float]] = {}
            for pool in self._pools:
                out = _tighter(out, pool.remaining(at))
            return out

    def try_action(self, action: str, *, name: Optional[str] = None, tick: Optional[int] = None, cost_usd: Optional[float] = None, tokens_in: Optional[int] = None, tokens_out: Optional[int] = None, duration_ms: Optional[float] = None) -> Union[ActionReceipt, BudgetExhaustedError]:
        """Records one action (an LLM call, a tool call, …) after checking every budget above this run.

        Returns a receipt, or the ``BudgetExhaustedError`` when the action would go past a budget,
        its ``cost_usd`` included (nothing written). Raises a ``TypeError`` or ``ValueError``, before
        any budget is touched and with nothing written, when a number is not one the contract
        accepts (nan, negative, fractional tokens, over the pipeline's bounds); a ``RuntimeError`` when
        this run or a run above it has ended (its ``agent.end`` would not count the action).
        """
        # Early, without the lock (nothing is checked or written before it); again under the lock below.
        self._refuse_if_ended("actions")
        if not isinstance(action, str) or action == "":
            raise TypeError(f"{self.agent} run {self.run_id}: an action must be named by non-empty text (llm_call, tool_call, …); got {_described(action)}. Nothing was recorded.")
        detail, problem = _checked_detail({"name": name, "tick": tick, "cost_usd": cost_usd, "tokens_in": tokens_in, "tokens_out": tokens_out, "duration_ms": duration_ms})
        if problem is not None:
            raise type(problem)(
                f"{self.agent} run {self.run_id}: the {action} action's {problem}. Nothing was recorded: pass the measured value "
                "(a cost computed from a model missing from a price table is nan), or leave it out when it is not known."
            )
        with self._shared.lock:
            # Again under the lock: an end() that held it while this thread waited has counted its actions without this one.
            self._refuse_if_ended("actions")
            at = detail.get("tick", self._shared.tick)
            cost = detail.get("cost_usd")
            for pool in self._pools:
                exhausted = pool.check(at, cost, self.run_id, self.agent)
                if exhausted is not None:
                    return exhausted
            self._begin("its first action")
            for pool in self._pools:
                pool.spend(at, cost or 0)
            emitter: Optional[AgentEmitter] = self
            while emitter is not None:
                emitter._subtree_actions += 1
                emitter._subtree_cost += cost or 0
                if cost is not None:
                    emitter._cost_seen = True
                emitter = emitter._parent
            self._seq += 1
            action_id = f"{self.run_id}#{self._nonce}.{self._seq}"
            body: Dict[str, Any] = {"type": "agent.action", "agent": self.agent, "run_id": self.run_id, "action": action, "action_id": action_id}
            if "name" in detail:
                body["name"] = detail["name"]
            if at is not None:
                body["tick"] = at
            for key in ("cost_usd", "tokens_in", "tokens_out", "duration_ms"):
                if key in detail:
                    body[key] = _json_number(detail[key])
            self._line(body)
            return ActionReceipt(action_id=action_id, remaining=self.remaining(at))

    def action(self, action: str, **detail: Any) -> ActionReceipt:
        """Like ``try_action``, but raises the ``BudgetExhaustedError``. Call it before making the call it records."""
        result = self.try_action(action, **detail)
        if isinstance(result, BudgetExhaustedError):
            raise result
        return result

    def tool_call(self, tool: str, args: Union[Mapping[str, Any], str], *, call_id: Optional[str] = None, **detail: Any) -> ActionReceipt:
        """A tool call: the ``tool_call`` action (budget-checked) and the ``tool.call`` line with its arguments.

        ``args`` is a dict, or its JSON text (OpenAI's ``function.arguments``), written as the dict.
        Anything else, and arguments JSON cannot carry (a set, an object, a circular reference),
        raises a ``TypeError`` before the action is recorded. Long texts are cut when the line would
        be too long for the pipeline (256 KiB). Every call spends one action, a retry with the same
        ``call_id`` too (each try is work the run did), though the pipeline keeps one ``tool.call``
        per ``call_id``.
        """
        # Early, without the lock (nothing is checked or written before it); again under the lock below.
        self._refuse_if_ended("tool calls")
        if "name" in detail:
            raise TypeError(f"{self.agent} run {self.run_id}: tool_call takes the tool's name as its first argument, not name=")
        _check_id(f"{self.agent} run {self.run_id}: tool_call()", "the tool's name", tool)
        where = f"{self.agent} run {self.run_id}: tool_call({json.dumps(tool, ensure_ascii=False)})"
        if call_id is not None:
            # The pipeline takes an empty call_id (it is optional, and bounded): so does the kit.
            _check_id(where, "call_id", call_id, empty_ok=True)
        after = ". Nothing was recorded."
        written = _arguments_as_written(where, args, after)

        def body(a: Dict[str, Any]) -> Dict[str, Any]:
            out: Dict[str, Any] = {"type": "tool.call", "tool": tool, "args": a, "agent": self.agent, "run_id": self.run_id}
            if call_id is not None:
                out["call_id"] = call_id
            return out

        fitted = _arguments_within_line(where, written, lambda a: _utf8_len(_dumps(body(a))) + _TS_FIELD_BYTES, after)
        with self._shared.lock:
            self._refuse_if_ended("tool calls")
            receipt = self.action("tool_call", name=tool, **detail)
            self._line(body(fitted))
            return receipt

    def child(self, agent: str, *, budget: Optional[Mapping[str, Any]] = None, run_id: Optional[str] = None) -> "AgentEmitter":
        """A sub-agent run under this one: its actions count against this run's pool (and the root's), and against its own ``budget`` too."""
        # Early, without the lock (nothing is checked or written before it); again under the lock below.
        self._refuse_if_ended("sub-agents")
        _check_id(f"{self.agent} run {self.run_id}: child()", "the sub-agent's name", agent)
        where = f"{self.agent} run {self.run_id}: child({json.dumps(agent, ensure_ascii=False)})"
        if run_id is not None:
            _check_id(where, "run_id", run_id)
        kept = _checked_budget(where, budget)
        with self._shared.lock:
            # Again under the lock: an end() above that held it meanwhile has counted its tree without this run.
            self._refuse_if_ended("sub-agents")
            if run_id is None:
                run_id = self._shared.new_run_id()
                _check_id(where, "the run id new_run_id() gave", run_id)
            self._begin("its first child()")
            return AgentEmitter(self._shared, agent=agent, run_id=run_id, budget=kept, parent=self, inherited=self._pools)

    def end(self, status: str = "ok", *, output_bytes: Optional[int] = None) -> None:
        """Writes ``agent.end`` with the actions (and cost) of this run and everything under it: the honest count.

        ``status`` is non-empty text (``ok``, ``error``, ``budget_exhausted``, …) and ``output_bytes`` a whole
        number, 0 or more: anything else raises a ``TypeError`` or ``ValueError`` with nothing written and the
        run not ended, so a corrected ``end()`` still writes the count. The run is marked ended once its line is written."""
        where = f"{self.agent} run {self.run_id}: end()"
        if not isinstance(status, str) or status == "":
            kind = ValueError if isinstance(status, str) else TypeError
            raise kind(f'{where}: status must be non-empty text ("ok", "error", "budget_exhausted", …); got {_described(status)}. Nothing was recorded: the run is not ended.')
        written_bytes = None if output_bytes is None else _number(output_bytes, True)
        if output_bytes is not None and written_bytes is None:
            problem = _past_safe_integer("output_bytes", output_bytes) or f"output_bytes must be a whole number of bytes, 0 or more; got {_described(output_bytes)}"
            raise _error_kind(output_bytes)(f"{where}: {problem}. Nothing was recorded: the run is not ended.")
        with self._shared.lock:
            if self._ended:
                return
            self._begin("end()")
            body: Dict[str, Any] = {"type": "agent.end", "agent": self.agent, "run_id": self.run_id, "status": status, "actions_reported": self._subtree_actions}
            if self._cost_seen:
                # Rounded half up to the micro-dollar, as JavaScript's Math.round does it.
                body["cost_reported_usd"] = _json_number(math.floor(self._subtree_cost * 1e6 + 0.5) / 1e6)
            if self.parent_run_id is not None:
                body["parent_run_id"] = self.parent_run_id
            if written_bytes is not None:
                body["output_bytes"] = written_bytes
            # Written, then marked ended: a write that raises leaves the run open, for an end() that writes the count.
            self._line(body)
            self._ended = True


def create_agent_emitter(
    agent: str,
    *,
    write: Optional[Callable[[str], Any]] = None,
    budget: Optional[Mapping[str, Any]] = None,
    clock: Optional[Callable[[], float]] = None,
    run_id: Optional[str] = None,
    new_run_id: Optional[Callable[[], str]] = None,
    new_nonce: Optional[Callable[[], str]] = None,
) -> AgentEmitter:
    """The root run's emitter; its budget is the pool every ``child()`` shares.

    ``write`` gets one JSON line (no newline) per call: default stdout, the line and its newline in one
    write, flushed, under one lock for the process (what CloudWatch reads from a Lambda or a container); ``logger.info`` or a file's ``write`` fit too.
    ``budget`` is ``{"max_actions": 20, "max_cost_usd": 0.5, "scope": "task"}`` as the config takes it:
    anything else raises a ``TypeError`` or ``ValueError``. ``clock`` returns epoch seconds (default
    ``time.time``); ``run_id`` and ``new_run_id`` default to random UUIDs. ``new_nonce`` gives each
    emitter (root and sub-agent) the nonce of its ``action_id``s (``<run_id>#<nonce>.<seq>``), default
    8 random hex characters: another process writing under the same run id (a Kubernetes Job's
    retried pod, a conversation resumed on another replica) gets another, so the pipeline, which
    counts one ``action_id`` once, does not take its actions for redeliveries.
    ``agent``, ``run_id`` and the ids ``new_run_id`` gives are non-empty strings of at most ``MAX_ID_CHARS``
    characters (``MAX_ID_BYTES`` bytes of UTF-8), as the pipeline reads them: anything else (a number, a
    ``uuid.UUID``: pass ``str(it)``) raises a ``TypeError`` or ``ValueError``.
    """
    _check_id("create_agent_emitter()", "agent", agent)
    where = f"create_agent_emitter({json.dumps(agent, ensure_ascii=False)})"
    if run_id is not None:
        _check_id(where, "run_id", run_id)
    kept = _checked_budget(where, budget)
    shared = _Shared(write if write is not None else _print_line, clock if clock is not None else time.time, new_run_id if new_run_id is not None else (lambda: str(uuid.uuid4())), new_nonce if new_nonce is not None else (lambda: secrets.token_hex(4)))
    if run_id is None:
        run_id = shared.new_run_id()
        _check_id(where, "the run id new_run_id() gave", run_id)
    return AgentEmitter(shared, agent=agent, run_id=run_id, budget=kept, parent=None, inherited=[])
