"""Runs a scenario (a JSON file: a root run and a list of operations) through the Python emitter
and prints what happened as one JSON object: the lines written, and each operation's outcome.
test/agent-kit/python-parity.test.ts runs the same scenario through the TypeScript kit and
compares the two. Default clock and run ids: the test normalises them.

    python3 parity_driver.py scenario.json
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from silent_audit_agent_kit import BudgetExhaustedError, create_agent_emitter  # noqa: E402


def outcome_of(result):
    if isinstance(result, BudgetExhaustedError):
        return {"refused": {"limit": result.limit, "scope": result.scope, "max": result.max, "used": result.used, "budget_run_id": result.budget_run_id, "run_id": result.run_id, "message": str(result)}}
    return {"action_id": result.action_id, "remaining": result.remaining}


def main(path):
    with open(path, encoding="utf-8") as file:
        scenario = json.load(file)
    lines = []
    root = scenario["root"]
    runs = {"root": create_agent_emitter(root["agent"], write=lines.append, budget=root.get("budget"))}
    outcomes = []
    for op in scenario["ops"]:
        try:
            outcomes.append(outcome_of_op(runs, op))
        except RuntimeError as error:
            # Acting on a run that has ended, or under one (TypeScript: Error).
            outcomes.append({"error": str(error)})
    json.dump({"lines": lines, "outcomes": outcomes}, sys.stdout)


def outcome_of_op(runs, op):
    run = runs[op["run"]]
    kind = op["op"]
    if kind == "action":
        return outcome_of(run.try_action(op["action"], **op.get("detail", {})))
    if kind == "tool_call":
        return outcome_of(run.tool_call(op["tool"], op["args"], **dict(op.get("detail", {}))))
    if kind == "child":
        runs[op["as"]] = run.child(op["agent"], budget=op.get("budget"), run_id=op.get("run_id"))
        return None
    if kind == "tick":
        return run.tick()
    if kind == "remaining":
        return run.remaining()
    if kind == "end":
        run.end(op.get("status", "ok"))
        return None
    raise ValueError(f"unknown operation {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1])
