import pytest

from services.renderer.filters import cn_date, cn_number, cny, cny_upper


@pytest.mark.parametrize("amount, words", [
    ("60000", "陆万元整"), ("60000.00", "陆万元整"), ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
    ("1000.05", "壹仟元零伍分"), ("0", "零元整"), ("0.50", "伍角"), ("0.05", "伍分"),
    ("10005", "壹万零伍元整"), ("1000005", "壹佰万零伍元整"), ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"), ("105000", "壹拾万伍仟元整"), ("2000", "贰仟元整"),
    ("30.5", "叁拾元伍角"), (60000, "陆万元整"),
])
def test_cny_upper(amount, words):
    assert cny_upper(amount) == words


@pytest.mark.parametrize("bad", ["-1", "abc", True, "1e400000"])
def test_cny_upper_refuses_what_is_not_an_amount(bad):
    with pytest.raises(ValueError):
        cny_upper(bad)


def test_cny_groups_thousands_with_two_decimals():
    assert [cny(v) for v in ("60000", "1234567.5", "0.05")] == ["60,000.00", "1,234,567.50", "0.05"]


@pytest.mark.parametrize("n, words", [(0, "零"), (3, "三"), (10, "十"), (12, "十二"), (20, "二十"),
                                      (105, "一百零五"), (1010, "一千零一十"), (20000, "二万"),
                                      (100001, "十万零一")])
def test_cn_number(n, words):
    assert cn_number(n) == words


def test_cn_date_has_no_leading_zeros():
    assert cn_date("2025-10-09") == "2025年10月9日"
    assert cn_date("2025-01-31") == "2025年1月31日"
