"""silent-audit's agent kit for Python: the emitter of ``lambdas/agent-kit`` (TypeScript), standard library only.

``create_agent_emitter`` writes the contract's agent lines (``agent.start``, ``agent.action``,
``agent.end``, ``tool.call``) and keeps one budget pool per root run, shared by sub-agents,
decremented at the innermost call, refusing the action that would go past it
(``BudgetExhaustedError``). Tool-argument checks (``validateToolArgs``) are in the JavaScript kit
and in the pipeline's ``tool-arg-invalid`` detector, which judges the ``tool.call`` lines written here.
"""

from .emitter import (
    MAX_COST_USD,
    MAX_DURATION_MS,
    MAX_ID_BYTES,
    MAX_ID_CHARS,
    MAX_LINE_BYTES,
    MAX_TOKENS,
    ActionReceipt,
    AgentEmitter,
    BudgetExhaustedError,
    create_agent_emitter,
)

__all__ = [
    "ActionReceipt",
    "AgentEmitter",
    "BudgetExhaustedError",
    "create_agent_emitter",
    "MAX_COST_USD",
    "MAX_DURATION_MS",
    "MAX_ID_BYTES",
    "MAX_ID_CHARS",
    "MAX_LINE_BYTES",
    "MAX_TOKENS",
]
