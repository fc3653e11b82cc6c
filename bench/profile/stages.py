#!/usr/bin/env python3
"""Groups the portal's CPU samples (perf script output) and its fsyncs (strace -T -y) by ingest stage.

    stages.py OUTDIR [OUTDIR...]      one report per run
    stages.py --table OUTDIR...       the runs side by side, grouped as issue 24 lists the stages

Each OUTDIR is one run of ingest-profile.sh. A sample's stage is decided in three steps: a frame anywhere in
its stack of ANYWHERE (fsync, JIT, the profiler's own work); else the caller nearest the leaf of CONTEXTS
(notification dispatcher, rules, sender check; the ingest path's own frames end the search); else the frame
nearest the leaf of NEAREST, managed and native libraries first, runtime and kernel frames last, so that
allocation, GC and page faults count for the managed code that caused them. libcoreclr is stripped, so GC
shows as part of its caller's cost (dotnet-counters gives the GC pause separately).
"""
import collections
import re
import sys
from pathlib import Path

# Stages decided by any frame of the stack, in this order: work they do is theirs whatever it calls.
ANYWHERE = [
    ("GC", r"gc_heap|GCHeap|WKS::|SVR::|GarbageCollect|BackgroundGC"),
    # libc has no frame pointers: a syscall's stack stops there, so the caller is unknown; strace splits them by file.
    ("fsync (kernel CPU; blob, SQLite and pickup files alike)", r"do_fsync|vfs_fsync_range|__x64_sys_fsync|__x64_sys_fdatasync"),
    ("JIT (tiering; ReadyToRun off for this profile)", r"libclrjit"),
    ("profiler's own (EventPipe, counters)", r"System\.Diagnostics\.Tracing|System\.Diagnostics\.Metrics|EventPipe"),
]
# Callers that own what runs under them, unless the ingest path's own frame is nearer the leaf (an async
# continuation can resume with a finished caller's frames still above it).
CONTEXTS = [
    ("notification dispatch (background)", r"NotificationDispatcher|PickupDirectoryTransport|NotificationComposer"),
    ("rules", r"MailFlowRules|RuleStore|OmePortal\.Core\.Rules"),
    ("sender check", r"AcceptedSenders"),
    ("MIME structure pre-check", r"CheckStructure|MimeStructureScan"),
    (None, r"MessageIngestor|MessagesApi|SmtpMessageStore"),
]
# Otherwise the frame nearest the leaf that matches one of these decides.
NEAREST = [
    ("HTML sanitising", r"HtmlSanitizer|AngleSharp|EmailHtmlSanitizer|StyleSheetSecondOpinion"),
    ("encryption, key wrap, hashing", r"VaultStream|AesGcm|MessageKey::|libcrypto|Interop\+Crypto|HMAC|SHA256|HKDF|RandomNumberGenerator|TenantKeyRing|System\.Security\.Cryptography"),
    ("render model (build, serialise, summary)", r"RenderModelSerializer|RenderModelBuilder|SealSummary"),
    ("MIME parse", r"MessageParser|MimeKit|MimeEntityOffsets|MailKit"),
    ("blob files: create, write, rename (CPU)", r"FileBlobStore|RandomAccess|SafeFileHandle|System\.IO\.FileStream|System\.IO\.Strategies|Interop\+Sys::(LStat|Rename|Open|Write|PWrite|FSync|Unlink|MkDir)"),
    ("SQLite engine (native)", r"libe_sqlite3"),
    ("EF Core + Microsoft.Data.Sqlite (managed)", r"Microsoft\.EntityFrameworkCore|Microsoft\.Data\.Sqlite|SQLitePCL"),
    ("audit row", r"AuditLog|AppendOnlyAuditGuard"),
    ("SMTP protocol (SmtpServer) + sockets", r"SmtpServer"),
    ("HTTP (Kestrel, routing, auth, JSON reply) + sockets", r"Kestrel|Microsoft\.AspNetCore|System\.IO\.Pipelines|System\.Net\.Sockets|System\.Net\.Http|System\.Text\.Json"),
    ("runtime (thread pool, stubs, stripped libcoreclr incl. GC)", r"libcoreclr|System\.Threading|System\.Private\.CoreLib"),
    ("file create/open (kernel: ext4 inode allocation; blob and pickup files)", r"__x64_sys_openat|__x64_sys_mkdir|__x64_sys_rename|__x64_sys_unlink"),
    ("file read/write and locks (kernel: SQLite pages, blob writes)", r"__x64_sys_pread64|__x64_sys_pwrite64|__x64_sys_fcntl|__x64_sys_write\b|__x64_sys_read\b"),
    ("kernel other (scheduling, network, futex, sleeps)", r"kernel\.kallsyms"),
]
FALLBACK = {"runtime (thread pool, stubs, stripped libcoreclr incl. GC)", "kernel other (scheduling, network, futex, sleeps)",
            "file create/open (kernel: ext4 inode allocation; blob and pickup files)", "file read/write and locks (kernel: SQLite pages, blob writes)"}
ANYWHERE_RE = [(n, re.compile(p)) for n, p in ANYWHERE]
CONTEXTS_RE = [(n, re.compile(p)) for n, p in CONTEXTS]
NEAREST_RE = [(n, re.compile(p)) for n, p in NEAREST]


def samples(path):
    stack = []
    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if not line:
                if stack:
                    yield stack
                stack = []
                continue
            if not line.startswith(("\t", " ")):
                stack = [line]  # header: comm tid
                continue
            stack.append(line.strip())
    if stack:
        yield stack


def classify(stack):
    frames = stack[1:]  # leaf first
    text = "\n".join(frames)
    for name, pattern in ANYWHERE_RE:
        if pattern.search(text):
            return name
    for frame in frames:
        for name, pattern in CONTEXTS_RE:
            if pattern.search(frame):
                if name is not None:
                    return name
                break
        else:
            continue
        break
    # Runtime and kernel frames (allocation, GC, page faults, syscalls) count for the managed caller nearest them.
    return nearest(stack)


def nearest(stack):
    frames = stack[1:]
    text = "\n".join(frames)
    if re.search(r"NotificationComposer", text):
        return "composing the mail (MimeKit)"
    for frame in frames:
        for name, pattern in NEAREST_RE:
            if name not in FALLBACK and pattern.search(frame):
                return name
    for name, pattern in NEAREST_RE:
        if name in FALLBACK and pattern.search(text):
            return name
    return "other"


def leaf(stack):
    frame = stack[1] if len(stack) > 1 else "?"
    frame = re.sub(r"^[0-9a-f]+ ", "", frame)
    return frame[:140]


def windows(directory):
    result = {}
    for line in (directory / "windows.txt").read_text().splitlines():
        parts = line.split()
        if parts and "=" not in parts[0]:
            result[parts[0]] = {k: float(v) for k, v in (p.split("=") for p in parts[1:])}
        elif parts:
            result["header"] = dict(p.split("=") for p in parts)
    return result


def fsyncs(directory, data_hint):
    """fsync/fdatasync/rename/sleep calls from strace -T -y, by kind: count and summed wall seconds."""
    kinds = collections.defaultdict(lambda: [0, 0.0])
    call = re.compile(r"^\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+).*<([\d.]+)>$")
    path = directory / "strace.log"
    if not path.exists():
        return kinds
    pending = {}
    unfinished = re.compile(r"^(\d+)\s+(\w+)\((.*) <unfinished \.\.\.>$")
    resumed = re.compile(r"^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$")
    for line in path.read_text(errors="replace").splitlines():
        u = unfinished.match(line)
        if u:
            pending[u.group(1)] = (u.group(2), u.group(3))
            continue
        r = resumed.match(line)
        if r and r.group(1) in pending:
            name, args = pending.pop(r.group(1))
            line = f"{r.group(1)} {name}({args}{r.group(3)}"
        m = call.match(line)
        if not m:
            continue
        name, args, _, seconds = m.groups()
        target = re.search(r"<([^>]*)>", args)
        target = target.group(1) if target else ""
        if name in ("fsync", "fdatasync"):
            if target.endswith("-wal"):
                kind = f"{name} SQLite WAL"
            elif re.search(r"\.(db|sqlite)$", target):
                kind = f"{name} SQLite database (checkpoint)"
            elif ".tmp" in target and "/blobs" in target:
                kind = f"{name} blob file"
            elif ("pickup" in target.lower() or "outbox" in target.lower()) and "." in Path(target).name:
                kind = f"{name} notification pickup file"
            elif "pickup" in target.lower() or "outbox" in target.lower():
                kind = f"{name} notification pickup folder"
            elif "/blobs" in target:
                kind = f"{name} blob folder"
            else:
                kind = f"{name} other: {re.sub(r'[0-9a-f]{32}', '*', target.replace(data_hint, '$DATA'))}"
        elif name.startswith("rename"):
            kind = "rename " + ("blob" if "/blobs" in line else "outbox (notification)" if "/outbox" in line else "other")
        elif name in ("nanosleep", "clock_nanosleep"):
            kind = "sleep (nanosleep: SQLite busy handler, spin back-off)"
        elif name == "openat":
            kind = "openat " + ("blob" if "/blobs" in line else "SQLite" if "sqlite" in line or ".db" in line else "other")
        else:
            kind = name
        kinds[kind][0] += 1
        kinds[kind][1] += float(seconds)
    return kinds


def report(directory):
    directory = Path(directory)
    w = windows(directory)
    header = w.get("header", {})
    tick = float(header.get("clk_tck", 100))
    perf = w["perf"]
    messages = perf["messages"]
    cpu_ms_per_message = perf["portal_cpu_ticks"] / tick * 1000 / messages if messages else float("nan")
    client_ms_per_message = perf["client_cpu_ticks"] / tick * 1000 / messages if messages else float("nan")
    counts = collections.Counter()
    leaves = collections.defaultdict(collections.Counter)
    total = 0
    for stack in samples(directory / "perf.txt"):
        stage = classify(stack)
        counts[stage] += 1
        leaves[stage][leaf(stack)] += 1
        total += 1
    print(f"## {directory.name}: {header.get('mode')} with {header.get('concurrency')} client(s)")
    print()
    print(f"perf window: {messages:.0f} messages in {perf['seconds']:.1f} s = **{messages / perf['seconds']:.0f} msg/s**; "
          f"portal CPU {perf['portal_cpu_ticks'] / tick / perf['seconds']:.2f} cores = **{cpu_ms_per_message:.2f} ms CPU per message**; "
          f"bench client {client_ms_per_message:.2f} ms CPU per message; {total} samples.")
    print()
    artefacts = sum(n for stage, n in counts.items() if stage.startswith(("JIT", "profiler")))
    steady = total - artefacts
    print(f"Without JIT and the profiler's own work (artefacts of this profile): **{cpu_ms_per_message * steady / total:.2f} ms CPU per message**.")
    print()
    print("| stage | share of portal CPU | share without JIT/profiler | ms CPU per message |")
    print("|---|---|---|---|")
    for stage, n in counts.most_common():
        share = "" if stage.startswith(("JIT", "profiler")) else f"{100 * n / steady:.1f} %"
        print(f"| {stage} | {100 * n / total:.1f} % | {share} | {cpu_ms_per_message * n / total:.2f} |")
    print()
    inside = collections.Counter()
    for stack in samples(directory / "perf.txt"):
        if classify(stack) == "notification dispatch (background)":
            inside[nearest(stack)] += 1
    if inside:
        print("Inside the notification dispatch: " + ", ".join(f"{name} {cpu_ms_per_message * n / total:.2f} ms" for name, n in inside.most_common(8)) + ".")
        print()
    strace = w.get("strace")
    data_hint = ""
    layout = directory / "layout.txt"
    if layout.exists() and layout.read_text().strip():
        data_hint = layout.read_text().splitlines()[0]
    kinds = fsyncs(directory, data_hint)
    if strace and strace["messages"]:
        n = strace["messages"]
        print(f"strace window: {n:.0f} messages in {strace['seconds']:.1f} s (slowed by strace).")
        print()
        print("| call | per message | mean wall ms per call | wall ms per message |")
        print("|---|---|---|---|")
        for kind, (calls, seconds) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
            print(f"| {kind} | {calls / n:.2f} | {1000 * seconds / calls:.3f} | {1000 * seconds / n:.2f} |")
        print()
    counters = directory / "counters.csv"
    if counters.exists() and messages:
        sums = collections.defaultdict(float)
        for row in counters.read_text().splitlines()[1:]:
            cells = row.split(",")
            if len(cells) >= 5 and "/ 1 sec" in cells[2]:
                sums[cells[2]] += float(cells[4])
        per = messages / perf["seconds"]  # messages a second in the window the counters covered
        wanted = [
            ("queries per message (EF)", "microsoft.entityframeworkcore.queries ({query} / 1 sec)", 1),
            ("SaveChanges per message (EF)", "microsoft.entityframeworkcore.savechanges ({savechanges} / 1 sec)", 1),
            ("compiled-query cache misses per message", "microsoft.entityframeworkcore.compiled_query_cache_misses ({misses} / 1 sec)", 1),
            ("KB allocated per message", "dotnet.gc.heap.total_allocated (By / 1 sec)", 1 / 1024),
            ("gen0 GCs per 100 messages", "dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]", 100),
            ("gen2 GCs per 100 messages", "dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen2]", 100),
            ("GC pause ms per message", "dotnet.gc.pause.time (s / 1 sec)", 1000),
            ("JIT ms per message (tiering; ReadyToRun off in this profile)", "dotnet.jit.compilation.time (s / 1 sec)", 1000),
            ("lock contentions per message", "dotnet.monitor.lock_contentions ({contention} / 1 sec)", 1),
        ]
        seconds = len({r.split(",")[0] for r in counters.read_text().splitlines()[1:]})
        print(f"dotnet-counters over the perf window ({seconds} one-second readings, {per:.0f} msg/s):")
        print()
        for label, name, scale in wanted:
            if name in sums and seconds:
                print(f"- {label}: {sums[name] / seconds / per * scale:.2f}")
        print()
    print("<details><summary>top leaf frames per stage</summary>")
    print()
    for stage, n in counts.most_common():
        print(f"- {stage}: " + "; ".join(f"{frame} ({100 * c / total:.1f} %)" for frame, c in leaves[stage].most_common(4)))
    print()
    print("</details>")
    print()


GROUPS = [
 ("MIME parse (+ structure pre-check)", ["MIME parse", "MIME structure pre-check"]),
 ("sender check", ["sender check"]),
 ("rules (parse again + evaluate)", ["rules"]),
 ("HTML sanitising", ["HTML sanitising"]),
 ("render model (build, serialise, seal summary)", ["render model (build, serialise, summary)"]),
 ("encryption, key wrap, token hashes", ["encryption, key wrap, hashing"]),
 ("blob files: create/write/rename (managed)", ["blob files: create, write, rename (CPU)"]),
 ("file creation in the kernel (ext4 inode allocation)", ["file create/open (kernel: ext4 inode allocation; blob and pickup files)"]),
 ("fsync, kernel CPU (all files)", ["fsync (kernel CPU; blob, SQLite and pickup files alike)"]),
 ("EF Core + Microsoft.Data.Sqlite (managed) + audit", ["EF Core + Microsoft.Data.Sqlite (managed)", "audit row"]),
 ("SQLite engine (native) + its file I/O syscalls", ["SQLite engine (native)", "file read/write and locks (kernel: SQLite pages, blob writes)"]),
 ("protocol: HTTP (Kestrel) / SMTP (SmtpServer)", ["HTTP (Kestrel, routing, auth, JSON reply) + sockets", "SMTP protocol (SmtpServer) + sockets"]),
 ("notification dispatch (background: claim, compose, pickup file, status)", ["notification dispatch (background)"]),
 ("runtime, kernel other, unattributed", ["runtime (thread pool, stubs, stripped libcoreclr incl. GC)", "kernel other (scheduling, network, futex, sleeps)", "other"]),
]

def table(dirs):
    """One table over several runs: the issue's stages, ms CPU per message (share without JIT/profiler)."""
    cols = {}
    for d in dirs:
        p = Path(d); w = windows(p); perf = w["perf"]; tick = float(w["header"].get("clk_tck", 100))
        cpu = perf["portal_cpu_ticks"] / tick * 1000 / perf["messages"]
        counts = collections.Counter(classify(s) for s in samples(p / "perf.txt"))
        total = sum(counts.values())
        cols[d] = (cpu, counts, total, perf)
    print("| stage | " + " | ".join(Path(d).name for d in dirs) + " |")
    print("|---|" + "---|" * len(dirs))
    for label, members in GROUPS:
        cells = []
        for d in dirs:
            cpu, counts, total, perf = cols[d]
            steady = total - sum(n for s, n in counts.items() if s.startswith(("JIT", "profiler")))
            n = sum(counts[m] for m in members)
            cells.append(f"{cpu * n / total:.2f} ({100 * n / steady:.0f} %)")
        print(f"| {label} | " + " | ".join(cells) + " |")
    cells=[]; cells2=[]; cells3=[]; cells4=[]
    for d in dirs:
        cpu, counts, total, perf = cols[d]
        steady = total - sum(n for s, n in counts.items() if s.startswith(("JIT", "profiler")))
        art = total - steady
        cells.append(f"{cpu * steady / total:.1f}")
        cells2.append(f"{cpu * art / total:.2f}")
        cells3.append(f"{perf['messages']/perf['seconds']:.0f} msg/s, {perf['portal_cpu_ticks']/tick/perf['seconds']:.2f} cores")
        cells4.append(f"{perf['client_cpu_ticks']/tick*1000/perf['messages']:.1f}")
    print("| **portal CPU per message, without the two artefacts below** | " + " | ".join(f"**{c}**" for c in cells) + " |")
    print("| artefacts: JIT (ReadyToRun off) + profiler's own | " + " | ".join(cells2) + " |")
    print("| perf window: throughput, portal cores busy | " + " | ".join(cells3) + " |")
    print("| bench client CPU per message (ms) | " + " | ".join(cells4) + " |")


if sys.argv[1:2] == ["--table"]:
    table(sys.argv[2:])
else:
    for argument in sys.argv[1:]:
        report(argument)
