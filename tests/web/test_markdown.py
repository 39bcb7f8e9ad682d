"""The answer's Markdown: the safe subset rendered, everything else escaped."""

from __future__ import annotations

from web.markdown import render


def test_paragraphs_lists_and_emphasis_are_rendered() -> None:
    html = render("**Emma Novak** has:\n- 6,240 points\n- the *Silver* tier\n\nAsk `/pending`.")
    assert str(html) == (
        "<p><strong>Emma Novak</strong> has:</p>"
        "<ul><li>6,240 points</li><li>the <em>Silver</em> tier</li></ul>"
        "<p>Ask <code>/pending</code>.</p>"
    )


def test_numbered_lists_and_headings() -> None:
    assert str(render("## Next\n1. Award\n2. Approve")) == (
        "<p><strong>Next</strong></p><ol><li>Award</li><li>Approve</li></ol>"
    )


def test_html_and_links_from_a_model_or_guest_data_stay_text() -> None:
    html = str(render("<img src=x onerror=alert(1)> [click](javascript:alert(1)) **<b>x</b>**"))
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<a" not in html
    assert "[click](javascript:alert(1))" in html
    assert "<strong>&lt;b&gt;x&lt;/b&gt;</strong>" in html


def test_a_plain_answer_is_one_paragraph_with_line_breaks() -> None:
    assert str(render("one\ntwo")) == "<p>one<br>two</p>"
