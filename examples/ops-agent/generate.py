#!/usr/bin/env python3
"""Generate the ops-agent example dataset for agentft.

An IT-operations agent: each record is an incident report (an alert or a
message from a colleague) mapped to the action the on-call engineer took:
restart_service, rollback_deploy, clear_disk, scale_up, renew_certificate,
failover_database, block_ip, run_diagnostics or escalate.

The records carry the true kind of incident in an extra field, "incident",
that training never reads (agentft keeps unknown fields) and that the
simulated environment (ops_env.c) scores against. The annotations are those
of a cautious team, not the truth: they mostly escalate expiring
certificates and database outages instead of fixing them, and sometimes
restart a service where a rollback or a clean-up was needed. A supervised
model learns those habits; PPO against ops_env learns what works.

The output depends only on --seed and --count, so the bundled data.jsonl is
rebuilt exactly with

    python3 generate.py                 # seed 7, 480 records, data.jsonl

Standard library only; no network.
"""

import argparse
import json
import random
import sys

# incident kind -> (weight, [(annotated action, its share)]); ops_env.c knows the real fixes
KINDS = {
    "service_crash": (12, [("restart_service", 0.9), ("escalate", 0.1)]),
    "bad_deploy": (12, [("rollback_deploy", 0.85), ("restart_service", 0.15)]),
    "disk_full": (12, [("clear_disk", 0.8), ("restart_service", 0.2)]),
    "traffic_spike": (12, [("scale_up", 0.85), ("run_diagnostics", 0.15)]),
    "cert_expiry": (12, [("escalate", 0.65), ("renew_certificate", 0.35)]),
    "db_primary_down": (12, [("escalate", 0.6), ("failover_database", 0.4)]),
    "abusive_client": (12, [("block_ip", 0.85), ("scale_up", 0.15)]),
    "security_unknown": (8, [("escalate", 0.95), ("run_diagnostics", 0.05)]),
    # two problems at once: either fix first, the other one after
    "crash_loop_disk": (8, [("clear_disk", 0.5), ("rollback_deploy", 0.5)]),
}

SERVICES = ["payments-api", "checkout", "search", "auth", "inventory", "notifications",
            "orders", "billing-worker", "image-resizer", "gateway"]
HOSTS = ["web-01", "web-02", "web-03", "api-07", "worker-12", "db-02", "edge-4", "batch-9"]
DOMAINS = ["api.shop.example", "login.example.com", "pay.example.net", "cdn.example.org"]
DATABASES = ["orders-db", "users-db", "ledger-db", "catalog-db"]

TEMPLATES = {
    "service_crash": [
        "ALERT {service} on {host}: process not running, health check failing for {n} minutes",
        "{service} keeps returning 502; the container on {host} exited with OOMKilled",
        "pager: {service} down on {host}, systemd says the unit died with signal 9",
        "hey, {service} is not answering at all, port 8080 on {host} refuses connections",
    ],
    "bad_deploy": [
        "error rate of {service} jumped to {pct}% right after deploy v{ver} went out",
        "since release v{ver} of {service} ten minutes ago users get 500 on every checkout",
        "ALERT {service}: exceptions up {pct}x, started with the v{ver} rollout",
        "the new build v{ver} of {service} breaks login, it was fine before the deploy",
    ],
    "disk_full": [
        "ALERT {host}: /var/log at {disk}% used, {service} cannot write its logs",
        "disk full on {host}, old log archives fill the volume ({disk}%)",
        "no space left on device on {host}; tmp and rotated logs take {disk}% of the disk",
        "{host} root filesystem at {disk}%, writes from {service} start failing",
    ],
    "traffic_spike": [
        "CPU at {pct}% on every {service} node, request queue growing, traffic {mult}x normal",
        "flash sale: {service} latency p99 {lat} ms under {mult}x the usual load, all pods busy",
        "ALERT {service}: saturation, {mult}x requests per second, autoscaler at its minimum",
        "marketing push started, {service} pool is overloaded at {pct}% CPU",
    ],
    "cert_expiry": [
        "TLS certificate of {domain} expires in {days} days",
        "browsers warn about {domain}: certificate valid until the day after tomorrow",
        "ALERT cert-monitor: {domain} certificate expiring in {days} days, renewal job failed",
        "clients see TLS handshake errors on {domain}, the certificate just expired",
    ],
    "db_primary_down": [
        "{db} primary unreachable from all app servers, replica healthy and in sync",
        "ALERT {db}: primary node down on {host}, replication lag 0 on the standby",
        "writes to {db} time out, the primary on {host} does not answer, standby is fine",
        "lost the {db} primary, {service} cannot commit orders; the replica is up",
    ],
    "abusive_client": [
        "one address {ip} sends {rps} login attempts per second to {service}",
        "ALERT waf: {ip} hammering {service} with {rps} req/s, credential stuffing pattern",
        "single client {ip} scraping {service} at {rps} requests per second",
        "brute force on {service} from {ip}, {rps} failed logins a second",
    ],
    "security_unknown": [
        "customers report seeing other tenants' invoices in {service}",
        "unknown process running as root on {host} opening outbound connections",
        "ALERT ids: unexpected ssh key added to {host} at 03:12",
        "files under /srv on {host} renamed with a .locked extension",
    ],
    "crash_loop_disk": [
        "{service} crash-looping since deploy v{ver}, its dumps filled {host} to {disk}%",
        "after v{ver} of {service} went out it restarts every few seconds and the core "
        "files fill the disk on {host} ({disk}%)",
        "ALERT {host} disk {disk}% and {service} restarting in a loop since the v{ver} deploy",
    ],
}

RESPONSES = {
    "restart_service": "Restarting {service} and watching its health checks.",
    "rollback_deploy": "Rolling back to the previous release and watching the error rate.",
    "clear_disk": "Cleaning rotated logs and temporary files to free the disk.",
    "scale_up": "Adding capacity to the pool until the load is served.",
    "renew_certificate": "Renewing the certificate and reloading the edge servers.",
    "failover_database": "Promoting the replica to primary and repointing the apps.",
    "block_ip": "Blocking the address at the firewall and the WAF.",
    "run_diagnostics": "Running a full diagnostic sweep before touching anything.",
    "escalate": "Paging the senior on-call engineer with the details.",
}


def slots(rng):
    return {
        "service": rng.choice(SERVICES), "host": rng.choice(HOSTS),
        "domain": rng.choice(DOMAINS), "db": rng.choice(DATABASES),
        "n": rng.randint(2, 15), "pct": rng.randint(20, 99),
        "ver": "%d.%d.%d" % (rng.randint(1, 4), rng.randint(0, 30), rng.randint(0, 9)),
        "disk": rng.randint(93, 100), "mult": rng.randint(3, 9), "lat": rng.randint(900, 4000),
        "days": rng.randint(1, 3), "rps": rng.randint(200, 5000),
        "ip": "203.0.113.%d" % rng.randint(1, 254),
    }


def pick_weighted(rng, pairs):
    x, acc = rng.random(), 0.0
    for item, share in pairs:
        acc += share
        if x < acc:
            return item
    return pairs[-1][0]


def make_records(seed, count):
    rng = random.Random(seed)
    kinds = list(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    records = []
    for i in range(count):
        kind = rng.choices(kinds, weights)[0]
        s = slots(rng)
        context = rng.choice(TEMPLATES[kind]).format(**s)
        action = pick_weighted(rng, KINDS[kind][1])
        x = rng.random()
        split = "valid" if x < 0.15 else "test" if x < 0.25 else "train"
        records.append({
            "id": "ops-%04d" % (i + 1), "context": context, "agent_action": action,
            "expected_response": RESPONSES[action].format(**s),
            "complexity": 2 if kind in ("crash_loop_disk", "security_unknown") else 1,
            "split": split, "incident": kind,
        })
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--count", type=int, default=480)
    ap.add_argument("--out", default="data.jsonl")
    args = ap.parse_args()
    records = make_records(args.seed, args.count)
    with open(args.out, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("%d records to %s" % (len(records), args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
