import re

from playwright.sync_api import expect

from browser_helpers import log_in


def test_staff_reads_article_marks_module_and_progress_moves(page, live_server):
    """A staff member opens 行政处罚法 第三十三条, marks its module studied, and the course progress bar moves."""
    log_in(page, "100002")
    expect(page.locator("h1")).to_contain_text("您好")
    page.goto("/courses/行政处罚法/")
    bar = page.locator("#course-progress .progress-bar")
    expect(bar).to_have_text("0/8")
    page.goto("/laws/行政处罚法/33")
    expect(page).to_have_url(re.compile(r"#art-33$"))
    article = page.locator("#art-33")
    expect(article).to_contain_text("初次违法且危害后果轻微并及时改正的，可以不予行政处罚")
    expect(article).to_be_in_viewport()
    page.click("#mark-studied")
    expect(page.locator(".alert-success")).to_contain_text("已学习")
    page.goto("/courses/行政处罚法/")
    expect(bar).to_have_text("1/8")
    expect(page.locator(".list-group-item", has_text="第四章")).to_contain_text("已学习")


def test_reader_on_a_phone(phone_page):
    """On a 375-px-wide phone the reader has no horizontal scroll and article text wraps."""
    log_in(phone_page, "100003")
    phone_page.goto("/laws/行政处罚法/51")
    expect(phone_page.locator("#art-51")).to_contain_text("二百元以下")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    nav_next = phone_page.locator("nav.d-flex a").last
    expect(nav_next).to_contain_text("第六章")
    phone_page.locator(".navbar-toggler").click()
    expect(phone_page.locator("#nav")).to_contain_text("课程")


def test_supervisor_sees_who_studied(page, live_server):
    """After staff study, their supervisor sees it in the study overview; other units are not listed."""
    log_in(page, "100004")
    page.goto("/courses/行政处罚法/1")
    page.click("#mark-studied")
    page.click("text=退出")
    log_in(page, "zg01")
    expect(page).to_have_url(re.compile(r"/supervisor/$"))
    row = page.locator("#staff-table tr", has_text="100004")
    expect(row).to_contain_text("1/8")
    expect(page.locator("#staff-table")).not_to_contain_text("环卫所")
