"""Unit tests of the Python agent emitter (run by `npm test` through test/agent-kit/python-parity.test.ts).

    python3 -m unittest discover -s tests      (from python/)
"""

import decimal
import io
import json
import math
import os
import sys
import threading
import time
import unittest
import uuid
from contextlib import redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from silent_audit_agent_kit import MAX_ID_BYTES, MAX_ID_CHARS, MAX_LINE_BYTES, BudgetExhaustedError, create_agent_emitter  # noqa: E402

START = 1_791_194_400.0  # 2026-10-05T10:00:00Z


def setup(budget=None):
    """An emitter writing into a list, with a clock that ticks a second per line and readable run ids."""
    lines = []
    clock = {"t": START}
    ids = {"n": 0}

    def tick_clock():
        clock["t"] += 1
        return clock["t"]

    def new_run_id():
        ids["n"] += 1
        return f"r-1.{ids['n']}"

    root = create_agent_emitter("support-bot", write=lines.append, budget=budget, clock=tick_clock, run_id="r-1", new_run_id=new_run_id, new_nonce=lambda: "a1b2c3d4")
    return root, lines, lambda: [json.loads(line) for line in lines]


class EmitterTest(unittest.TestCase):
    def test_writes_contract_lines_and_refuses_the_action_after_the_last_one_the_budget_allows(self):
        # Prepare
        root, lines, parsed = setup({"max_actions": 3})
        # Act
        receipts = [root.action("llm_call", name="gpt-4o", tokens_in=900, tokens_out=80), root.action("tool_call", name="lookup_customer"), root.action("llm_call")]
        refused = root.try_action("llm_call")
        # Assess
        self.assertEqual([r.remaining for r in receipts], [{"actions": 2}, {"actions": 1}, {"actions": 0}])
        self.assertIsInstance(refused, BudgetExhaustedError)
        self.assertRaises(BudgetExhaustedError, root.action, "llm_call")
        self.assertEqual((refused.limit, refused.scope, refused.max, refused.used, refused.budget_run_id, refused.run_id), ("actions", "task", 3, 3, "r-1", "r-1"))
        self.assertEqual(str(refused), 'budget exhausted: 3 of 3 actions used (budget of run r-1); support-bot run r-1 must stop: end the run with status "budget_exhausted" and leave the rest for review')
        self.assertEqual(lines[0], '{"type":"agent.start","agent":"support-bot","run_id":"r-1","budget":{"max_actions":3,"scope":"task"},"ts":"2026-10-05T10:00:01.000Z"}')
        self.assertEqual(
            parsed()[1:],
            [
                {"type": "agent.action", "agent": "support-bot", "run_id": "r-1", "action": "llm_call", "action_id": "r-1#a1b2c3d4.1", "name": "gpt-4o", "tokens_in": 900, "tokens_out": 80, "ts": "2026-10-05T10:00:02.000Z"},
                {"type": "agent.action", "agent": "support-bot", "run_id": "r-1", "action": "tool_call", "action_id": "r-1#a1b2c3d4.2", "name": "lookup_customer", "ts": "2026-10-05T10:00:03.000Z"},
                {"type": "agent.action", "agent": "support-bot", "run_id": "r-1", "action": "llm_call", "action_id": "r-1#a1b2c3d4.3", "ts": "2026-10-05T10:00:04.000Z"},
            ],
        )

    def test_shares_one_pool_with_every_sub_agent_and_ends_with_the_honest_subtree_counts(self):
        # Prepare
        root, _, parsed = setup({"max_actions": 6})
        researcher = root.child("researcher")
        checker = researcher.child("fact-checker")
        # Act
        root.action("llm_call", cost_usd=0.01)
        root.action("llm_call")
        researcher.action("tool_call", name="web_search", cost_usd=0.02)
        researcher.action("tool_call", name="web_search")
        checker.action("llm_call", cost_usd=0.03)
        researcher.action("llm_call")
        refused = [root.try_action("llm_call"), researcher.try_action("llm_call"), checker.try_action("llm_call")]
        checker.end()
        researcher.end()
        root.end("budget_exhausted")
        # Assess
        self.assertEqual([r.budget_run_id for r in refused], ["r-1", "r-1", "r-1"])
        lines = parsed()
        self.assertEqual([(l["run_id"], l.get("parent_run_id")) for l in lines if l["type"] == "agent.start"], [("r-1", None), ("r-1.1", "r-1"), ("r-1.2", "r-1.1")])
        self.assertEqual(
            [(l["run_id"], l["status"], l["actions_reported"], l["cost_reported_usd"], l.get("parent_run_id")) for l in lines if l["type"] == "agent.end"],
            [("r-1.2", "ok", 1, 0.03, "r-1.1"), ("r-1.1", "ok", 4, 0.05, "r-1"), ("r-1", "budget_exhausted", 6, 0.06, None)],
        )

    def test_holds_a_sub_agent_to_its_own_smaller_budget_while_the_others_go_on(self):
        # Prepare
        root, _, parsed = setup({"max_actions": 20})
        researcher = root.child("researcher", budget={"max_actions": 2})
        # Act
        researcher.action("llm_call")
        after_one = researcher.remaining()
        researcher.action("llm_call")
        refused = researcher.try_action("llm_call")
        # Assess
        self.assertEqual(after_one, {"actions": 1})
        self.assertEqual(refused.budget_run_id, "r-1.1")
        self.assertEqual(root.action("llm_call").remaining, {"actions": 17})
        self.assertEqual(parsed()[1]["budget"], {"max_actions": 2, "scope": "task"})

    def test_refuses_a_tick_number_saying_what_it_takes_and_keeps_the_tick(self):
        cases = [
            (1.5, "tick(n) takes a whole number, 0 or more; got 1.5"),
            (-1, "tick(n) takes a whole number, 0 or more; got -1"),
            (2**60, "tick(n) must be at most 9007199254740991 (2^53 - 1); got 1152921504606846976"),
        ]
        for n, problem in cases:
            with self.subTest(n=n):
                # Prepare
                root, _, _ = setup({"max_actions": 2, "scope": "tick"})
                root.tick(4)
                # Act
                with self.assertRaises(ValueError) as raised:
                    root.tick(n)
                # Assess
                self.assertEqual(str(raised.exception), f"support-bot run r-1: {problem}")
                self.assertEqual(root.action("llm_call").remaining, {"actions": 1})
                self.assertEqual(root.tick(), 5)

    def test_keeps_a_per_tick_budget_per_tick(self):
        # Prepare
        root, _, parsed = setup({"max_actions": 2, "scope": "tick"})
        # Act
        root.tick()
        root.action("llm_call")
        root.action("tool_call")
        refused = root.try_action("llm_call")
        second = root.tick()
        receipt = root.action("llm_call")
        # Assess
        self.assertIsInstance(refused, BudgetExhaustedError)
        self.assertIn("2 of 2 actions used in tick 0", str(refused))
        self.assertEqual(second, 1)
        self.assertEqual(receipt.remaining, {"actions": 1})
        self.assertEqual([l["tick"] for l in parsed() if l["type"] == "agent.action"], [0, 0, 1])

    def test_refuses_the_action_whose_cost_would_go_past_the_cost_budget(self):
        # Prepare
        root, _, parsed = setup({"max_cost_usd": 0.05})
        # Act
        receipts = [root.action("llm_call", cost_usd=0.02), root.action("llm_call", cost_usd=0.02)]
        too_dear = root.try_action("llm_call", cost_usd=0.02)
        exact_fit = root.action("llm_call", cost_usd=0.01)
        unknown_cost = root.try_action("llm_call")
        root.end()
        # Assess
        self.assertAlmostEqual(receipts[0].remaining["cost_usd"], 0.03, places=9)
        self.assertAlmostEqual(receipts[1].remaining["cost_usd"], 0.01, places=9)
        self.assertEqual(too_dear.limit, "cost")
        self.assertIn("$0.0400 of $0.05 used (budget of run r-1), and this action's $0.0200 would go past it", str(too_dear))
        self.assertAlmostEqual(exact_fit.remaining["cost_usd"], 0, places=9)
        self.assertEqual(unknown_cost.limit, "cost")
        self.assertEqual({k: parsed()[-1][k] for k in ("type", "actions_reported", "cost_reported_usd")}, {"type": "agent.end", "actions_reported": 3, "cost_reported_usd": 0.05})

    def test_takes_the_action_that_fits_the_cost_budget_but_for_float_dust(self):
        # Prepare: 0.1 + 0.2 is 0.30000000000000004 in floats; budget-exceeded allows a millionth of a dollar.
        root, _, _ = setup({"max_cost_usd": 0.3})
        root.action("llm_call", cost_usd=0.1)
        # Act
        result = root.try_action("llm_call", cost_usd=0.2)
        # Assess
        self.assertNotIsInstance(result, BudgetExhaustedError)
        self.assertIsInstance(root.try_action("llm_call", cost_usd=0.001), BudgetExhaustedError)

    def test_refuses_a_number_the_contract_refuses_before_it_touches_a_budget(self):
        cases = [
            ("cost_usd", math.nan, ValueError, "cost_usd must be a number of dollars, 0 or more; got nan"),
            ("cost_usd", -0.2, ValueError, "cost_usd must be a number of dollars, 0 or more; got -0.2"),
            ("cost_usd", "0.05", TypeError, 'cost_usd must be a number of dollars, 0 or more; got the string "0.05"'),
            ("cost_usd", True, TypeError, "cost_usd must be a number of dollars, 0 or more; got True"),
            ("duration_ms", math.inf, ValueError, "duration_ms must be a number of milliseconds, 0 or more; got inf"),
            ("tokens_in", 12.5, ValueError, "tokens_in must be a whole number of tokens, 0 or more; got 12.5"),
            ("tokens_out", -1, ValueError, "tokens_out must be a whole number of tokens, 0 or more; got -1"),
            ("tick", 1.5, ValueError, "tick must be a whole number, 0 or more; got 1.5"),
            ("cost_usd", 1e308, ValueError, "cost_usd must be at most 1000000 dollars; got 1e+308"),
            ("tokens_in", 10**12, ValueError, "tokens_in must be at most 1000000000 tokens; got 1000000000000"),
            ("duration_ms", 4e10, ValueError, "duration_ms must be at most 31622400000 (366 days); got 40000000000.0"),
            ("tokens_in", 10**400, ValueError, "tokens_in must be at most 1000000000 tokens; got 1.000e+400"),
            ("tokens_in", 2**60, ValueError, "tokens_in must be at most 1000000000 tokens; got 1152921504606846976"),
            ("tick", 2**60, ValueError, "tick must be at most 9007199254740991 (2^53 - 1); got 1152921504606846976"),
            ("tick", 1e300, ValueError, "tick must be at most 9007199254740991 (2^53 - 1); got 1e+300"),
        ]
        for key, value, error, problem in cases:
            with self.subTest(key=key, value=value):
                # Prepare
                root, lines, _ = setup({"max_cost_usd": 0.1})
                # Act
                with self.assertRaises(error) as raised:
                    root.try_action("llm_call", name="gpt-4o-mini", **{key: value})
                after = [root.try_action("llm_call", cost_usd=0.05) for _ in range(3)]
                # Assess
                self.assertTrue(str(raised.exception).startswith(f"support-bot run r-1: the llm_call action's {problem}. Nothing was recorded:"), str(raised.exception))
                self.assertEqual(len(lines), 3)  # agent.start and the two actions the budget allows: the bad one left nothing
                self.assertIsInstance(after[2], BudgetExhaustedError)

    def test_writes_whole_numbers_given_as_floats_as_javascript_writes_them(self):
        # Prepare
        root, lines, _ = setup({"max_actions": 5.0, "max_cost_usd": 1.0})
        # Act
        root.action("llm_call", tokens_in=900.0, cost_usd=1.0)
        root.end()
        # Assess
        self.assertIn('"budget":{"max_actions":5,"max_cost_usd":1,"scope":"task"}', lines[0])
        self.assertIn('"tokens_in":900', lines[1])
        self.assertIn('"cost_usd":1,', lines[1])
        self.assertIn('"cost_reported_usd":1,', lines[2])

    def test_refuses_a_budget_the_config_and_the_pipeline_refuse(self):
        cases = [
            ({"max_actions": 0}, ValueError, "budget.max_actions must be a whole number above 0; got 0"),
            ({"max_actions": 2.5}, ValueError, "budget.max_actions must be a whole number above 0; got 2.5"),
            ({"max_actions": "20"}, TypeError, 'budget.max_actions must be a whole number above 0; got the string "20"'),
            ({"max_actions": 2**53}, ValueError, "budget.max_actions must be at most 9007199254740991 (2^53 - 1); got 9007199254740992"),
            ({"max_cost_usd": -1}, ValueError, "budget.max_cost_usd must be a number of dollars, 0 or more; got -1"),
            ({"max_cost_usd": math.nan}, ValueError, "budget.max_cost_usd must be a number of dollars, 0 or more; got nan"),
            ({"max_actions": 5, "scope": "day"}, ValueError, 'budget.scope must be "task" or "tick"; got the string "day"'),
            ({"max_action": 5}, ValueError, "budget has no max_action: it takes max_actions, max_cost_usd and scope"),
            ([5], TypeError, 'budget must be a dict such as {"max_actions": 20, "max_cost_usd": 0.5}; got a list'),
        ]
        for budget, error, problem in cases:
            with self.subTest(budget=budget):
                # Prepare
                root, lines, _ = setup({"max_actions": 10})
                # Act
                with self.assertRaises(error) as on_root:
                    create_agent_emitter("support-bot", write=lines.append, budget=budget)
                with self.assertRaises(error) as on_child:
                    root.child("researcher", budget=budget)
                # Assess
                self.assertEqual(str(on_root.exception), f'create_agent_emitter("support-bot"): {problem} (the rules of agents.<agent>.budget in the config).')
                self.assertEqual(str(on_child.exception), f'support-bot run r-1: child("researcher"): {problem} (the rules of agents.<agent>.budget in the config).')
                self.assertEqual(lines, [])

    def test_a_second_process_under_the_same_run_id_writes_action_ids_of_its_own(self):
        # Prepare: a Kubernetes Job pod OOM-killed after 3 actions, and its retry under the same task id.
        lines = []
        killed = create_agent_emitter("triage", write=lines.append, run_id="task-42")
        retry = create_agent_emitter("triage", write=lines.append, run_id="task-42")
        # Act
        for run in (killed, retry):
            for _ in range(3):
                run.action("llm_call")
        # Assess: the pipeline counts one action_id once, so none may repeat.
        ids = [json.loads(line)["action_id"] for line in lines if json.loads(line)["type"] == "agent.action"]
        self.assertEqual(len(ids), 6)
        self.assertEqual(len(set(ids)), 6)
        for action_id in ids:
            self.assertRegex(action_id, r"^task-42#[0-9a-f]{8}\.[1-3]$")

    def test_writes_a_tool_call_from_a_dict_or_from_json_text_as_the_object(self):
        # Prepare
        root, _, parsed = setup()
        # Act
        root.tool_call("escalate_to_human", {"user_id": "3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f", "score": math.nan}, call_id="call_7")
        root.tool_call("escalate_to_human", '{"user_id":"the user mentioned in the conversation"}', call_id="call_9")
        # Assess
        lines = parsed()
        self.assertEqual(lines[1], {"type": "agent.action", "agent": "support-bot", "run_id": "r-1", "action": "tool_call", "action_id": "r-1#a1b2c3d4.1", "name": "escalate_to_human", "ts": "2026-10-05T10:00:02.000Z"})
        self.assertEqual(lines[2], {"type": "tool.call", "tool": "escalate_to_human", "args": {"user_id": "3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f", "score": None}, "agent": "support-bot", "run_id": "r-1", "call_id": "call_7", "ts": "2026-10-05T10:00:03.000Z"})
        self.assertEqual(lines[4]["args"], {"user_id": "the user mentioned in the conversation"})

    def test_refuses_arguments_it_cannot_write_and_records_nothing(self):
        circular = {"user_id": "usr_8412"}
        circular["self"] = circular
        cases = [None, ["the user"], 42, "not JSON", "[1, 2]", {"tags": {"a", "b"}}, circular]
        for args in cases:
            with self.subTest(args=type(args).__name__):
                # Prepare
                root, lines, _ = setup({"max_actions": 1})
                # Act
                with self.assertRaises(TypeError) as raised:
                    root.tool_call("escalate_to_human", args)
                # Assess
                self.assertTrue(str(raised.exception).startswith('support-bot run r-1: tool_call("escalate_to_human") args '), str(raised.exception))
                self.assertTrue(str(raised.exception).endswith(". Nothing was recorded."), str(raised.exception))
                self.assertEqual(lines, [])
                self.assertEqual(root.remaining(), {"actions": 1})

    def test_cuts_long_texts_so_the_tool_call_line_fits_the_pipeline_and_refuses_what_no_cut_fits(self):
        # Prepare
        content = "Quarterly report. " * 16_000
        pages = ["é" * 3000]
        many = {f"section_{i}": "lorem ipsum " * 100 for i in range(300)}
        numbers = {"samples": [i * 1000 for i in range(60_000)]}
        root, lines, parsed = setup({"max_actions": 5})
        # Act
        root.tool_call("write_file", {"document_id": "doc_1", "content": content, "pages": pages}, call_id="c1")
        root.tool_call("write_sections", many, call_id="c2")
        with self.assertRaises(TypeError) as too_big:
            root.tool_call("store_samples", numbers, call_id="c3")
        # Assess
        self.assertLessEqual(len(lines[2].encode("utf-8")), MAX_LINE_BYTES)
        written = parsed()[2]["args"]
        self.assertEqual(written["content"], f"{content[:2048]}… [{len(content) - 2048} more bytes cut]")
        self.assertEqual(written["pages"], [f"{'é' * 1024}… [{6000 - 2048} more bytes cut]"])
        self.assertEqual(written["document_id"], "doc_1")
        self.assertLessEqual(len(lines[4].encode("utf-8")), MAX_LINE_BYTES)
        self.assertEqual(parsed()[4]["args"]["section_0"], f"{('lorem ipsum ' * 100)[:512]}… [{1200 - 512} more bytes cut]")
        self.assertRegex(str(too_big.exception), r"args make a tool\.call line of \d+ bytes even with every text cut to 128 bytes; the pipeline drops lines over 262144 bytes")
        self.assertEqual(len(lines), 5)
        self.assertEqual(root.remaining(), {"actions": 3})

    def test_prints_one_json_line_to_stdout_by_default(self):
        # Prepare
        out = io.StringIO()
        # Act
        with redirect_stdout(out):
            run = create_agent_emitter("support-bot")
            run.action("llm_call")
            run.end()
        # Assess
        lines = out.getvalue().splitlines()
        self.assertEqual([json.loads(line)["type"] for line in lines], ["agent.start", "agent.action", "agent.end"])
        self.assertRegex(json.loads(lines[0])["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertRegex(json.loads(lines[0])["run_id"], r"^[0-9a-f-]{36}$")

    def test_default_writer_drops_the_lines_silently_when_there_is_no_stdout(self):
        # Prepare: no stdout, as under pythonw or in a service detached from any console.
        with redirect_stdout(None):
            # Act
            run = create_agent_emitter("support-bot", run_id="r-1")
            receipt = run.action("llm_call")
            run.tool_call("web_search", {"q": "x"})
            child = run.child("researcher", run_id="r-1.1")
            child.action("llm_call")
            child.end()
            run.end("ok", output_bytes=10)
        # Assess: every call returned as print would have let it, the pool kept.
        self.assertTrue(receipt.action_id.startswith("r-1#"))
        with self.assertRaisesRegex(RuntimeError, "already ended: no actions after end"):
            run.action("llm_call")

    def test_threads_of_one_agent_share_the_pool_without_going_past_it(self):
        # Prepare
        root, lines, _ = setup({"max_actions": 100})
        workers = [root.child(f"worker-{i}") for i in range(8)]
        results = []

        def work(run):
            results.extend(run.try_action("llm_call") for _ in range(50))

        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        # Act
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Assess
        self.assertEqual(sum(1 for r in results if not isinstance(r, BudgetExhaustedError)), 100)
        self.assertEqual(sum(1 for line in lines if '"agent.action"' in line), 100)

    def test_no_action_after_end(self):
        # Prepare
        root, _, _ = setup()
        root.end()
        # Act / Assess
        self.assertRaises(RuntimeError, root.action, "llm_call")

    def test_refuses_start_with_a_parent_once_the_run_has_started_and_takes_a_repeat_that_changes_nothing(self):
        # Prepare: a remote sub-agent that acted before it read its parent's run id, and one that started with it
        lines = []
        late = create_agent_emitter("remote-worker", write=lines.append, run_id="R1.late")
        early = create_agent_emitter("remote-worker", write=lines.append, run_id="R1.early")
        late.action("llm_call")
        early.start(parent_run_id="R1")
        # Act / Assess
        with self.assertRaises(RuntimeError) as refused:
            late.start(parent_run_id="R1")
        self.assertEqual(
            str(refused.exception),
            "remote-worker run R1.late already started, as a root of its own (its first action started it): start(parent_run_id=\"R1\") must come before its first action, or its actions stay out of R1's tree and budget. Nothing was recorded.",
        )
        with self.assertRaisesRegex(RuntimeError, "remote-worker run R1.early already started, under parent R1"):
            early.start(parent_run_id="R2")
        late.start()
        early.start(parent_run_id="R1")
        self.assertEqual(sum(1 for line in lines if '"agent.start"' in line), 2)

    def test_refuses_a_sub_agents_action_tool_call_and_child_once_a_run_above_it_has_ended(self):
        # Prepare
        root, _, parsed = setup()
        researcher = root.child("researcher")
        checker = researcher.child("fact-checker")
        root.action("llm_call")
        researcher.action("llm_call")
        checker.action("llm_call")
        # Act
        root.end()
        late = [
            lambda: researcher.action("llm_call"),
            lambda: checker.try_action("llm_call"),
            lambda: checker.tool_call("web_search", {"q": "x"}),
            lambda: researcher.child("summarizer"),
            lambda: root.action("llm_call"),
            lambda: root.child("summarizer"),
        ]
        errors = []
        for act in late:
            try:
                act()
                errors.append("accepted")
            except RuntimeError as error:
                errors.append(str(error))
        checker.end()
        researcher.end()
        # Assess
        self.assertEqual(
            errors,
            [
                "researcher run r-1.1: its parent support-bot run r-1, already ended, and its agent.end counted the actions under it: no actions after that end(). End a sub-agent before the run above it. Nothing was recorded.",
                "fact-checker run r-1.2: a run above it, support-bot run r-1, already ended, and its agent.end counted the actions under it: no actions after that end(). End a sub-agent before the run above it. Nothing was recorded.",
                "fact-checker run r-1.2: a run above it, support-bot run r-1, already ended, and its agent.end counted the actions under it: no tool calls after that end(). End a sub-agent before the run above it. Nothing was recorded.",
                "researcher run r-1.1: its parent support-bot run r-1, already ended, and its agent.end counted the actions under it: no sub-agents after that end(). End a sub-agent before the run above it. Nothing was recorded.",
                "support-bot run r-1 already ended: no actions after end()",
                "support-bot run r-1 already ended: no sub-agents after end()",
            ],
        )
        self.assertEqual(sum(1 for line in parsed() if line["type"] == "agent.action"), 3)
        self.assertEqual([(line["run_id"], line["actions_reported"]) for line in parsed() if line["type"] == "agent.end"], [("r-1", 3), ("r-1.2", 1), ("r-1.1", 2)])

    def test_refuses_an_action_that_waited_for_the_lock_while_end_wrote_the_count(self):
        # Prepare: end() holds the tree's lock, blocked writing agent.start, while an action has
        # passed its argument checks (its cost is read) and waits for that lock.
        lines = []
        end_writing = threading.Event()
        action_checked = threading.Event()

        def blocking_write(line):
            if '"agent.start"' in line:
                end_writing.set()
                action_checked.wait(5)
            lines.append(json.loads(line))

        root = create_agent_emitter("support-bot", write=blocking_write, run_id="r-1")

        class CostThatSignals(float):
            def __float__(self):
                action_checked.set()
                return float.__float__(self)

        outcome = []

        def act():
            try:
                outcome.append(root.try_action("llm_call", cost_usd=CostThatSignals(0.01)))
            except RuntimeError as error:
                outcome.append(error)

        ender = threading.Thread(target=root.end)
        actor = threading.Thread(target=act)
        # Act
        ender.start()
        self.assertTrue(end_writing.wait(5))
        actor.start()
        actor.join(5)
        ender.join(5)
        # Assess
        self.assertEqual([line["type"] for line in lines], ["agent.start", "agent.end"])
        self.assertEqual(lines[-1]["actions_reported"], 0)
        self.assertEqual(len(outcome), 1)
        self.assertIsInstance(outcome[0], RuntimeError)
        self.assertIn("already ended: no actions after end()", str(outcome[0]))


    def test_default_writer_keeps_each_line_whole_when_threads_each_run_their_own_root(self):
        # Prepare: a stdout that lets another thread in between any two writes, as a real one may.
        class YieldingStdout(io.StringIO):
            writes = []

            def write(self, text):
                self.writes.append(text)
                time.sleep(0)
                return super().write(text)

        out = YieldingStdout()

        def conversation(i):
            run = create_agent_emitter("chat-bot", run_id=f"conv-{i}")
            for _ in range(20):
                run.action("llm_call", tokens_in=10, tokens_out=5)
            run.end("ok", output_bytes=10)

        threads = [threading.Thread(target=conversation, args=(i,)) for i in range(16)]
        # Act
        with redirect_stdout(out):
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        # Assess: one write per line, line and newline together; every line one JSON object.
        self.assertEqual([w for w in out.writes if not (w.endswith("\n") and w.count("\n") == 1)], [])
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        self.assertEqual(len(lines), 16 * 22)
        self.assertEqual(sorted(line["run_id"] for line in lines if line["type"] == "agent.end"), sorted(f"conv-{i}" for i in range(16)))

    def test_refuses_an_id_or_name_the_pipeline_rejects_and_records_nothing(self):
        cases = [
            ("run_id 42", lambda w: create_agent_emitter("bot", write=w, run_id=42), TypeError, 'create_agent_emitter("bot"): run_id must be a non-empty string; got 42'),
            ("a uuid.UUID", lambda w: create_agent_emitter("bot", write=w, run_id=uuid.UUID(int=1)), TypeError, "run_id must be a non-empty string; got an UUID"),
            ("an empty agent", lambda w: create_agent_emitter("", write=w), ValueError, "create_agent_emitter(): agent must be a non-empty string; got the empty string"),
            ("new_run_id giving a number", lambda w: create_agent_emitter("bot", write=w, new_run_id=lambda: 7), TypeError, "the run id new_run_id() gave must be a non-empty string; got 7"),
            ("a run_id too long", lambda w: create_agent_emitter("bot", write=w, run_id="r" * (MAX_ID_CHARS + 1)), ValueError, f"run_id must be at most {MAX_ID_CHARS} characters (identifiers become storage keys); got {MAX_ID_CHARS + 1}"),
            ("an agent too many bytes", lambda w: create_agent_emitter("\u00e9" * 201, write=w), ValueError, f"agent must be at most {MAX_ID_BYTES} bytes of UTF-8 (identifiers become storage keys); got 402"),
            ("a child's run_id 7", lambda w: create_agent_emitter("bot", write=w, run_id="r-1").child("sub", run_id=7), TypeError, 'bot run r-1: child("sub"): run_id must be a non-empty string; got 7'),
            ("a child named by None", lambda w: create_agent_emitter("bot", write=w, run_id="r-1").child(None), TypeError, "bot run r-1: child(): the sub-agent's name must be a non-empty string; got None"),
            ("parent_run_id 1001", lambda w: create_agent_emitter("bot", write=w, run_id="r-1").start(parent_run_id=1001), TypeError, "bot run r-1: start(): parent_run_id must be a non-empty string; got 1001"),
            ("call_id 17", lambda w: create_agent_emitter("bot", write=w, run_id="r-1").tool_call("lookup", {}, call_id=17), TypeError, 'bot run r-1: tool_call("lookup"): call_id must be a string; got 17'),
            ("an empty tool", lambda w: create_agent_emitter("bot", write=w, run_id="r-1").tool_call("", {}), ValueError, "bot run r-1: tool_call(): the tool's name must be a non-empty string; got the empty string"),
        ]
        for label, act, kind, message in cases:
            with self.subTest(label):
                lines = []
                with self.assertRaises(kind) as refused:
                    act(lines.append)
                self.assertIn(message, str(refused.exception))
                self.assertIn("Nothing was recorded", str(refused.exception))
                self.assertEqual(lines, [])

    def test_takes_ids_at_the_bound_and_an_empty_call_id_as_the_pipeline_does(self):
        # Prepare
        lines = []
        run = create_agent_emitter("b" * MAX_ID_CHARS, write=lines.append, run_id="\u00e9" * (MAX_ID_BYTES // 2))
        # Act
        run.tool_call("lookup", {"q": "x"}, call_id="")
        run.end("ok", output_bytes=10)
        # Assess
        self.assertEqual([json.loads(line)["type"] for line in lines], ["agent.start", "agent.action", "tool.call", "agent.end"])

    def test_refuses_an_end_the_pipeline_rejects_and_leaves_the_run_open_for_a_corrected_end(self):
        cases = [
            ("nan", dict(output_bytes=float("nan")), ValueError, "output_bytes must be a whole number of bytes, 0 or more; got nan"),
            ("negative", dict(output_bytes=-3), ValueError, "output_bytes must be a whole number of bytes, 0 or more; got -3"),
            ("fractional", dict(output_bytes=12.5), ValueError, "output_bytes must be a whole number of bytes, 0 or more; got 12.5"),
            ("a bool", dict(output_bytes=True), TypeError, "output_bytes must be a whole number of bytes, 0 or more; got True"),
            ("a Decimal", dict(output_bytes=decimal.Decimal(5)), TypeError, "output_bytes must be a whole number of bytes, 0 or more; got Decimal('5')"),
            ("past 2**53", dict(output_bytes=2**60), ValueError, "output_bytes must be at most 9007199254740991 (2^53 - 1); got 1152921504606846976"),
            ("a None status", dict(status=None), TypeError, 'status must be non-empty text ("ok", "error", "budget_exhausted", …); got None'),
            ("an empty status", dict(status=""), ValueError, 'status must be non-empty text ("ok", "error", "budget_exhausted", …); got the string ""'),
        ]
        for label, kwargs, kind, problem in cases:
            with self.subTest(label):
                # Prepare
                root, lines, parsed = setup()
                root.action("llm_call")
                # Act
                with self.assertRaises(kind) as refused:
                    root.end(**{"status": "ok", **kwargs})
                # Assess
                self.assertEqual(str(refused.exception), f"support-bot run r-1: end(): {problem}. Nothing was recorded: the run is not ended.")
                self.assertEqual(len(lines), 2)
                root.end("error", output_bytes=12.0)
                self.assertEqual(parsed()[-1], {**parsed()[-1], "type": "agent.end", "status": "error", "actions_reported": 1, "output_bytes": 12})
                self.assertIn('"output_bytes":12,', lines[-1])

    def test_marks_a_run_started_and_ended_only_once_its_line_is_written(self):
        # Prepare: a writer that fails (a closed pipe), then works.
        lines = []
        failing = [True]

        def write(line):
            if failing[0]:
                raise BrokenPipeError("stdout closed")
            lines.append(json.loads(line))

        run = create_agent_emitter("support-bot", write=write, run_id="r-1")
        # Act
        self.assertRaises(BrokenPipeError, run.end, "ok")
        failing[0] = False
        run.end("ok")
        # Assess
        self.assertEqual([(line["type"], line["run_id"]) for line in lines], [("agent.start", "r-1"), ("agent.end", "r-1")])

    def test_counts_a_lone_surrogate_as_the_six_bytes_of_its_escape_when_it_fits_a_tool_call_line(self):
        # Prepare: a Latin-1 file name read with surrogateescape ("report-\udce9t\udce9.csv"): 24 bytes written, not 18.
        name = b"report-\xe9t\xe9.csv".decode("utf-8", "surrogateescape")
        root, lines, parsed = setup()
        # Act / Assess: 11,000 of them make a line of ~297 KB (231 KB if counted 3 bytes each): refused, not written too long.
        with self.assertRaises(TypeError) as refused:
            root.tool_call("upload", {"filenames": [name] * 11_000})
        self.assertRegex(str(refused.exception), r"args make a tool\.call line of \d+ bytes even with every text cut to 128 bytes")
        self.assertEqual(lines, [])
        # A long text of them is cut to whole escapes within the limit, not to nothing.
        root.tool_call("upload", {"blob": "x" * 300_000, "name": "\udce9" * 1000})
        self.assertTrue(all(len(line.encode("utf-8", "backslashreplace")) <= MAX_LINE_BYTES for line in lines))
        self.assertEqual(parsed()[-1]["args"]["name"], "\udce9" * 341 + f"\u2026 [{6000 - 341 * 6} more bytes cut]")
        self.assertIn("\\udce9", lines[-1])


if __name__ == "__main__":
    unittest.main()
