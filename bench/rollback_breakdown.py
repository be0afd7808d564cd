#!/usr/bin/env python3
"""bench/rollback_breakdown.py REWINDD_LOG ENV REWIND_T ACCESS_LOG KUBECTL_T
bench/rollback_breakdown.py --fleet REWINDD_LOG T0_US


Where the time of a one-service rollback goes (bench/rollback.sh, part 1).
REWIND_T and KUBECTL_T hold one line per round: "T0_US PATCH_US" (command
start, PATCH arrival at the simulator).  Rewind's rounds are matched in order
with the rollback operations of ENV in rewindd's log (ms resolution):

  t0 -> session.bound        rewindctl start, TLS handshake, certificate proof
  bound -> operation.queued  OpStart: plan and record the operation (one transaction)
  queued -> running          a coordinator runner claims it (NOTIFY)
  running -> action.leased   set-image action created, the agent's parked poll answered
  leased -> PATCH            the agent receives the action and PATCHes the Deployment

kubectl's rounds are split at its first request to the simulator (the
access log): process start (the cloud SDK dispatcher, then kubectl, its
kubeconfig and cached discovery) and then its requests up to the PATCH.
With --fleet: the set-image actions of the rollbacks since T0_US, per agent
(= environment): rollout (action.leased -> action.finished: the agent
follows the rollout like `kubectl rollout status`) and the gap to the next
service's action (verification from the agents' reports, bookkeeping).
Prints medians; asserts nothing.
"""
import datetime
import re
import statistics
import sys


def ts_us(stamp):
    d = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6)


def rewindd_rounds(path, env):
    """Per rollback operation of env: (bound, queued, running, leased) in µs."""
    ops, last_bound, waiting = [], None, None
    for line in open(path, errors="replace"):
        parts = line.split()
        if len(parts) < 4:
            continue
        t, event, rest = parts[0], parts[3], " ".join(parts[4:]) + " "
        try:
            t = ts_us(t)
        except ValueError:
            continue
        if event == "session.bound" and "role=operator" in rest:
            last_bound = t
        elif event == "operation.queued" and "kind=rollback" in rest and f"env={env} " in rest:
            op = re.search(r"id=(\d+)", rest).group(1)
            ops.append({"id": op, "bound": last_bound, "queued": t})
        elif event == "operation.running" and "kind=rollback" in rest and f"env={env} " in rest:
            op = re.search(r"id=(\d+)", rest).group(1)
            for o in ops:
                if o["id"] == op:
                    o["running"] = t
                    waiting = o
        elif event == "action.leased" and waiting is not None and f"agent={env}/" in rest:
            waiting["leased"] = t
            waiting = None
    return ops


def fleet(log, t0):
    """Medians of rollout and between-services gaps of the actions since t0."""
    per_agent = {}
    for line in open(log, errors="replace"):
        p = line.split()
        if len(p) < 5 or p[3] not in ("action.leased", "action.finished"):
            continue
        try:
            t = ts_us(p[0])
        except ValueError:
            continue
        if t < t0:
            continue
        agent = re.search(r"agent=(\S+)", line).group(1)
        per_agent.setdefault(agent, []).append((t, p[3]))
    rollout, gap = [], []
    for evs in per_agent.values():
        last_fin = None
        lease = None
        for t, ev in evs:
            if ev == "action.leased":
                # Within one operation; a longer gap is the pause between rounds.
                if last_fin is not None and t - last_fin < 5000000:
                    gap.append(t - last_fin)
                lease = t
            elif lease is not None:
                rollout.append(t - lease)
                last_fin, lease = t, None
    if rollout:
        print(f"Rewind per service ({len(rollout)} set-image actions since the first round):")
        print(f"  {'rollout followed by the agent (action.leased -> action.finished)':<70} "
              f"{statistics.median(rollout) / 1000:7.1f} ms")
    if gap:
        print(f"  {'verification + next action (action.finished -> next action.leased)':<70} "
              f"{statistics.median(gap) / 1000:7.1f} ms")


def main():
    if sys.argv[1] == "--fleet":
        fleet(sys.argv[2], int(sys.argv[3]))
        return
    log, env, rewind_t, access, kubectl_t = sys.argv[1:6]
    rounds = [tuple(map(int, l.split())) for l in open(rewind_t) if l.strip()]
    ops = rewindd_rounds(log, env)[-len(rounds):] if rounds else []
    seg = {k: [] for k in ("start", "queue", "claim", "action", "patch")}
    for (t0, tp), o in zip(rounds, ops):
        if not all(o.get(k) for k in ("bound", "queued", "running", "leased")):
            continue
        seg["start"].append(o["bound"] - t0)
        seg["queue"].append(o["queued"] - o["bound"])
        seg["claim"].append(o["running"] - o["queued"])
        seg["action"].append(o["leased"] - o["running"])
        seg["patch"].append(tp - o["leased"])
    names = {
        "start": "rewindctl start + TLS session + proof (t0 -> session.bound)",
        "queue": "OpStart planned and recorded (-> operation.queued)",
        "claim": "coordinator runner claims it (-> operation.running)",
        "action": "set-image action created, agent's poll answered (-> action.leased)",
        "patch": "agent receives it, PATCH arrives (-> PATCH at the simulator)",
    }
    print(f"Rewind ({len(seg['start'])} rounds matched with rewindd's log):")
    for k, v in seg.items():
        if v:
            print(f"  {names[k]:<70} {statistics.median(v) / 1000:7.1f} ms")
    reqs = []
    for line in open(access, errors="replace"):
        p = line.split(" ", 4)
        if len(p) == 5 and p[4].startswith("kubectl/"):
            reqs.append((int(p[0]), p[1], p[2]))
    start, calls, nreq = [], [], []
    for t0, tp in (tuple(map(int, l.split())) for l in open(kubectl_t) if l.strip()):
        mine = [r for r in reqs if t0 <= r[0] <= tp]
        if not mine:
            continue
        start.append(mine[0][0] - t0)
        calls.append(tp - mine[0][0])
        nreq.append(len(mine))
    if start:
        print(f"kubectl set image ({len(start)} rounds; {statistics.median(nreq):.0f} requests up to and "
              f"including the PATCH):")
        print(f"  {'process start, kubeconfig, cached discovery (t0 -> first request)':<70} "
              f"{statistics.median(start) / 1000:7.1f} ms")
        print(f"  {'first request -> PATCH':<70} {statistics.median(calls) / 1000:7.1f} ms")


if __name__ == "__main__":
    main()
