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
        run = runs[op["run"]]
        kind = op["op"]
        if kind == "action":
            outcomes.append(outcome_of(run.try_action(op["action"], **op.get("detail", {}))))
        elif kind == "tool_call":
            detail = dict(op.get("detail", {}))
            outcomes.append(outcome_of(run.tool_call(op["tool"], op["args"], **detail)))
        elif kind == "child":
            runs[op["as"]] = run.child(op["agent"], budget=op.get("budget"))
            outcomes.append(None)
        elif kind == "tick":
            outcomes.append(run.tick())
        elif kind == "remaining":
            outcomes.append(run.remaining())
        elif kind == "end":
            run.end(op.get("status", "ok"))
            outcomes.append(None)
        else:
            raise ValueError(f"unknown operation {kind!r}")
    json.dump({"lines": lines, "outcomes": outcomes}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
