"""The XLSX export's second sheet «Phễu học»: the funnel and the cohorts of the export's
scope, read back with openpyxl."""

import openpyxl

from bot.admin import export as exp
from bot.admin.reports.service import ReportService
from bot.admin.roles import PROVINCE, Filter, Scope
from lessons.limits import LEARNER_GROUPS
from tests.thidua.conftest import COMMUNE_A, NAME_A, NAME_B, TZ


async def sheet(sessions, catalog, tmp_path, flt, scope) -> list[tuple]:
    job = exp.Export("xlsx", flt, "admin:test", scope)
    path = tmp_path / "p.xlsx"
    reports = ReportService(sessions, catalog, ttl=0)
    await exp.write_export(sessions, catalog, reports, job, path, TZ)
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        assert wb.sheetnames == ["Tổng hợp", "Phễu học", "Tiến độ học"]
        return [r for r in wb["Phễu học"].iter_rows(values_only=True) if any(r)]
    finally:
        wb.close()


async def test_the_funnel_sheet_of_the_province(sessions, catalog, province, tmp_path):
    rows = await sheet(sessions, catalog, tmp_path, Filter(), PROVINCE)
    by_label = {}
    for r in rows:
        by_label.setdefault(r[0], []).append(r[1:6])
    assert rows[0][0] == "Phễu học tập"
    head = next(r for r in rows if r[0] == "Nhóm người học")
    assert head[1:6] == (
        "Đã đăng ký học",
        "Học xong bài đầu tiên",
        "Học xong nửa lộ trình",
        "Học xong phần cơ bản",
        "Thành thạo",
    )
    assert by_label["Tổng"] == [(6, 5, 3, 4, 1), (6, 5, 3, 4, 1)]  # under each section
    assert by_label[LEARNER_GROUPS["dan"]] == [(6, 5, 3, 4, 1)]
    assert by_label[NAME_A] == [(4, 3, 2, 2, 1)]
    assert by_label[NAME_B] == [(2, 2, 1, 2, 0)]
    pcts = next(r for r in rows if r[0].startswith("Tỷ lệ so với"))
    assert pcts[1:6] == (100, 83.3, 50, 66.7, 16.7)
    cohort_head = next(r for r in rows if r[0] == "Tuần tham gia")
    assert cohort_head[1:4] == ("Số người", "Tuần 0", "Tuần 1")
    weeks = rows[rows.index(cohort_head) + 1 :]
    assert len(weeks) == 12 and sum(r[1] for r in weeks) == 6


async def test_a_communes_export_has_its_funnel_by_unit(sessions, catalog, province, tmp_path):
    rows = await sheet(
        sessions, catalog, tmp_path, Filter(commune=COMMUNE_A), Scope("commune", COMMUNE_A)
    )
    labels = [r[0] for r in rows]
    assert "Đơn vị" in labels and "Xã, phường" not in labels
    assert NAME_B not in labels
    unit = next(r for r in rows if r[0] == "UBND phường Đức Xuân")
    assert unit[1:6] == (2, 2, 2, 2, 1)
    assert next(r for r in rows if r[0] == "Tổng")[1:6] == (4, 3, 2, 2, 1)
