"""Engine throughput: node entries ("steps") per CPU second of the pure flow engine.

Generates a 50-node flow mixing exclusive branches with conditions, parallel split/join,
approvals (``all`` / ``any`` / ``k_of_n``), user tasks, actions (set, notify, webhook),
assignments and waits, then runs many instances: ``runtime.engine.start`` and a realistic
event sequence through ``runtime.engine.step`` (decide the open tasks, answer webhook jobs
with ``job.done``, fire timers) until each instance ends. Varied ticket data sends
instances down different branches; 1 in 8 ``k_of_n`` votes is a rejection.

A *step* is one node entry: the engine appends the node id to ``state["path"]`` every time
a token enters a node, so steps = ``len(state["path"])`` of each finished instance.
Only the ``start``/``step`` calls are timed (CPU time of this process); choosing the next
event is not. The baseline, timed in the same rounds, does per step what any interpreter
must do at least: one shallow dict copy and one ``builder.conditions.condition_matches``
(cached validator). The ratio engine/baseline is the figure to track on a noisy machine.

    .venv/bin/python bench/engine.py [--quick] [--instances 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from builder.conditions import condition_matches
from runtime import engine

NODES = 50
PEOPLE = [f"agent{i}@example.com" for i in range(6)]
CONDITIONS: list[dict[str, Any]] = [
    {"properties": {"amount": {"exclusiveMinimum": 1000}}, "required": ["amount"]},
    {"properties": {"category": {"enum": ["damaged", "wrong"]}}, "required": ["category"]},
    {"properties": {"_requester": {"properties": {"level": {"const": "vip"}},
                                   "required": ["level"]}}, "required": ["_requester"]},
]


class Directory:
    """Approver selectors name users directly (``{"kind": "user", "user": [...]}``)."""

    def approvers(self, selectors: Sequence[Mapping[str, Any]],
                  data: Mapping[str, Any]) -> list[str]:
        """The listed emails, in order, without duplicates."""
        found: dict[str, None] = {}
        for selector in selectors:
            for email in selector.get("user", []):
                found.setdefault(email, None)
        return list(found)

    def escalation_target(self, approver_email: str) -> str | None:
        """Nobody to escalate to."""
        return None


def generate_flow(size: int = NODES) -> dict[str, Any]:
    """A valid graph of exactly ``size`` nodes built from repeated segments."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []

    def node(node_id: str, kind: str, **data: Any) -> str:
        nodes.append({"id": node_id, "type": kind, "position": {"x": 0, "y": 0}, "data": data})
        return node_id

    def edge(source: str, target: str, handle: str | None = None, **data: Any) -> None:
        edges.append({"id": f"e{len(edges) + 1}", "source": source, "target": target,
                      "sourceHandle": handle, "data": data})

    def approval(node_id: str, mode: str, people: int, nxt: str, **extra: Any) -> str:
        node(node_id, "approval", mode=mode, approvers=[{"kind": "user", "user": PEOPLE[:people]}],
             due="P2D", onTimeout="remind", **extra)
        edge(node_id, nxt, "approved")
        edge(node_id, "declined", "rejected")
        return node_id

    node("declined", "end", outcome="rejected")
    node("done", "end", outcome="resolved")
    tail, number = "done", 0
    # Segments are built back to front, each ending where the previous one starts.
    builders = ["kofn", "parallel", "exclusive", "misc"]
    while len(nodes) + 7 <= size - 1:  # room for the biggest segment, and for start
        kind, n = builders[number % len(builders)], number
        number += 1
        if kind == "exclusive":
            head = node(f"x{n}", "exclusive")
            for i, condition in enumerate(CONDITIONS):
                edge(head, node(f"x{n}a{i}", "action", action="set",
                                set={"fields": {"branch": i}}), priority=i + 1, when=condition)
                edge(f"x{n}a{i}", tail)
            edge(head, node(f"x{n}d", "assign", strategy="round_robin", team="t"), default=True)
            edge(f"x{n}d", tail)
            tail = head
        elif kind == "parallel":
            join = node(f"p{n}j", "parallel_join")
            edge(join, tail)
            heads = [approval(f"p{n}all", "all", 2, join), approval(f"p{n}any", "any", 3, join)]
            hook = node(f"p{n}w", "action", action="webhook", url="https://hooks.example/x")
            edge(hook, join)
            heads.append(node(f"p{n}t", "wait", **{"for": "duration", "duration": "PT1H"}))
            edge(heads[-1], hook)
            tail = node(f"p{n}s", "parallel_split", join=join)
            for head in heads:
                edge(tail, head)
        elif kind == "kofn":
            task = node(f"k{n}u", "user_task", assignee={"kind": "user", "user": [PEOPLE[0]]},
                        title="Handle", due="P1D")
            edge(task, tail)
            tail = approval(f"k{n}a", "k_of_n", 3, task, k=2)
        else:
            note = node(f"m{n}n", "action", action="notify", to=[{"kind": "requester"}],
                        subject="Update", body="Ticket {{order_id}} moved on")
            edge(note, tail)
            tail = node(f"m{n}w", "wait", **{"for": "duration", "duration": "PT4H"})
            edge(tail, note)
    while len(nodes) < size - 1:  # pad with assignments up to the exact size
        edge(node(f"pad{len(nodes)}", "assign", strategy="team", team="t"), tail)
        tail = nodes[-1]["id"]
    node("start", "start", trigger="manual")
    edge("start", tail)
    return {"formatVersion": 1, "key": "bench-50", "title": {"en": "Bench"},
            "nodes": nodes, "edges": edges}


def ticket_data(rnd: random.Random) -> dict[str, Any]:
    """Condition data like the runner's: fields plus ``_ticket`` and ``_requester``."""
    return {"amount": rnd.choice([20, 350, 999.5, 1500, 8000]),
            "category": rnd.choice(["damaged", "wrong", "late", "other"]),
            "order_id": f"OD{rnd.randint(0, 99_999_999):08d}",
            "_ticket": {"priority": "normal", "channel": "api", "status": "new", "form": "r"},
            "_requester": {"email": "req@example.com", "role": "requester",
                           "level": rnd.choice(["vip", "std", "std"])}}


def next_event(state: dict[str, Any], due: dict[str, datetime], rnd: random.Random,
               now: datetime) -> tuple[engine.Event, datetime] | None:
    """Decide the first open task, answer a job, or fire the earliest timer."""
    timers = []
    for wait in engine.open_waits(state):
        if wait.get("open"):
            # a k_of_n vote is rejected 1 time in 8 (2 of 3 must approve): the vote count
            # matters; elsewhere one rejection would end a parallel branch at "declined"
            reject = wait["mode"] == "k_of_n" and rnd.random() < 0.125 if wait["kind"] == \
                "approval" else False
            decision = "complete" if wait["kind"] == "task" else \
                ("reject" if reject else "approve")
            return engine.Event.decided(wait["open"][0], decision, PEOPLE[0]), now
        if wait.get("job"):
            return engine.Event.job_done(wait["job"], {"ok": True}), now
        if wait.get("timer"):
            timers.append((due[wait["timer"]], wait["timer"]))
    if not timers:
        return None
    at, timer = min(timers)
    return engine.Event.timer_fired(timer), max(now, at)


def run_engine(flow: dict[str, Any], datas: list[dict[str, Any]], seed: int) -> Counter[str]:
    """Run one instance per data dict to its end; CPU seconds only around engine calls."""
    rnd, counts, directory = random.Random(seed), Counter[str](), Directory()
    begin = datetime(2026, 11, 22, 9, tzinfo=UTC)
    for data in datas:
        ctx = engine.Context(now=begin, data=data, directory=directory)
        t0 = time.process_time()
        state, effects = engine.start(flow, ctx)
        cpu = time.process_time() - t0
        due = {e.timer: e.due_at for e in effects if isinstance(e, engine.SetTimer)}
        now, events = begin, 0
        while not state["ended"] and events < 500:
            answer = next_event(state, due, rnd, now)
            if answer is None:
                break
            event, now = answer
            ctx = engine.Context(now=now, data=data, directory=directory)
            t0 = time.process_time()
            state, effects = engine.step(flow, state, event, ctx)
            cpu += time.process_time() - t0
            events += 1
            due.update((e.timer, e.due_at) for e in effects if isinstance(e, engine.SetTimer))
        counts.update(steps=len(state["path"]), events=events, instances=1,
                      ended=int(bool(state["ended"])), **{f"outcome {state['outcome']}": 1})
        counts["cpu_us"] += int(cpu * 1e6)
    return counts


def run_baseline(steps: int, datas: list[dict[str, Any]]) -> float:
    """CPU seconds for ``steps`` times: one dict copy and one condition check."""
    token = {"id": "t1", "node": "x0", "via": "e1", "round": 1, "serial": 0, "frames": [],
             "wait": None}
    t0, matched = time.process_time(), 0
    for i in range(steps):
        copied = dict(token)
        matched += condition_matches(CONDITIONS[i % 3], datas[i % len(datas)])
        copied["round"] = matched
    return time.process_time() - t0


def main() -> int:
    """Generate the flow, run engine and baseline in alternating rounds, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--instances", type=int, default=1000, help="instances per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.quick:
        args.instances, args.rounds = 40, 2
    flow = generate_flow()
    types = Counter(n["type"] for n in flow["nodes"])
    rnd = random.Random(7)
    datas = [ticket_data(rnd) for _ in range(args.instances)]
    run_engine(flow, datas[:5], seed=0)  # warm caches (validators, imports)
    total, base_cpu, ratios = Counter[str](), 0.0, []
    for number in range(args.rounds):
        counts = run_engine(flow, datas, seed=number)
        base = run_baseline(counts["steps"], datas)
        ratios.append(counts["steps"] / (counts["cpu_us"] / 1e6) / (counts["steps"] / base))
        total.update(counts)
        base_cpu += base
    cpu = total["cpu_us"] / 1e6
    print(f"\nflow: {len(flow['nodes'])} nodes, {len(flow['edges'])} edges: "
          + ", ".join(f"{t} {c}" for t, c in sorted(types.items())))
    print(f"run: {args.rounds} rounds x {args.instances} instances; ended "
          f"{total['ended']}/{total['instances']}; "
          + ", ".join(f"{k} {v}" for k, v in sorted(total.items()) if k.startswith("outcome")))
    per = total["instances"]
    print(f"per instance: {total['steps'] / per:.1f} steps (node entries), "
          f"{total['events'] / per:.1f} events + 1 start\n")
    print(f"{'what':<44}{'count':>9}{'CPU s':>8}{'per CPU s':>12}{'us each':>9}")
    rows = [("engine steps (node entries)", total["steps"], cpu),
            ("engine events (step calls)", total["events"], cpu),
            ("engine calls (start + step)", total["events"] + per, cpu),
            ("baseline: dict copy + condition_matches", total["steps"], base_cpu)]
    for name, count, seconds in rows:
        print(f"{name:<44}{count:>9}{seconds:>8.2f}{count / seconds:>12.0f}"
              f"{1e6 * seconds / count:>9.1f}")
    print(f"\nratio engine steps/s / baseline ops/s: {base_cpu / cpu:.3f}"
          f" (per round: {' '.join(f'{r:.3f}' for r in ratios)}); "
          f"i.e. one node entry costs {base_cpu and cpu / base_cpu:.1f}x a copy+condition")
    return 0


if __name__ == "__main__":
    sys.exit(main())
