"""Holiday notices the calendar tests load (`sanxiang calendar load`), as an operator writes
them; the published ones are files under tests/unit/calendar_notices/."""
from __future__ import annotations

# Not a State Council notice: a fixture in the notice format, as an operator would write the
# 2027 notice once it is published. Nothing in it is taken for the real 2027.
FIXTURE_2027 = """\
years:
  2027:
    source: 测试用 (test fixture, not the notice) 国务院办公厅关于2027年部分节假日安排的通知
    complete: true
    holidays:
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03, days: 3}
      - {name: 春节, from: 2027-02-06, to: 2027-02-12}
    workdays:
      - {name: 春节, date: 2027-02-20}
"""

# A calendar file covering 2027's New Year alone (not the notice either): enough for a command
# that must see a year covered.
NEW_YEAR_2027 = """
years:
  2027:
    source: test fixture, not the State Council notice
    complete: true
    holidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-03}]
"""
