"""What ``huitong demo`` prints when the city is built: what is in it, who to sign in as, and
five things to try, so a newcomer knows where to look first."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from huitong.catalog.classification import PROVINCIAL_DEPT_ITEM
from huitong.demo.catalog_data import DEMO_PASSWORD, DEPARTMENTS, REGIONS

ACCOUNTS = [  # username, role as the demo uses it, what to look at
    ("op", "platform operator (数据局)", "compliance reviews, an overdue request, every grant, the 基础库 (/fuse)"),
    ("gaadmin", "dept admin, provider (公安局)", "its sources and rejects, requests it decided"),
    ("mzadmin", "dept admin, consumer and provider (民政局)", "its grants, a recall to acknowledge, a request to decide"),
    ("rsuser", "dept user, consumer (人社局)", "its applications and the enterprise grant"),
    ("auditor", "auditor (数据局)", "the ledger: every load, decision and delivery"),
]  # fmt: skip


def _load_lines(city) -> list[str]:
    out = []
    for loaded in city.loads:
        p, r = loaded.plan, loaded.result
        head = f"  {p.name:<15} {p.kind:<6} → {loaded.code} {p.resource}"
        if r is None:
            out.append(f"{head}: not loaded yet, waits for its schedule {p.schedule} (huitong worker)")
            continue
        s = r.summary
        when = f", schedule {p.schedule}" if p.schedule else ""
        out.append(
            f"{head}: load {r.load_id} {r.status}, {s.rows_in:,} in, {s.rows_out:,} stored, "
            f"{s.rows_rejected:,} rejected{when}"
        )
    return out


def print_summary(console: Console, city, *, port: int | None = None) -> None:
    a = city.activity
    settings = city.settings
    base = f"http://{settings.bind_host}:{port or settings.bind_port}"
    console.print(
        f"\n[bold green]demo city ready[/] in {city.seconds:.1f}s: {len(REGIONS)} regions, "
        f"{len(DEPARTMENTS)} departments, {city.published} published catalog entries, "
        f"{city.people:,} residents, {city.enterprises:,} enterprises",
        soft_wrap=True,
        highlight=False,
    )
    console.print(f"data directory: {city.data_dir}   (部门 catalog nodes under {PROVINCIAL_DEPT_ITEM})")
    console.print("loads (rejects: huitong ingest rejects <load>):", highlight=False)
    for line in _load_lines(city):
        console.print(line, soft_wrap=True, highlight=False)
    defects = "; ".join(
        f"{name}: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        for name, kinds in city.handed.defects.counts.items()
    )
    console.print(f"[dim]deliberate defects in the hand-overs: {defects}[/]", soft_wrap=True, highlight=False)
    states = ", ".join(f"{story} (request {rid})" for story, rid in a.requests.items())
    console.print(f"sharing requests: {states}", soft_wrap=True, highlight=False)
    done = ", ".join(f"{n} {mode}" for mode, n in sorted(a.deliveries.items()))
    verified = ", ".join(f"{n} {r}" for r, n in sorted(a.verify.items()))
    console.print(
        f"deliveries: {done} (verifications: {verified}); subscription {a.subscription} → "
        f"webhook not running, so its notice waits in the outbox; recall {a.recall} open after "
        f"grant {a.grants['revoked']} was revoked",
        soft_wrap=True,
        highlight=False,
    )
    for message in a.refused:
        console.print(f"refused after revocation (and recorded): {message}", soft_wrap=True, highlight=False)
    for note in a.simulated:
        console.print(f"[yellow]simulated:[/] {note}", soft_wrap=True, highlight=False)
    if city.quality is not None:
        q = city.quality
        console.print(
            f"quality: rule files in {q.rule_files[0].parent} (every load is measured); 公安's increment "
            f"{q.held.load_id} was held back by the quality gate ({q.held.status}), its correction "
            f"{q.corrected.load_id} {q.corrected.status}; 民政's 低保 addresses are checked against 公安's "
            f"pair by pair (huitong quality results --resource <code> --samples)",
            soft_wrap=True,
            highlight=False,
        )
    if city.objections is not None:
        ids = city.objections.ids
        console.print(
            f"objections (异议): #{ids['answered']} 民政 on an address 公安 holds, answered (the register is right) "
            f"and archived; #{ids['verifying']} the same kind, waiting for 公安's answer; #{ids['corrected']} 人社 on "
            f"a moved resident, extended once, then corrected by 公安's next increment; #{ids['submitted']} waiting "
            f"for the operator, as does #{ids['for_citizen']}, raised by the auditor for a resident (代居民提出); "
            f"#{ids['declined']} declined; #{ids['overdue']} overdue at 公安 (huitong objection list)",
            soft_wrap=True,
            highlight=False,
        )
        for note in city.objections.simulated:
            console.print(f"[yellow]simulated:[/] {note}", soft_wrap=True, highlight=False)
    if city.classification is not None:
        c = city.classification
        found = "; ".join(f"{code} {col}" for code, col in c.undeclared) or "none"
        console.print(
            f"classification (分类分级): every load was scanned for personal data; gaadmin confirmed "
            f"{', '.join(c.confirmed)} on 常住人口 and overrode {c.overridden} with a reason; undeclared personal "
            f"data left for you to decide: {found}. De-identified release #{c.refused} was refused below k "
            f"(exact birth dates); #{c.released} passed and was released as {c.release_code}; two published "
            f"figures spent ε 0.7, {c.budget_left:g} left (huitong deid list; huitong classify findings)",
            soft_wrap=True,
            highlight=False,
        )
    if city.fusion is not None:
        f = city.fusion
        p, e = f.stats.get("renkou", {}), f.stats.get("faren", {})
        decided = (
            f"op decided the most uncertain pair ({'the same person' if f.decided[2] else 'two people'}) and ran it again: "
            f"{'every other resident kept their id' if f.stable else 'ids changed'}"
            if f.decided
            else "no pair was uncertain enough for review"
        )
        console.print(
            f"base libraries (基础库): 人口库 fused {p.get('records', 0):,} records of 公安/民政/人社/卫健 into "
            f"{p.get('clusters', 0):,} residents ({p.get('multi_source', 0):,} from several departments, "
            f"{p.get('conflicts', 0):,} conflicts between sources); 法人库 {e.get('records', 0):,} records of "
            f"市场监管/税务 into {e.get('clusters', 0):,} entities; {decided} "
            f"(huitong --as op fuse status; fuse conflicts renkou; fuse explain renkou P000000001)",
            soft_wrap=True,
            highlight=False,
        )
    console.print(
        "[dim]not simulated: every load ran now, so no source is months behind; sources "
        "with daily schedules were loaded once and ga-ldrk waits for its first run[/]",
        soft_wrap=True,
        highlight=False,
    )
    console.print(f"demo accounts (password [bold]{DEMO_PASSWORD}[/]):")
    for user, role, what in ACCOUNTS:
        console.print(f"  {user:<8} {role}: {what}", soft_wrap=True, highlight=False)
    exe = ".venv/bin/huitong" if Path(".venv/bin/huitong").exists() else "huitong"
    env = f"HUITONG_DATA_DIR={city.data_dir}"
    hukou = next(x for x in city.loads if x.plan.name == "ga-hukou")
    console.print(
        f"console: {base}/   API docs: {base}/api/docs   dashboard: {base}/dashboard", soft_wrap=True
    )
    console.print("five things to try:")
    console.print(
        f"  1. sign in at {base}/login as gaadmin, open {base}/aggregate/loads/{hukou.result.load_id} "
        "— the rejected rows of 公安's export, with row, column and reason",
        soft_wrap=True,
        highlight=False,
    )
    console.print(
        f"  2. {env} {exe} --as mzadmin share act {a.requests['pending_provider']} approve "
        "--items 公民身份号码,姓名   (民政 decides 人社's request; then: share list --overdue as op)",
        soft_wrap=True,
        highlight=False,
    )
    console.print(
        f"  3. {env} {exe} --as auditor audit who-used {a.verified_id}   "
        "(which department looked this resident up, when and why)",
        soft_wrap=True,
        highlight=False,
    )
    console.print(
        f"  4. {base}/quality/resource/{hukou.code} as gaadmin — 公安's quality scorecard: the score per "
        "dimension, its trend over four versions, the held-back one, the worst rules first",
        soft_wrap=True,
        highlight=False,
    )
    if city.objections is not None:
        waiting = city.objections.ids["verifying"]
        console.print(
            f"  5. {env} {exe} --as gaadmin objection show {waiting}   (民政 disputes an address 公安 holds; "
            f"answer it: objection step {waiting} reject --reason … or correct --correction <version>)",
            soft_wrap=True,
            highlight=False,
        )
