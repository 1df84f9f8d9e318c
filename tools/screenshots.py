"""Screenshots of the console for the README and docs: ``make screenshots``.

Builds a small demo city (``huitong.demo.city.build_demo``) in a temporary directory, serves it
with uvicorn on a free port in a thread, and drives Debian's Chromium (headless, through
Playwright, which never downloads a browser) to save PNGs under ``docs/screenshots/``.

    .venv/bin/python tools/screenshots.py [--people 1000] [--out docs/screenshots]

Chinese text needs a CJK font (``fc-list :lang=zh``); ``make chromium`` installs one when missing.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("HUITONG_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 900}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(settings, port: int) -> Iterator[str]:
    """The console on ``settings``' data directory, in this process, until the block ends."""
    import uvicorn

    from huitong.api.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="screenshots-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("the console server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class Shooter:
    def __init__(self, browser, base: str, out: Path):
        self.browser, self.base, self.out = browser, base, out
        self.saved: list[Path] = []
        self.context = None
        self.page = None

    def fresh(self) -> None:
        """A new browser context: no cookies, the zh-CN default."""
        if self.context is not None:
            self.context.close()
        self.context = self.browser.new_context(
            base_url=self.base, viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1
        )
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()

    def login(self, username: str) -> None:
        from huitong.demo.catalog_data import DEMO_PASSWORD

        self.fresh()
        pg = self.page
        pg.goto("/login")
        pg.get_by_label("用户名").fill(username)
        pg.get_by_label("密码").fill(DEMO_PASSWORD)
        pg.locator("#login-form button[type=submit]").click()
        pg.wait_for_url(lambda url: "/login" not in url)

    def shot(self, name: str, *, full_page: bool = False) -> None:
        path = self.out / f"{name}.png"
        self.page.wait_for_load_state("load")
        self.page.screenshot(path=str(path), full_page=full_page)
        self.saved.append(path)
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    def close(self) -> None:
        if self.context is not None:
            self.context.close()


def take(s: Shooter) -> None:
    from playwright.sync_api import expect

    # signing in, with the username filled in
    s.fresh()
    s.page.goto("/login")
    s.page.get_by_label("用户名").fill("gaadmin")
    s.shot("login")

    # Chinese search with the matches highlighted
    s.login("gaadmin")
    s.page.goto("/catalog?q=人口")
    expect(s.page.locator(".hit h3 mark").first).to_be_visible()
    s.shot("catalog-search")

    # a resource page: the provider's staff see versions, sample rows and lineage
    s.page.goto("/catalog?q=常住人口")
    s.page.locator(".hit h3 a").first.click()
    expect(s.page.locator("#items")).to_be_visible()
    s.shot("resource")

    # 公安's quality scorecard: dimensions, the trend over versions (one held back), worst rules first
    s.page.goto("/catalog?q=常住人口户籍信息")
    s.page.locator(".hit h3 a").first.click()
    s.page.locator("#quality-badge a").click()
    expect(s.page.locator("#chart-trend")).to_be_visible()
    s.shot("quality-scorecard", full_page=True)

    # the rule file 公安 keeps for it, edited in the console
    s.page.locator("#edit-rules").click()
    s.shot("quality-rules", full_page=True)

    # the objections 公安 must answer, the overdue one marked, and 民政's address objection
    s.page.goto("/objections")
    s.shot("objections", full_page=True)
    s.page.goto("/objections?state=verifying")
    s.page.locator("table a[href^='/objections/']").last.click()
    expect(s.page.locator("#history")).to_be_visible()
    s.shot("objection-detail", full_page=True)

    # 分类分级: the proposals (the undeclared 备注 first), and 常住人口's findings, releases and figures
    s.page.goto("/classify")
    expect(s.page.locator("#classify-proposals")).to_be_visible()
    s.shot("classify", full_page=True)
    s.page.goto("/catalog?q=常住人口户籍信息")
    code = s.page.locator(".hit .code").first.inner_text().strip()
    s.page.goto(f"/classify/resource/{code}")
    s.page.locator("article.release details summary").first.click()  # the classes that fail
    s.shot("classify-resource", full_page=True)

    # the provider's inbox: 民政 has a request to decide, with its working-day countdown
    s.login("mzadmin")
    s.page.goto("/catalog?q=最低生活保障对象信息")
    s.page.locator(".hit h3 a").first.click()
    s.page.locator("#quality-badge a").click()
    s.page.locator("tr.sample details").first.locator("summary").click()  # the pairs that disagree
    s.shot("quality-cross-source", full_page=True)
    s.page.goto("/share/inbox")
    s.shot("share-inbox")

    # a grant's granted view of the data, masked by grade
    s.page.goto("/share/grants")
    active = s.page.locator("#grants tbody tr", has=s.page.locator(".grant-active"))
    active.first.locator("a").first.click()
    s.page.locator("#view-data").click()
    expect(s.page.locator("#granted-rows tbody tr").first).to_be_visible()
    s.shot("share-grant-data")

    # an audit entry, its inclusion proof verified against the signed checkpoint
    s.login("auditor")
    s.page.goto("/audit/checkpoints")
    s.page.locator("#sign-now").click()  # the newest entries join a signed checkpoint now
    s.page.goto("/audit?action=share.deliver.query")
    s.page.locator("#entries tbody tr").first.get_by_role("link").first.click()
    s.page.locator("#verify").click()
    expect(s.page.locator("#verification")).to_contain_text("验证通过")
    s.page.locator("#verification").blur()  # the page focuses the result; no focus ring in the picture
    s.shot("audit-entry-verified", full_page=True)

    # 治理驾驶舱, as the operator sees it, in Chinese and in English
    s.login("op")
    s.page.goto("/dashboard")
    expect(s.page.locator("#flow-diagram")).to_be_visible()
    s.shot("dashboard", full_page=True)
    s.page.locator("#lang-switch").click()
    expect(s.page.locator("html")).to_have_attribute("lang", "en")
    s.shot("dashboard-en", full_page=True)

    # 基础库: the 人口库's definition, runs, the model's match weights, the review queue side by side
    s.page.locator("#lang-switch").click()  # back to Chinese
    s.page.goto("/fuse/renkou")
    expect(s.page.locator("#h-model")).to_be_visible()
    s.shot("fuse", full_page=True)
    s.page.locator("#f-base-id").fill("P000000001")
    s.page.locator("#find-form button").click()
    s.shot("fuse-record", full_page=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000, help="residents in the demo city (at least 100)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing: run make chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from huitong.demo.city import build_demo

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="huitong-shots-") as tmp:
        port = free_port()
        settings = build_demo(Path(tmp) / "demo", port=port, people=args.people)
        with serving(settings, port) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            shooter = Shooter(browser, base, args.out)
            print(f"screenshots of {base} into {args.out}:")
            try:
                take(shooter)
            finally:
                shooter.close()
                browser.close()
    print(f"{len(shooter.saved)} screenshots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
