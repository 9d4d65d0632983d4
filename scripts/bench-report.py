#!/usr/bin/python3
"""make bench, host side: the raw samples the guest wrote (bench.json of
tests/bench/run-bench.sh) become medians, ratios and goal verdicts, printed
as a table and written to OUTDIR/bench.txt, OUTDIR/bench.json and
OUTDIR/bench.png.

    bench-report.py RAW_JSON [STOCK_RAW_JSON [STOCK2_RAW_JSON]] OUTDIR

STOCK_RAW_JSON: the same guest on the stock kernel (modes info, reg, open);
STOCK2_RAW_JSON: a second boot of it (make bench boots stock before and
after this kernel). Both boots are pooled for ours/stock, and their ratio
(stock/stock) is what two boots of the same kernel differ by: a gap to
stock smaller than that is not measurable this way, and is said so.

Exits 1 if the raw results are missing or a benchmark mode failed (what
there is is still reported).
"""
import json
import math
import os
import statistics
import sys

KIB, MIB, GIB = 1024, 1024 ** 2, 1024 ** 3

# The goals, fixed before any measurement (see README.md, make bench).
GOAL_REG_RATIO = 1.10       # FS-DAX reg+dereg <= 1.10 x its anchor, sizes >= 2 MiB:
GOAL_REG_MIN_SIZE = 2 * MIB  # device-DAX for PMD-mapped files, anon-4k for 4 KiB ones
GOAL_STOCK = 1.05           # what the series does not touch: <= 1.05 x the stock kernel
GOAL_OPEN = 1.05            # open/write/setattr of a file with MRs <= 1.05 x without

# Each kind of memory against the one it is judged by (same access flags).
ANCHOR = {"dax-ext4": "devdax", "dax-xfs": "devdax", "devdax": "anon",
          "dax-ext4-4k": "anon-4k", "dax-xfs-4k": "anon-4k", "anon-4k": "anon",
          "tmpfs": "anon-4k", "pagecache-ext4": "anon-4k-ro", "anon-4k-ro": "anon-4k"}
REG_ORDER = ["anon", "anon-4k", "devdax", "dax-ext4", "dax-xfs", "dax-ext4-4k",
             "dax-xfs-4k", "tmpfs", "pagecache-ext4", "anon-4k-ro"]
GOAL_KINDS = ("dax-ext4", "dax-xfs", "dax-ext4-4k", "dax-xfs-4k")
STOCK_KINDS = ("anon", "anon-4k", "devdax", "tmpfs", "pagecache-ext4", "anon-4k-ro")
GOAL_BW_VS_ANON = 0.95      # DAX MR bandwidth >= 0.95 x anonymous MR
GOAL_BW_VS_BOUNCE = 1.0     # DAX MR bandwidth > anonymous MR + memcpy
GOAL_FLAT = 1.25            # per-MR registration time at N <= 1.25 x at N=1


def med(v):
    return statistics.median(v) if v else float("nan")


def div(a, b):
    return a / b if b else float("nan")


def pratio(a, b):
    """Median of the ratios of paired samples (same round, run back to back)."""
    return med([x / y for x, y in zip(a, b) if y])


def pratios(a, b):
    return [x / y for x, y in zip(a, b) if y]


def pct(v, p):
    """Nearest-rank percentile."""
    if not v:
        return float("nan")
    s = sorted(v)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def size_str(n):
    if n >= GIB and n % GIB == 0:
        return "%d GiB" % (n // GIB)
    if n >= MIB:
        return "%d MiB" % (n // MIB)
    return "%d KiB" % (n // KIB)


def t_str(us):
    """An absolute time in the unit that suits it."""
    if us != us:
        return "-"
    if us >= 1e6:
        return "%.2f s" % (us / 1e6)
    if us >= 1e3:
        return "%.1f ms" % (us / 1e3)
    if us >= 100:
        return "%.0f us" % us
    return "%.1f us" % us


def r_str(x):
    return "-" if x != x else "%.2fx" % x


def verdict(g):
    return "MET" if g["met"] else "NOISE" if g.get("noise") else "NOT MET"


def vs_stock(e, ours, boots):
    """ours/stock against the stock boots pooled, with the crosswise
    quartile ratio as its range, and stock/stock of two boots."""
    pooled = [x for b in boots for x in b]
    e["stock_us"] = med(pooled)
    e["vs_stock"] = div(med(ours), med(pooled))
    e["vs_stock_range"] = [div(pct(ours, 25), pct(pooled, 75)),
                           div(pct(ours, 75), pct(pooled, 25))]
    if len(boots) == 2:
        e["stock_aa"] = div(med(boots[1]), med(boots[0]))


def stock_goal(text, e):
    """A goal against stock; missed by less than stock differs from
    itself across two boots: noise, not a measured gap."""
    g = {"goal": text, "value": e["vs_stock"], "met": e["vs_stock"] <= GOAL_STOCK}
    if not g["met"] and "stock_aa" in e:
        g["noise"] = abs(math.log(e["vs_stock"])) <= abs(math.log(e["stock_aa"]))
        g["stock_aa"] = e["stock_aa"]
    return g


def total(c):
    """reg + dereg of each round of a reg cell."""
    return [a + b for a, b in zip(c["reg"], c["dereg"])]


def cell_keys(cells, key):
    """key(c) of each cell, with its ordinal among the cells of that key:
    the i-th cell of a key ran at the same point of each boot."""
    seen, out = {}, []
    for c in cells:
        k = key(c)
        out.append(k + (seen.get(k, 0),))
        seen[k] = seen.get(k, 0) + 1
    return out


def stock_boots(stocks, modes, key, value):
    """{key + (ordinal,): [samples of boot 1, samples of boot 2, ...]} of
    the first of modes each stock boot ran; only keys every boot has."""
    d = {}
    for i, st in enumerate(stocks):
        mode = next((m for m in modes if (st or {}).get(m)), None)
        cells = ((st or {}).get(mode) or {}).get("cells", [])
        for k, c in zip(cell_keys(cells, key), cells):
            d.setdefault(k, [[] for _ in stocks])[i] += value(c)
    return {k: b for k, b in d.items() if all(b)}


def summarize(raw, stocks):
    s = {"goals": []}
    goals = s["goals"]

    reg = raw.get("reg")
    if reg:
        # Against stock: this kernel's run of the same kinds in the same
        # turns (reg-stockset), not the rounds that also register FS-DAX.
        ours_set = {}
        # (stock runs reg-stockset too; older stock runs have only reg)
        stock_tot = stock_boots(stocks, ("reg-stockset", "reg"),
                                lambda c: (c["size"], c["mem"]), total)
        for c in (raw.get("reg-stockset") or {}).get("cells", []):
            if c["reg"]:
                ours_set[(c["size"], c["mem"])] = total(c)
        tots, rows = {}, {}
        for c in reg["cells"]:
            tot = total(c)
            if not tot:
                continue
            tots[(c["size"], c["mem"])] = tot
            rows.setdefault(c["size"], {})[c["mem"]] = {
                "n": len(tot), "reg_us": med(c["reg"]),
                "dereg_us": med(c["dereg"]), "total_us": med(tot),
                "pmd": c.get("pmd", -1)}
        s["reg"] = []
        for size in sorted(rows):
            r = rows[size]
            for m, e in r.items():
                anc = ANCHOR.get(m)
                if anc in r:
                    rr = pratios(tots[(size, m)], tots[(size, anc)])
                    e["anchor"] = anc
                    e["ratio"] = med(rr)
                    e["ratio_iqr"] = [pct(rr, 25), pct(rr, 75)]
                st = stock_tot.get((size, m, 0))
                if st and (size, m) in ours_set:
                    # other boots: ratio of medians
                    e["ours_set_us"] = med(ours_set[(size, m)])
                    vs_stock(e, ours_set[(size, m)], st)
            s["reg"].append({"size": size, "abs": r})
            for m in GOAL_KINDS:
                e = r.get(m)
                if size >= GOAL_REG_MIN_SIZE and e and "ratio" in e:
                    goals.append({
                        "goal": "reg+dereg %s %s <= %.2fx %s"
                                % (m, size_str(size), GOAL_REG_RATIO, e["anchor"]),
                        "value": e["ratio"], "met": e["ratio"] <= GOAL_REG_RATIO})
            for m in STOCK_KINDS:
                e = r.get(m)
                if size >= GOAL_REG_MIN_SIZE and e and "vs_stock" in e:
                    goals.append(stock_goal(
                        "reg+dereg %s %s <= %.2fx the stock kernel"
                        % (m, size_str(size), GOAL_STOCK), e))

    bw = raw.get("bw")
    if bw:
        cells, window, smp = {}, {}, {}
        for c in bw["cells"]:
            cells.setdefault((c["op"], c["msg"]), {})[c["var"]] = med(c["mibps"])
            smp[(c["op"], c["msg"], c["var"])] = c["mibps"]
            window[c["msg"]] = c["window"]
        s["bw"] = []
        for (op, msg), v in sorted(cells.items(), key=lambda x: (x[0][0] != "write", x[0][1])):
            dax = smp[(op, msg, "dax")]
            e = {"op": op, "msg": msg, "mibps": v, "window": window[msg],
                 "dax_vs_anon": pratio(dax, smp[(op, msg, "anon")]),
                 "dax_vs_bounce": pratio(dax, smp[(op, msg, "bounce")])}
            for k, v2 in (("anon", "dax_vs_anon"), ("bounce", "dax_vs_bounce")):
                rr = pratios(dax, smp[(op, msg, k)])
                e[v2 + "_iqr"] = [pct(rr, 25), pct(rr, 75)]
            s["bw"].append(e)
            goals.append({"goal": "RDMA %s %s: DAX MR >= %.2fx anonymous MR"
                          % (op.upper(), size_str(msg), GOAL_BW_VS_ANON),
                          "value": e["dax_vs_anon"],
                          "met": e["dax_vs_anon"] >= GOAL_BW_VS_ANON})
            goals.append({"goal": "RDMA %s %s: DAX MR ahead of anonymous MR + memcpy"
                          % (op.upper(), size_str(msg)),
                          "value": e["dax_vs_bounce"],
                          "met": e["dax_vs_bounce"] > GOAL_BW_VS_BOUNCE})

    rev = raw.get("revoke")
    if rev:
        s["revoke"] = {}
        for fs, d in rev.items():
            if not isinstance(d, dict):
                continue
            s["revoke"][fs] = {
                "iterations": d["iterations"],
                "truncate_done_before_dereg": d["truncate_done_before_dereg"],
                **{k: {"median_us": med(d[k]), "p99_us": pct(d[k], 99),
                       "max_us": max(d[k])}
                   for k in ("event", "dereg", "truncate",
                             "truncate_done_after_dereg_start",
                             "truncate_no_mr")}}

    sc = raw.get("scale")
    if sc:
        rows = []
        for c in sc["cells"]:
            n = c["n"]
            last = []
            for r in range(c["rounds"]):
                last += c["reg_dax"][r * n:(r + 1) * n][-min(100, n):]
            rows.append({"n": n, "requested": c["requested"],
                         "rounds": c["rounds"],
                         "reg_dax_us": med(c["reg_dax"]),
                         "reg_anon_us": med(c["reg_anon"]),
                         "dax_vs_anon": pratio(c["reg_dax"], c["reg_anon"]),
                         "reg_dax_last100_us": med(last),
                         "dereg_dax_per_mr_us": med(c["dereg_dax_per_mr"]),
                         "dereg_anon_per_mr_us": med(c["dereg_anon_per_mr"]),
                         "truncate_rounds": len(c["truncate"]),
                         "truncate_us": med(c["truncate"]),
                         "truncate_last_event_us": med(c["truncate_last_event"]),
                         "punch_one_us": med(c.get("punch_one_of_n", [])),
                         "punch_one_p99_us": pct(c.get("punch_one_of_n", []), 99),
                         "punch_none_us": med(c.get("punch_none_of_n", [])),
                         # not paired: the punches run in other rounds
                         "punch_one_vs_truncate": div(med(c.get("punch_one_of_n", [])),
                                                      med(c["truncate"]))})
        # Growth against N=100: N=1 carries the one-off costs (the lease
        # taken and given back by every single MR), reported on its own.
        base = next((r for r in rows if r["n"] >= 100), rows[0])
        for r in rows:
            r["dax_vs_n100"] = div(r["reg_dax_us"], base["reg_dax_us"])
            r["anon_vs_n100"] = div(r["reg_anon_us"], base["reg_anon_us"])
            # The growth of DAX against its anonymous control, registered
            # in pairs: what the host's load does to both cancels out.
            r["growth_vs_n100"] = div(r["dax_vs_anon"], base["dax_vs_anon"])
        s["scale"] = {"max_mr": sc["max_mr"], "file_size": sc.get("file_size"),
                      "rows": rows}
        grown = [r for r in rows if r["n"] > base["n"]]
        if grown:
            worst = max(r["growth_vs_n100"] for r in grown)
            goals.append({"goal": "per-MR registration flat from %d to %d MRs "
                                  "(DAX/anon <= %.2fx of N=%d's)"
                                  % (base["n"], rows[-1]["n"], GOAL_FLAT, base["n"]),
                          "value": worst, "met": worst <= GOAL_FLAT})

    op = raw.get("open")
    if op:
        # Cells in run order: the i-th cell of a (file system, op) on this
        # kernel (N = 1, then 100) and on stock (the same turns, no MRs)
        # ran at the same point of the boot, which matters under TCG.
        def fs_op(c):
            return (c["mem"], c["op"])
        stock_cells = stock_boots(stocks, ("open",), fs_op, lambda c: c["plain"])
        s["open"] = []
        pooled = {}
        for key, c in zip(cell_keys(op["cells"], fs_op), op["cells"]):
            rr = pratios(c["leased"], c["plain"])
            rc = pratios(c.get("ctx", []), c["plain"])
            e = {"mem": c["mem"], "op": c["op"], "n": c["n"],
                 "plain_us": med(c["plain"]), "leased_us": med(c["leased"]),
                 "ratio": med(rr), "ratio_iqr": [pct(rr, 25), pct(rr, 75)]}
            if rc:
                e["ctx_ratio"] = med(rc)
            st = stock_cells.get(key)
            if st:
                vs_stock(e, c["plain"], st)
                p = pooled.setdefault(key[:2], [[], [[] for _ in stocks]])
                p[0] += c["plain"]
                for i, v in enumerate(st):
                    p[1][i] += v
            s["open"].append(e)
            if rr:
                g = {"goal": "%s of a %s file with %d MR(s) <= %.2fx without"
                             % (c["op"], c["mem"], c["n"], GOAL_OPEN),
                     "value": e["ratio"], "met": e["ratio"] <= GOAL_OPEN}
                if rc:
                    g["ctx_ratio"] = e["ctx_ratio"]
                goals.append(g)
        # against stock: every cell of the file without MRs, both sides
        for (mem, o), (ours, st) in pooled.items():
            e = {}
            vs_stock(e, ours, st)
            goals.append(stock_goal("%s of a %s file without MRs <= %.2fx stock"
                                    % (o, mem, GOAL_STOCK), e))
    return s


def table(raw, stocks, s):
    L = []
    info = raw.get("info") or {}
    L.append("FS-DAX memory registration benchmarks (make bench)")
    L.append("  kernel %s (%s), %s vCPU(s) under QEMU %s, rxe0 on veth0; guest run took %d s"
             % (info.get("kernel", "?"),
                "DEBUG options on" if raw.get("debug_kernel") else "no debug options",
                info.get("cpus", "?"), raw.get("accel", "TCG"), raw.get("seconds", 0)))
    for i, stock in enumerate(stocks):
        L.append("  stock%s: kernel %s (%s), the same guest and rdma-core, run took %d s"
                 % (" (boot %d of %d)" % (i + 1, len(stocks)) if len(stocks) > 1 else "",
                    stock.get("kernel", "?"),
                    "DEBUG options on" if stock.get("debug_kernel") else "no debug options",
                    stock.get("seconds", 0)))
    if len(stocks) > 1:
        L.append("  stock/stock: boot 2 against boot 1 of the stock kernel, what two boots of "
                 "one kernel differ by")
    if not stocks:
        L.append("  stock: no run of the stock kernel, no stock columns")
    L.append("  [abs]   absolute: emulated (TCG) times, comparable only inside this run")
    L.append("  [ratio] median of the ratios of paired samples run back to back (same round;")
    L.append("          in 4. the same MR index), except DAX/100 and anon/100: ratio of medians")
    L.append("")

    if "reg" in s:
        L.append("1. ibv_reg_mr + ibv_dereg_mr, median per round; against the anchor of each "
                 "kind (same round, same")
        L.append("   access flags) and against the same kind on the stock kernel "
                 "(another boot; ours: the rounds")
        L.append("   of only the kinds stock registers, reg-stockset, in the same turns)")
        L.append("   %-8s %-15s %3s  %-9s %-5s | %-11s %-19s | %-17s %-19s %s" % (
            "size", "kind", "n", "reg+dereg", "PMD", "anchor", "ratio (p25-p75)",
            "ours / stock", "ours/stock (range)", "stock/stock"))
        L.append("   %-8s %-15s %3s  %-15s | %-31s | %s" % (
            "", "", "", "[abs]", "[ratio] paired", "[abs] and ratio of medians"))
        for row in s["reg"]:
            a = row["abs"]
            for m in REG_ORDER:
                if m not in a:
                    continue
                e = a[m]
                pmd = "-" if e["pmd"] < 0 else "%.0f%%" % (100 * e["pmd"])
                if m == "devdax":
                    pmd = "2M"
                rat = ("%s (%.2f-%.2f)" % (r_str(e["ratio"]), *e["ratio_iqr"])
                       if "ratio" in e else "")
                st = ("%s (%.2f-%.2f)" % (r_str(e["vs_stock"]), *e["vs_stock_range"])
                      if "vs_stock" in e else "")
                L.append(("   %-8s %-15s %3d  %-9s %-5s | %-11s %-19s | %-17s %-19s %s" % (
                    size_str(row["size"]), m, e["n"], t_str(e["total_us"]), pmd,
                    e.get("anchor", ""), rat,
                    "%s/%s" % (t_str(e["ours_set_us"]), t_str(e["stock_us"]))
                    if "stock_us" in e else "", st,
                    r_str(e["stock_aa"]) if "stock_aa" in e else "")).rstrip())
        L.append("   reg alone / dereg alone, median [abs]:")
        for row in s["reg"]:
            a = row["abs"]
            L.append("     %-8s " % size_str(row["size"]) + "  ".join(
                "%s %s/%s" % (m, t_str(a[m]["reg_us"]), t_str(a[m]["dereg_us"]))
                for m in REG_ORDER if m in a))
        big = max(r["size"] for r in s["reg"])
        L.append("   anon: THPs (the guest's default, always); anon-4k: MADV_NOHUGEPAGE. "
                 "devdax: /dev/dax3.0,")
        L.append("   2 MiB aligned (PMD entries only). dax-ext4/-xfs: a file mapped at a "
                 "2 MiB aligned address;")
        L.append("   PMD: the share of it that DAX PMD faults mapped (dax_pmd_fault_done "
                 "NOPAGE), on file systems")
        L.append("   made with a 2 MiB stripe unit. dax-*-4k: the same file mapped 4 KiB "
                 "off a 2 MiB boundary,")
        L.append("   4 KiB entries only. pagecache-ext4 (ramdisk, up to 64 MiB) and "
                 "anon-4k-ro: READ-ONLY, 6.12")
        L.append("   refuses a writable long-term pin of ext4's page cache; tmpfs is "
                 "shmem page cache, writable.")
        if big < GIB:
            L.append("   largest size: %s, not 1 GiB: the pmem devices are 1 GiB, "
                     "the same size for every kind." % size_str(big))
        L.append("")

    if "bw" in s:
        bw = raw["bw"]
        L.append("2. RDMA bandwidth on rxe0 (own C loop, %.1f s per trial, %d trials), "
                 "median MiB/s" % (bw["seconds_per_trial"], len(bw["cells"][0]["mibps"])))
        L.append("   %-6s %-8s %6s %9s %9s %9s | %-20s %-20s"
                 % ("op", "msg", "in fl", "DAX MR", "anon MR", "anon+cpy",
                    "DAX/anon (p25-p75)", "DAX/a+cpy (p25-p75)"))
        L.append("   %-6s %-8s %36s | %s" % ("", "", "[abs]", "[ratio]"))
        for e in s["bw"]:
            v = e["mibps"]
            L.append("   %-6s %-8s %6d %9.2f %9.2f %9.2f | %-20s %-20s" % (
                e["op"].upper(), size_str(e["msg"]), e["window"], v["dax"], v["anon"],
                v["bounce"],
                "%s (%.2f-%.2f)" % (r_str(e["dax_vs_anon"]), *e["dax_vs_anon_iqr"]),
                "%s (%.2f-%.2f)" % (r_str(e["dax_vs_bounce"]), *e["dax_vs_bounce_iqr"])))
        L.append("   anon+cpy: what stock Linux allows, the transfer goes to/from an "
                 "anonymous MR and the")
        L.append("   CPU copies it into/out of the DAX mapping (pipelined over the "
                 "in-flight window).")
        L.append("   p25-p75: spread of the per-round ratios; where it straddles a goal's "
                 "threshold, the verdict")
        L.append("   is within the noise of this run.")
        L.append("")

    if "revoke" in s:
        L.append("3. Revocation: truncate of a 2 MiB DAX file under one MR, app deregisters "
                 "on the event [abs]")
        L.append("   %-9s %5s  %-21s %-21s %-21s %-21s" % (
            "fs", "n", "truncate->event", "dereg", "truncate->done", "truncate, no MR"))
        L.append("   %-9s %5s  %-21s %-21s %-21s %-21s" % (
            "", "", *["median / p99"] * 4))
        for fs, d in s["revoke"].items():
            def mp(k):
                return "%s / %s" % (t_str(d[k]["median_us"]), t_str(d[k]["p99_us"]))
            L.append("   %-9s %5d  %-21s %-21s %-21s %-21s" % (
                fs, d["iterations"], mp("event"), mp("dereg"), mp("truncate"),
                mp("truncate_no_mr")))
            if d["truncate_done_before_dereg"]:
                L.append("   !! %s: the truncate finished before the MR was deregistered "
                         "%d time(s)" % (fs, d["truncate_done_before_dereg"]))
        L.append("   event: ibv_get_async_event() returned IBV_EVENT_MR_REVOKED; "
                 "done: ftruncate() returned.")
        L.append("")

    if "scale" in s:
        sc = s["scale"]
        L.append("4. N MRs of 4 KiB on one %s DAX file (ext4); rxe max_mr %d"
                 % (size_str(sc["file_size"] or 0), sc["max_mr"]))
        L.append("   %-6s %3s  %-9s %-9s %-9s %-9s %-11s %-11s | %-7s %-7s %-7s %-7s"
                 % ("N", "rds", "reg DAX", "last100", "reg anon", "dereg DAX",
                    "trunc->last", "trunc->done", "DAX/100", "anon/100", "DAX/anon",
                    "growth"))
        L.append("   %-6s %3s  %-62s | %s" % ("", "", "[abs] medians; reg and dereg per MR",
                                             "[ratio]"))
        for r in sc["rows"]:
            L.append("   %-6d %3d  %-9s %-9s %-9s %-9s %-11s %-11s | %-7s %-7s %-7s %-7s" % (
                r["n"], r["rounds"], t_str(r["reg_dax_us"]), t_str(r["reg_dax_last100_us"]),
                t_str(r["reg_anon_us"]), t_str(r["dereg_dax_per_mr_us"]),
                t_str(r["truncate_last_event_us"]), t_str(r["truncate_us"]),
                r_str(r["dax_vs_n100"]), r_str(r["anon_vs_n100"]), r_str(r["dax_vs_anon"]),
                r_str(r["growth_vs_n100"])))
        L.append("   Range-aware breaks: a punch of the page under one of the N MRs (that MR")
        L.append("   gets the event and is deregistered, the others keep working) and under none:")
        L.append("   %-6s %-11s %-11s %-11s | %s" % ("N", "punch 1/N", "p99", "punch 0/N",
                                                   "[ratio] punch 1/N / trunc->done (all N)"))
        for r in sc["rows"]:
            L.append("   %-6d %-11s %-11s %-11s | %s" % (
                r["n"], t_str(r["punch_one_us"]), t_str(r["punch_one_p99_us"]),
                t_str(r["punch_none_us"]), r_str(r["punch_one_vs_truncate"])))
        for r in sc["rows"]:
            if r["n"] != r["requested"]:
                L.append("   N=%d requested, rxe's max_mr allows %d" % (r["requested"], r["n"]))
        L.append("   Each DAX MR is registered right after an anonymous one (the control). "
                 "DAX/100, anon/100:")
        L.append("   per-MR median against N=100 (N=1 pays the lease alone). DAX/anon: "
                 "median of the pairs'")
        L.append("   ratios; growth: DAX/anon against N=100's, the load of the shared host "
                 "cancelled (the goal).")
        L.append("   last100: the last 100 registrations of each round (N-100..N MRs "
                 "already there).")
        L.append("   trunc->last: truncate call to the last of the N events (each MR "
                 "deregistered on its event);")
        L.append("   trunc->done: to ftruncate() returning.")
        L.append("   RLIMIT_MEMLOCK %s KiB, not enforced: the guest runs as root "
                 "(CAP_IPC_LOCK)." % raw.get("ulimit_l", "?"))
        L.append("")

    if "open" in s:
        L.append("5. What MRs on a file cost everybody else: one open+close, one 4 KiB "
                 "pwrite, one ftruncate")
        L.append("   to the same size, on a DAX file with N MRs of 4 KiB against one "
                 "without (in turns)")
        L.append("   %-9s %-8s %4s  %-9s %-9s | %-19s %-8s | %-9s %-19s %s" % (
            "fs", "op", "N", "no MR", "N MRs", "N MRs/none (p25-p75)", "ctx/none",
            "stock", "none/stock (range)", "stock/stock"))
        for e in s["open"]:
            L.append(("   %-9s %-8s %4d  %-9s %-9s | %-19s %-8s | %-9s %-19s %s" % (
                e["mem"], e["op"], e["n"], t_str(e["plain_us"]), t_str(e["leased_us"]),
                "%s (%.2f-%.2f)" % (r_str(e["ratio"]), *e["ratio_iqr"]),
                r_str(e.get("ctx_ratio", float("nan"))),
                t_str(e["stock_us"]) if "stock_us" in e else "",
                "%s (%.2f-%.2f)" % (r_str(e["vs_stock"]), *e["vs_stock_range"])
                if "vs_stock" in e else "",
                r_str(e["stock_aa"]) if "stock_aa" in e else "")).rstrip())
        L.append("   per operation, median of samples of %d; ctx/none: a third file "
                 "without MRs but with a lock" % raw["open"]["ops_per_sample"])
        L.append("   context (an flock taken and dropped once), paired like N MRs/none: "
                 "what stock costs for any")
        L.append("   file that ever had a lock or lease; stock: the file without MRs on "
                 "the stock kernel, the cell")
        L.append("   run at the same point (the same turns, its second file without MRs "
                 "there); the goal pools all cells.")
        L.append("")

    L.append("Goals")
    for g in s["goals"]:
        L.append(("   %-8s %-66s %s %s" % (
            verdict(g), g["goal"], r_str(g["value"]),
            "(stock/stock %s)" % r_str(g["stock_aa"]) if "stock_aa" in g else
            "(a lock context alone %s)" % r_str(g["ctx_ratio"]) if "ctx_ratio" in g
            else "")).rstrip())
    met = sum(g["met"] for g in s["goals"])
    noise = sum(bool(g.get("noise")) for g in s["goals"])
    L.append("   %d of %d goals met%s" % (
        met, len(s["goals"]),
        "; %d more (NOISE) missed by less than the stock kernel differs from itself "
        "across two boots" % noise if noise else ""))
    return "\n".join(L) + "\n"


def plot(raw, s, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 2, figsize=(14, 10))
    fig.suptitle("FS-DAX MRs on rxe0 (QEMU TCG: absolute times only comparable "
                 "within this run; kernel %s)" % (raw.get("info") or {}).get("kernel", "?"),
                 fontsize=10)

    a = ax[0][0]
    if "reg" in s:
        for m, style in (("anon", "o-"), ("anon-4k", "o:"), ("devdax", "D-"),
                         ("dax-ext4", "s-"), ("dax-xfs", "^-"), ("dax-ext4-4k", "s:"),
                         ("dax-xfs-4k", "^:"), ("tmpfs", "d--")):
            pts = [(r["size"], r["abs"][m]["total_us"] / 1e3)
                   for r in s["reg"] if m in r["abs"]]
            if pts:
                a.plot(*zip(*pts), style, label=m)
        for r in s["reg"]:
            e = r["abs"].get("dax-ext4")
            if e and "ratio" in e:
                a.annotate("%.2fx" % e["ratio"], (r["size"], e["total_us"] / 1e3),
                           textcoords="offset points", xytext=(5, -12), fontsize=8)
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xticks([r["size"] for r in s["reg"]])
        a.set_xticklabels([size_str(r["size"]) for r in s["reg"]])
        a.set_ylabel("reg + dereg, median [ms] (abs)")
        a.set_title("1. registration + deregistration (labels: dax-ext4 / devdax)",
                    fontsize=10)
        a.legend(fontsize=8)
        a.grid(True, which="both", alpha=0.3)

    a = ax[0][1]
    if "bw" in s:
        labels = ["%s %s" % (e["op"].upper(), size_str(e["msg"])) for e in s["bw"]]
        w = 0.27
        for i, (v, name) in enumerate((("dax", "DAX MR"), ("anon", "anonymous MR"),
                                       ("bounce", "anon MR + memcpy (stock)"))):
            xs = [j + (i - 1) * w for j in range(len(labels))]
            a.bar(xs, [e["mibps"][v] for e in s["bw"]], w, label=name)
        for j, e in enumerate(s["bw"]):
            a.annotate("%.2f / %.2f" % (e["dax_vs_anon"], e["dax_vs_bounce"]),
                       (j, max(e["mibps"].values())), textcoords="offset points",
                       xytext=(0, 4), ha="center", fontsize=8)
        a.set_xticks(range(len(labels)))
        a.set_xticklabels(labels)
        a.set_ylabel("MiB/s, median (abs)")
        a.set_title("2. rxe bandwidth (labels: DAX/anon, DAX/anon+memcpy ratios)",
                    fontsize=10)
        a.legend(fontsize=8)

    a = ax[1][0]
    if "revoke" in s:
        data, labels = [], []
        for fs in s["revoke"]:
            d = raw["revoke"][fs]
            for k, name in (("event", "event"), ("truncate", "truncate\ndone"),
                            ("truncate_no_mr", "truncate\nno MR")):
                data.append([x / 1e3 for x in d[k]])
                labels.append("%s\n%s" % (fs, name))
        a.boxplot(data, whis=(1, 99), showfliers=True)
        a.set_xticks(range(1, len(labels) + 1))
        a.set_xticklabels(labels, fontsize=8)
        a.set_yscale("log")
        a.set_ylabel("ms from the truncate call (abs); whiskers p1..p99")
        a.set_title("3. revocation latency, app deregisters on the event", fontsize=10)

    a = ax[1][1]
    if "scale" in s:
        rows = s["scale"]["rows"]
        ns = [r["n"] for r in rows]
        a.plot(ns, [r["reg_dax_us"] for r in rows], "s-", label="reg per MR, DAX [us]")
        a.plot(ns, [r["reg_anon_us"] for r in rows], "o-", label="reg per MR, anon [us]")
        a.plot(ns, [r["reg_dax_last100_us"] for r in rows], "s:",
               label="reg, last 100 of N, DAX [us]")
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel("MRs of 4 KiB on one file (N)")
        a.set_ylabel("registration per MR, median [us] (abs)")
        a.set_title("4. scaling: per-MR registration (flat = good), truncate with N MRs",
                    fontsize=10)
        a.grid(True, which="both", alpha=0.3)
        b = a.twinx()
        b.plot(ns, [r["truncate_us"] / 1e3 for r in rows], "x--", color="tab:red",
               label="truncate->done with N MRs [ms] (right)")
        b.set_yscale("log")
        b.set_ylabel("truncate->done, median [ms] (abs)")
        h1, l1 = a.get_legend_handles_labels()
        h2, l2 = b.get_legend_handles_labels()
        a.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")

    fig.tight_layout()
    fig.savefig(path, dpi=110)


def load(path):
    with open(path) as f:
        raw = json.load(f)
    raw["accel"] = "TCG" if "TCG" in raw.get("cpu_model", "TCG") else "KVM"
    return raw


def main():
    if len(sys.argv) not in (3, 4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    raw_path, outdir = sys.argv[1], sys.argv[-1]
    try:
        raw = load(raw_path)
    except (OSError, ValueError) as e:
        print("ERROR: no usable benchmark results in %s: %s" % (raw_path, e))
        return 1
    stocks, stock_err = [], None
    for path in sys.argv[2:-1]:
        try:
            stocks.append(load(path))
        except (OSError, ValueError) as e:
            stock_err = "%s: %s" % (path, e)
    os.makedirs(outdir, exist_ok=True)
    s = summarize(raw, stocks)
    txt = table(raw, stocks, s)
    bad = [m for m, st in (raw.get("status") or {}).items() if st["rc"] != 0]
    for stock in stocks:
        bad += ["stock " + m for m, st in (stock.get("status") or {}).items()
                if st["rc"] != 0]
    if stock_err:
        txt += "ERROR: no usable stock results in %s\n" % stock_err
        bad.append("stock")
    for r in [raw] + stocks:
        if r and "jiffies" in r.get("clocksource", ""):
            txt += ("ERROR: the guest's clock was %s (4 ms steps): its TSC calibration "
                    "failed, these times are not usable\n" % r["clocksource"])
            bad.append("clock")
    if bad:
        txt += "ERROR: benchmark mode(s) failed in the guest: %s (see bench-MODE.log)\n" \
               % ", ".join(bad)
    for name, r in [("", raw)] + [("stock ", st) for st in stocks]:
        if r and r.get("dmesg_problems"):
            txt += "WARNING: the %sguest's dmesg reported %d problem line(s)\n" \
                   % (name, r["dmesg_problems"])
    sys.stdout.write(txt)
    with open(os.path.join(outdir, "bench.txt"), "w") as f:
        f.write(txt)
    with open(os.path.join(outdir, "bench.json"), "w") as f:
        json.dump({"summary": s, "raw": raw, "raw_stock": stocks}, f, indent=1)
    try:
        plot(raw, s, os.path.join(outdir, "bench.png"))
    except ImportError as e:
        print("ERROR: no plot (%s): install python3-matplotlib (make deps)" % e)
        return 1
    print("written: %s/bench.txt, bench.json, bench.png" % os.path.relpath(outdir))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
