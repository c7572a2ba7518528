"""Trace context: with TRACEPARENT (W3C) set by the caller, every --trace
phase carries its trace id and a span id of its own, and each hook gets
TRACEPARENT naming the span of the phase that ran it; a malformed value is
ignored and passed on to no one."""
import json
import os
import re

from harness import contains, eq

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
GOOD = "00-%s-%s-01" % (TRACE_ID, PARENT)
LINE = re.compile(r"^cfsrun: trace: (\S+) phase (\S+) .* trace_id=(\S+) span_id=([0-9a-f]{16}) parent_id=(\S+)$")


def hooked_bundle(env):
    """Hooks on the host and in the container write their environment to
    files in OUT, bind-mounted into the container at /out."""
    out = os.path.join(env.dir, "out%d" % (env.bundles + 1))
    os.makedirs(out)
    c = env.config(["true"])
    c["mounts"].append({"destination": "/out", "type": "bind", "source": out, "options": ["rbind", "rw"]})

    def dump(name, where):
        return {"path": "/bin/sh", "args": ["sh", "-c", "env > %s/%s.env" % (where, name)]}

    c["hooks"] = {"createRuntime": [dump("createRuntime", out)], "startContainer": [dump("startContainer", "/out")],
                  "poststart": [dump("poststart", out)], "poststop": [dump("poststop", out)]}
    return env.bundle(c), out


def hook_env(out, name):
    with open(os.path.join(out, name + ".env")) as f:
        return dict(l.split("=", 1) for l in f.read().splitlines() if "=" in l)


def test_trace_lines_carry_the_trace_id(env):
    b, out = hooked_bundle(env)
    r = env.cfs("--trace", "run", "--bundle", b, env.new_id(), env=dict(os.environ, TRACEPARENT=GOOD))
    eq(r.rc, 0, "run: %r" % r)
    lines = [l for l in r.err.splitlines() if "trace:" in l]
    assert len(lines) >= 20, lines
    spans = {}
    for l in lines:
        m = LINE.match(l)
        assert m, "trace line without the trace context: %r" % l
        eq(m.group(3), TRACE_ID, "trace id")
        eq(m.group(5), PARENT, "phases are children of the caller's span")
        spans[(m.group(1), m.group(2))] = m.group(4)
    eq(len(set(spans.values())), len(lines), "a span id per phase")
    # `run` lets the process go on to exec once created: no start.sock round trip.
    eq([p for p in (("child", "wait-start"), ("start", "connect")) if p in spans], [], "phases of create/start only")
    assert ("start", "exec") in spans, spans
    # Each hook's parent is the span of the phase that ran it.
    for hook, phase in (("createRuntime", ("parent", "hooks")), ("startContainer", ("child", "start-hooks")),
                        ("poststart", ("start", "poststart")), ("poststop", ("delete", "poststop"))):
        tp = hook_env(out, hook).get("TRACEPARENT")
        eq(tp, "00-%s-%s-01" % (TRACE_ID, spans[phase]), "TRACEPARENT of the %s hook" % hook)


def test_trace_records_in_the_json_log(env):
    log = os.path.join(env.dir, "log.json")
    r = env.cfs("--trace", "--log", log, "--log-format", "json", "run", "--bundle", env.bundle(env.config(["true"])),
                env.new_id(), env=dict(os.environ, TRACEPARENT=GOOD, TRACESTATE="vendor=x"))
    eq(r.rc, 0, "run: %r" % r)
    recs = [json.loads(l) for l in open(log).read().splitlines()]
    traces = [x for x in recs if x["level"] == "trace"]
    assert len(traces) >= 20, recs
    for x in traces:
        eq((x["trace_id"], x["parent_id"]), (TRACE_ID, PARENT), "ids of %r" % x)
        assert re.fullmatch("[0-9a-f]{16}", x["span_id"]) and x["span_id"] != PARENT, x
        assert x["process"] in ("parent", "child", "start", "delete") and x["phase"], x
        assert isinstance(x["duration_ns"], int) and x["duration_ns"] >= 0, x
    # An error record carries the trace id too.
    r = env.cfs("--log", log, "--log-format", "json", "start", "no-such-" + env.new_id(),
                env=dict(os.environ, TRACEPARENT=GOOD))
    last = json.loads(open(log).read().splitlines()[-1])
    eq((last["level"], last.get("trace_id")), ("error", TRACE_ID), "error record: %r" % last)


def test_tracestate_goes_to_hooks_with_traceparent(env):
    b, out = hooked_bundle(env)
    r = env.cfs("run", "--bundle", b, env.new_id(), env=dict(os.environ, TRACEPARENT=GOOD, TRACESTATE="rojo=00f0"))
    eq(r.rc, 0, "run: %r" % r)
    e = hook_env(out, "createRuntime")
    eq(e.get("TRACESTATE"), "rojo=00f0", "tracestate passed on")
    assert e["TRACEPARENT"].startswith("00-%s-" % TRACE_ID) and not e["TRACEPARENT"].endswith(PARENT + "-01"), e


def test_malformed_traceparent_is_not_passed_on(env):
    bad = ["00-%s-%s-01" % (TRACE_ID.upper(), PARENT),  # uppercase hex
           "00-%s-%s-01" % ("0" * 32, PARENT),  # all-zero trace id
           "00-%s-%s-01" % (TRACE_ID, "0" * 16),  # all-zero parent id
           "ff-%s-%s-01" % (TRACE_ID, PARENT),  # version ff
           "00-%s-%s-01-extra" % (TRACE_ID, PARENT),  # version 00 has nothing after the flags
           "00-%s-%s" % (TRACE_ID, PARENT),  # no flags
           "garbage"]
    for value in bad:
        b, out = hooked_bundle(env)
        r = env.cfs("--trace", "--debug", "run", "--bundle", b, env.new_id(),
                    env=dict(os.environ, TRACEPARENT=value, TRACESTATE="rojo=00f0"))
        eq(r.rc, 0, "run with TRACEPARENT=%s: %r" % (value, r))
        contains(r.err, "TRACEPARENT `%s`" % value[:80], "a debug note names the value")
        contains(r.err, "ignoring it", "and says it is ignored")
        assert "trace_id=" not in r.err, "no trace id from %s: %r" % (value, r.err)
        assert "trace: parent phase validate" in r.err, "phases are still traced"
        for hook in ("createRuntime", "startContainer", "poststart", "poststop"):
            e = hook_env(out, hook)
            assert "TRACEPARENT" not in e and "TRACESTATE" not in e, "%s hook got %r from %s" % (hook, e, value)


def test_trace_to_a_closed_pipe_costs_the_lines_not_the_container(env):
    """`cfsrun --trace run ... 2>&1 | head`: once the reader is gone, each
    trace line meets EPIPE.  cfsrun must still run the container to its end
    and remove it; killed by SIGPIPE it would leave its cgroups behind."""
    import glob
    import subprocess
    from harness import CFSRUN
    cid = env.new_id()
    b = env.bundle(env.config(["sh", "-c", "exit 3"]))
    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run([CFSRUN, "--root", env.root, "--trace", "run", "--bundle", b, cid],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=w, timeout=30)
    finally:
        os.close(w)
    eq(p.returncode, 3, "run's exit status is the container's")
    eq(glob.glob("/sys/fs/cgroup/*/cfsrun-" + cid), [], "cgroups left")
    eq(os.path.isdir(os.path.join(env.root, cid)), False, "state left")
