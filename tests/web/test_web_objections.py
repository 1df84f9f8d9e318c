"""The objection pages (异议处理): a consumer raises one from a row of its data view with an
evidence file, the operator accepts, flags and forwards, the holder extends and corrects with a
newer version (or rejects), the raiser is told; who sees what, CSRF, field errors in the reader's
language, the 5 MB cap, and the dashboard's figures. Everything through the real app."""

from __future__ import annotations

import re
from html import unescape

import pytest

from huitong.quality import objections as service
from huitong.web.i18n import catalog
from tests.web.conftest import csrf_of, sign_in
from tests.web.console_data import GOOD_1, GOOD_2
from tests.web.objection_world import build

CSRF_ZH = catalog("zh")["error.csrf"]


@pytest.fixture(scope="module")
def ow(tmp_path_factory):
    world = build(tmp_path_factory.mktemp("objections"))
    yield world
    world.cw.store.close()
    world.db.dispose()


def signed_in(ow, who: str):
    return sign_in(ow.client(), who)


def text_of(html: str, id_: str) -> str:
    """The visible text of the element with this id (tags dropped, blanks collapsed)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{id_}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, f"no #{id_} on the page"
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(2)))).strip()


def act(client, oid: int, action: str, **fields):
    token = csrf_of(client.get(f"/objections/{oid}").text)
    data = {"csrf": token, "action": action} | {f"{k}_{action}": v for k, v in fields.items()}
    return client.post(f"/objections/{oid}/step", data=data)


def object_forms(html: str) -> list[tuple[str, dict[str, str]]]:
    """The data view's per-row 提出异议 forms: each one's action and hidden fields."""
    found = []
    for action, body in re.findall(
        r'<form method="post" action="([^"]+)" class="inline object-form">(.*?)</form>', html, re.S
    ):
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body))
        found.append((unescape(action), {k: unescape(v) for k, v in fields.items()}))
    return found


def masked(value: str) -> str:
    """An ID number as its default view (一般4级, the id_number rule) shows it."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def test_raise_from_the_data_view_then_accept_flag_forward_extend_correct_and_the_raiser_is_told(ow):
    mzu = signed_in(ow, "mzu")
    view = mzu.get(f"/share/grants/{ow.clear_grant}/data").text
    action, fields = next((a, f) for a, f in object_forms(view) if f.get("key_0") == GOOD_2)
    assert action == "/objections/new/prefill" and fields["resource"] == ow.cw.hj
    form = mzu.post(action, data=fields)
    assert form.status_code == 200 and 'id="raise-form"' in form.text
    form = form.text
    assert f'name="key_0" type="text" value="{GOOD_2}"' in form and 'enctype="multipart/form-data"' in form
    r = mzu.post(
        "/objections/new",
        data={
            "csrf": csrf_of(form),
            "resource": ow.cw.hj,
            "key_0": GOOD_2,
            "item": "姓名",
            "reason": "姓名应为李四",
        },
        files={"evidence": ("户口本.pdf", b"%PDF-1.4 scan", "application/pdf")},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=raised")
    oid = int(re.search(r"/objections/(\d+)", r.headers["location"]).group(1))
    page = mzu.get(r.headers["location"]).text
    assert "异议已提出" in page and text_of(page, "objection-state") == "已提出"
    assert text_of(page, "objection-what") == f"数据项: {GOOD_2} · 姓名"
    assert text_of(page, "objection-holder") == "杭州市公安局"  # routed by the row's load
    assert 'id="objection-lineage"' not in page  # the raiser is not told which load wrote the row
    assert [a for a in re.findall(r'id="form-(\w+)"', page)] == ["withdraw"]  # the raiser may only withdraw

    op = signed_in(ow, "op")
    assert "归集批次" in text_of(op.get(f"/objections/{oid}").text, "objection-lineage")
    assert re.findall(r'id="form-(\w+)"', op.get(f"/objections/{oid}").text) == ["accept", "decline"]
    for action, state in (("accept", "已受理"), ("flag", "已标注"), ("forward", "核实中")):
        r = act(op, oid, action)
        assert r.status_code == 303, r.text
        assert text_of(op.get(r.headers["location"]).text, "objection-state") == state

    view = mzu.get(f"/share/grants/{ow.clear_grant}/data").text
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", view, re.S) if GOOD_2 in r)
    assert 'class="disputed-row"' in row and "有异议" in row and "姓名" in row  # served, and marked

    ga = signed_in(ow, "ga")
    holder = ga.get(f"/objections/{oid}").text
    assert re.findall(r'id="form-(\w+)"', holder) == ["extend", "correct", "reject"]
    assert 'name="correction_correct"' in holder and 'name="correction_extend"' not in holder
    r = act(ga, oid, "extend", reason="  ")
    assert r.status_code == 422 and "请填写“理由”" in r.text and 'aria-invalid="true"' in r.text
    r = act(ga, oid, "extend", reason="需调取原始档案")
    assert r.status_code == 303, re.sub(r"\s+", " ", r.text[r.text.find("<main") :])[:3000]
    assert text_of(ga.get(r.headers["location"]).text, "objection-state") == "核实中（已延期）"

    old = ga.get(f"/objections/{oid}").text
    old_version = re.search(r'版本 <span class="code">(\d+)</span>', old).group(1)
    r = act(ga, oid, "correct", correction=old_version)  # a version made before the objection
    assert (
        r.status_code == 422
        and f"版本 {old_version} 早于异议提出时间" in r.text
        and "Traceback" not in r.text
    )
    fixed = ow.load_corrected(old="李思", new="李四")  # back to what the raiser said
    r = act(ga, oid, "correct", correction=fixed, reason="已按户籍档案更正")
    assert r.status_code == 303, re.sub(r"\s+", " ", r.text[r.text.find("<main") :])[:1500]
    page = ga.get(r.headers["location"]).text
    assert text_of(page, "objection-state") == "已更正" and text_of(page, "objection-correction") == fixed
    history = text_of(page, "history")
    for said in ("提出异议", "受理", "异议标注", "转核实部门", "延期核实", "需调取原始档案", fixed):
        assert said in history

    listed = mzu.get("/objections").text
    assert text_of(listed, "notices").count(f"异议 #{oid}") == 1 and "已更正" in text_of(listed, "notices")
    assert fixed in text_of(listed, "notices")

    evidence = re.search(rf'href="(/objections/{oid}/evidence/\d+)"', page).group(1)
    file = mzu.get(evidence)
    assert file.content == b"%PDF-1.4 scan" and file.headers["content-type"] == "application/octet-stream"
    assert file.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    assert signed_in(ow, "sj").get(evidence).status_code == 404  # through the service's access check


def test_the_holder_rejects_with_a_reason_and_the_raiser_reads_it_in_english(ow):
    oid = ow.raise_one(key=GOOD_1, reason="性别有误")
    for action in ("accept", "flag", "forward"):
        ow.step("op", oid, action)
    ga = signed_in(ow, "ga")
    r = act(ga, oid, "reject")
    assert r.status_code == 422 and "请填写“理由”" in r.text  # reject needs one, as the flow says
    r = act(ga, oid, "reject", reason="经核实登记无误")
    assert r.status_code == 303
    mzu = signed_in(ow, "mzu")
    zh = mzu.get("/objections").text
    mzu.post("/lang", data={"csrf": csrf_of(zh), "lang": "en"})
    en = mzu.get("/objections").text
    assert "经核实登记无误" in text_of(en, "notices") and "Reject" in text_of(en, "notices")
    assert "Rejected" in text_of(en, "objections") and "Objections" in en


def test_who_sees_an_objection_and_who_may_act(ow):
    oid = ow.raise_one(key=GOOD_1)
    sj = signed_in(ow, "sj")  # neither raiser nor holder
    assert sj.get(f"/objections/{oid}").status_code == 404
    assert f'/objections/{oid}"' not in sj.get("/objections").text
    assert signed_in(ow, "ga").get("/objections").text.count(f'href="/objections/{oid}"') == 1  # the holder

    aud = signed_in(ow, "aud")
    page = aud.get(f"/objections/{oid}").text
    assert text_of(page, "objection-you") == "查看者（只读）" and 'class="action-form"' not in page
    assert f'href="/objections/{oid}"' in aud.get("/objections").text
    r = aud.post(f"/objections/{oid}/step", data={"csrf": csrf_of(page), "action": "accept"})
    assert r.status_code == 403  # auditors only see

    r = ow.client().get(f"/objections/{oid}")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_step_without_csrf_is_refused_and_changes_nothing(ow):
    oid = ow.raise_one(key=GOOD_1)
    op = signed_in(ow, "op")
    r = op.post(f"/objections/{oid}/step", data={"action": "accept"})
    assert r.status_code == 403 and CSRF_ZH in r.text
    assert text_of(op.get(f"/objections/{oid}").text, "objection-state") == "已提出"


def test_the_raise_form_says_what_to_fix_and_keeps_what_was_typed(ow):
    mzu = signed_in(ow, "mzu")
    form = mzu.get(f"/objections/new?resource={ow.cw.hj}").text
    assert 'id="raise-form"' in form
    data = {"csrf": csrf_of(form), "resource": ow.cw.hj, "key_0": GOOD_1, "item": "", "reason": ""}
    r = mzu.post("/objections/new", data=data)
    assert r.status_code == 422 and "请填写“理由”" in text_of(r.text, "error-summary")
    assert f'value="{GOOD_1}"' in r.text and 'id="e-reason"' in r.text

    r = mzu.post("/objections/new", data=data | {"reason": "x", "item": "身高"})  # the service refuses
    assert r.status_code == 422 and "该资源没有数据项“身高”" in r.text


def test_over_large_evidence_is_refused_with_a_clear_message(ow):
    mzu = signed_in(ow, "mzu")
    before = len(mzu.get("/objections").text)
    form = mzu.get(f"/objections/new?resource={ow.cw.hj}").text
    r = mzu.post(
        "/objections/new",
        data={"csrf": csrf_of(form), "resource": ow.cw.hj, "key_0": GOOD_1, "reason": "附件过大"},
        files={"evidence": ("scan.pdf", b"x" * (service.MAX_EVIDENCE + 1), "application/pdf")},
    )
    assert r.status_code == 422
    assert "佐证材料 scan.pdf 超过 5 MB，未能上传。" in text_of(r.text, "error-summary")
    assert "附件过大" in r.text  # the reason is kept for the second try
    assert len(mzu.get("/objections").text) == before  # nothing was raised


def test_a_whole_resource_objection_from_the_catalog_page(ow):
    mzu = signed_in(ow, "mzu")
    page = mzu.get(f"/catalog/resource/{ow.cw.hj}").text
    link = unescape(re.search(r'href="([^"]+)" id="object-resource"', page).group(1))
    form = mzu.get(link).text
    r = mzu.post(
        "/objections/new", data={"csrf": csrf_of(form), "resource": ow.cw.hj, "reason": "整体更新不及时"}
    )
    assert r.status_code == 303
    assert text_of(mzu.get(r.headers["location"]).text, "objection-what") == "整个资源"
    assert 'id="object-resource"' not in ow.client().get(f"/catalog/resource/{ow.cw.stats}").text  # anonymous


def test_the_dashboard_shows_each_holders_figures_and_the_overdue_list(ow):
    ow.raise_one(key=GOOD_1)
    with ow.db.session() as s:
        (police,) = service.department_figures(s, ow.actor("op"))
    page = signed_in(ow, "op").get("/dashboard").text
    figures = text_of(page, "objection-figures")
    assert f"公安局 {police.received} {police.open} {police.overdue}" in figures
    assert 'id="chart-objections-received"' in page and "逾期未办的异议" in page
    assert 'id="section-objections"' not in ow.client().get("/dashboard").text  # nothing for the public


def test_every_state_party_and_action_of_the_flow_has_words_in_both_languages():
    from huitong.quality.objection_flow import ACTIONS, Party, State

    zh, en = catalog("zh"), catalog("en")
    for state in State:
        assert (
            zh[f"objection.state.{state.value}"] == state.label_zh and f"objection.state.{state.value}" in en
        )
    for key in [f"objection.action.{a}" for a in ("submit", *ACTIONS)] + [
        f"objection.party.{p}" for p in Party
    ]:
        assert key in zh and key in en


def test_the_data_view_puts_no_record_key_in_any_url(ow):
    """The 提出异议 of each row is a small POST form: the ID number is in no href or action (no
    browser history, no access log), and the prefill route renders the form and creates nothing."""
    mzu = signed_in(ow, "mzu")
    view = mzu.get(f"/share/grants/{ow.clear_grant}/data").text
    assert GOOD_1 in view and GOOD_2 in view  # shown in clear under this grant
    urls = [unescape(u) for u in re.findall(r'(?:href|action|src)="([^"]*)"', view)]
    assert urls and not [u for u in urls if "key=" in u or GOOD_1 in u or GOOD_2 in u]
    assert 'class="object-link"' not in re.sub(r"<button[^>]*>", "", view)  # no link left
    forms = object_forms(view)
    assert forms and {f["key_0"] for _, f in forms} >= {GOOD_1, GOOD_2}
    assert all(f["csrf"] and f["resource"] == ow.cw.hj for _, f in forms)
    before = len(mzu.get("/objections").text)
    action, fields = next((a, f) for a, f in forms if f["key_0"] == GOOD_1)
    assert mzu.post(action, data=fields).status_code == 200
    assert len(mzu.get("/objections").text) == before  # nothing was raised
    r = mzu.post(action, data={k: v for k, v in fields.items() if k != "csrf"})
    assert r.status_code == 403 and CSRF_ZH in r.text

    masked_view = mzu.get(f"/share/grants/{ow.cw.grant}/data").text  # the ID number masked there
    forms = object_forms(masked_view)
    assert forms and all("key_0" not in f for _, f in forms)  # a masked key prefills nothing


def test_a_key_in_the_raise_forms_url_is_ignored_and_the_reader_told(ow):
    mzu = signed_in(ow, "mzu")
    r = mzu.get(f"/objections/new?resource={ow.cw.hj}&key={GOOD_1}")
    assert r.status_code == 200 and 'id="raise-form"' in r.text
    assert GOOD_1 not in r.text and 'name="key_0" type="text" value=""' in r.text
    assert "记录的主键不能通过链接传递" in text_of(r.text, "key-not-in-url")
    plain = mzu.get(f"/objections/new?resource={ow.cw.hj}").text
    assert 'id="key-not-in-url"' not in plain


def test_the_record_key_is_masked_for_the_operator_and_auditors_in_the_console(ow):
    """The raiser and the holder see the key as given; the operator and auditors (list, detail,
    the dashboard's overdue list) its default view by grade, never the number."""
    from datetime import datetime, timedelta

    past = datetime.now().astimezone() - timedelta(days=60)  # long overdue
    oid = ow.raise_one(key=GOOD_1, reason="出生日期有误", now=past)
    for who in ("op", "aud"):
        client = signed_in(ow, who)
        listed = client.get("/objections").text
        detail = client.get(f"/objections/{oid}").text
        row = next(
            r for r in re.findall(r"<tr[^>]*>.*?</tr>", listed, re.S) if f'href="/objections/{oid}"' in r
        )
        assert masked(GOOD_1) in row, who
        assert text_of(detail, "objection-what") == f"记录: {masked(GOOD_1)}", who
        assert GOOD_1 not in listed and GOOD_1 not in detail, who
    board = signed_in(ow, "op").get("/dashboard").text
    assert f'href="/objections/{oid}"' in text_of_html(board, "objections-overdue")
    assert masked(GOOD_1) in board and GOOD_1 not in board
    for who in ("mzu", "ga"):  # the raiser's department, the holder
        client = signed_in(ow, who)
        assert text_of(client.get(f"/objections/{oid}").text, "objection-what") == f"记录: {GOOD_1}", who
        assert GOOD_1 in client.get("/objections").text, who


def text_of_html(html: str, id_: str) -> str:
    """The markup inside the element with this id."""
    found = re.search(rf'<(\w+)[^>]*\bid="{id_}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, f"no #{id_} on the page"
    return found.group(2)
