"""The dashboards' charts: the figures of services/ drawn by perfsite/charts.py, in the
reader's language, each with its numbers as a table and a one-line summary for screen
readers. The numbers drawn are the figures' own (tests compare them with the services')."""

from __future__ import annotations

from babel.dates import format_skeleton
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from ..charts import Marker, Series, bar_chart, horizontal_bar_chart, line_chart
from ..models import CheckInStatus
from .services import figures


def status_labels() -> dict[str, str]:
    labels = {s.value: str(s.label) for s in CheckInStatus}
    labels[figures.NO_CHECK_IN] = _("No check-in yet")
    return labels


def month_labels(months, skeleton: str = "yMMM") -> list[str]:
    """ "Jul 2026", "2026年7月": the month as the reader's language writes it ("MMM": "Jul",
    "7月", for a chart's axis)."""
    locale = get_locale() or "en"
    return [format_skeleton(skeleton, m, locale=locale) for m in months]


def target_progress_chart(targets: list[figures.TargetFigure]):
    names = [t.target.title for t in targets]
    values = [figures.percent(t.progress) for t in targets]
    return horizontal_bar_chart(
        chart_id="chart-targets", title=_("Progress of each strategy target"),
        summary="; ".join(f"{n}: {'—' if v is None else v}%" for n, v in zip(names, values,
                                                                             strict=True)),
        categories=names, series=[Series(_("Progress"), values)], unit="%", max_value=100,
        category_heading=_("Strategy target"))


def target_trend_charts(targets: list[figures.TargetFigure], months) -> list:
    """The targets' trends, four to a chart (one colour each)."""
    labels = month_labels(months)
    charts = []
    for start in range(0, len(targets), 4):
        group = targets[start:start + 4]
        charts.append(line_chart(
            chart_id=f"chart-trend-{start // 4}",
            title=_("Progress reported in check-ins, month by month"),
            summary=_("Weighted progress of the check-ins each month, per strategy target.")
            + " " + "; ".join(f"{t.target.title}: " + ", ".join(
                f"{m} {'—' if v is None else v}" for m, v in zip(labels, t.trend, strict=False))
                for t in group),
            categories=labels, series=[Series(t.target.title, t.trend) for t in group],
            unit="%", max_value=100, category_heading=_("Month"),
            axis_labels=month_labels(months, "MMM")))
    return charts


def contribution_chart(target: figures.TargetFigure, index: int, shown=None):
    """The departments contributing to a target (`shown`: those drawn, all by default)."""
    shown = target.contributions if shown is None else shown
    names = [c.name for c in shown]
    values = [figures.percent(c.progress) for c in shown]
    return horizontal_bar_chart(
        chart_id=f"chart-contrib-{index}",
        title=_("Departments contributing to “%(target)s”", target=target.target.title),
        summary="; ".join(f"{n}: {'—' if v is None else v}%" for n, v in zip(names, values,
                                                                             strict=True)),
        categories=names, series=[Series(_("Progress of its goals"), values)], unit="%",
        max_value=100, category_heading=_("Department"))


def ratings_chart(ratings: figures.Ratings, chart_id: str = "chart-ratings"):
    """The distribution (the scope's beside the company's) with the guidance as marks."""
    codes = [band.code for band in ratings.bands]
    markers = []
    for i, band in enumerate(ratings.bands):
        if band.guidance_max is not None:
            markers.append(Marker(i, band.guidance_max, _("at most %(share)s%%",
                                                         share=f"{band.guidance_max:g}")))
        if band.guidance_min is not None:
            markers.append(Marker(i, band.guidance_min, _("at least %(share)s%%",
                                                         share=f"{band.guidance_min:g}")))
    company = ratings.company
    series = []
    if ratings.scope is not None:
        series.append(Series(ngettext("%(department)s (%(num)d person)",
                                      "%(department)s (%(num)d people)", ratings.scope.total,
                                      department=ratings.scope.name),
                             [ratings.scope.share(c) for c in codes]))
    series.append(Series(ngettext("Company (%(num)d person)", "Company (%(num)d people)",
                                  company.total),
                         [company.share(c) for c in codes]))
    shown = ratings.scope or company
    return bar_chart(
        chart_id=chart_id, title=_("Final ratings beside the guidance"),
        summary=", ".join(f"{c}: {shown.share(c)}% ({shown.count(c)})" for c in codes),
        categories=codes, series=series, unit="%", max_value=100, markers=markers,
        category_heading=_("Rating"), marker_heading=_("Guidance"))


def completion_chart(rows, chart_id: str = "chart-completion"):
    names = [r.name for r in rows]
    own = [figures.share(r.self_done, r.people) for r in rows]
    manager = [figures.share(r.manager_done, r.people) for r in rows]
    return horizontal_bar_chart(
        chart_id=chart_id, title=_("Reviews submitted, by department"),
        summary="; ".join(f"{n}: {a}% / {b}%" for n, a, b in zip(names, own, manager,
                                                                 strict=True)),
        categories=names, series=[Series(_("Self-reviews"), own),
                                  Series(_("Manager reviews"), manager)],
        unit="%", max_value=100, category_heading=_("Department"))


def status_chart(statuses: dict, names: dict, chart_id: str = "chart-statuses"):
    """How many KPIs stand at each latest status, per department."""
    labels = status_labels()
    departments = sorted(statuses, key=lambda d: names.get(d, ""))
    categories = [names.get(d, "—") for d in departments]
    series = [Series(labels[s], [statuses[d][s] for d in departments], css=f"status-{s}")
              for s in figures.STATUSES]
    return horizontal_bar_chart(
        chart_id=chart_id, title=_("KPIs by their latest status, per department"),
        summary="; ".join(f"{c}: " + ", ".join(f"{labels[s]} {statuses[d][s]}"
                                               for s in figures.STATUSES)
                          for c, d in zip(categories, departments, strict=True)),
        categories=categories, series=series, places=0, category_heading=_("Department"))


def phase_chart(rows: list[figures.DepartmentProgress], chart_id: str = "chart-phases"):
    """The cycle's progress, phase by phase, over the departments shown."""
    people = sum(r.people for r in rows)
    kpis = sum(r.kpis for r in rows)
    categories = [_("Plans approved"), _("KPIs with a check-in"), _("Self-reviews submitted"),
                  _("Manager reviews submitted")]
    values = [figures.share(sum(r.plans_approved for r in rows), people),
              figures.share(sum(r.kpis_checked_in for r in rows), kpis),
              figures.share(sum(r.self_done for r in rows), people),
              figures.share(sum(r.manager_done for r in rows), people)]
    return horizontal_bar_chart(
        chart_id=chart_id, title=_("The cycle's progress, phase by phase"),
        summary="; ".join(f"{c}: {'—' if v is None else v}%" for c, v in zip(categories, values,
                                                                             strict=True)),
        categories=categories, series=[Series(_("Done"), values)], unit="%", max_value=100,
        category_heading=_("Step"))


def my_kpis_chart(lines):
    names = [line.kpi.title for line in lines]
    values = [figures.percent(line.progress) for line in lines]
    return horizontal_bar_chart(
        chart_id="chart-my-kpis", title=_("My KPIs' progress"),
        summary="; ".join(f"{n}: {v}%" for n, v in zip(names, values, strict=True)),
        categories=names, series=[Series(_("Progress"), values)], unit="%", max_value=100,
        category_heading=_("KPI"))


def history_chart(history, scale_max: int = 5):
    names = [cycle.name for cycle, _result in history]
    values = [result.final_score for _cycle, result in history]
    return bar_chart(
        chart_id="chart-history", title=_("My final scores, cycle by cycle"),
        summary="; ".join(f"{n}: {v} ({r.final_band})" for n, v, (_c, r) in zip(
            names, values, history, strict=True)),
        categories=names, series=[Series(_("Final score"), values)], max_value=scale_max,
        category_heading=_("Cycle"), places=2)


def interview_chart(rows, interviews: dict, chart_id: str = "chart-interviews"):
    """Interviews finished, of the people in the cycle's reviews, by department."""
    names = [r.name for r in rows]
    held = [figures.share(interviews[r.department_id].finished if r.department_id in interviews
                          else 0, r.people) for r in rows]
    return horizontal_bar_chart(
        chart_id=chart_id, title=_("Feedback interviews finished, by department"),
        summary="; ".join(f"{n}: {v}%" for n, v in zip(names, held, strict=True)),
        categories=names, series=[Series(_("Interviews finished"), held)], unit="%",
        max_value=100, category_heading=_("Department"))


def feedback_chart(rows, chart_id: str = "chart-feedback"):
    """360 feedback answered, of the feedback requested, by department (counts only)."""
    names = [r.name for r in rows]
    # Rows whose counts are below the anonymity threshold for this reader have no bar.
    answered = [figures.share(r.submitted, r.requested) if r.exact else None for r in rows]
    return horizontal_bar_chart(
        chart_id=chart_id, title=_("360 feedback answered, by department"),
        summary="; ".join(f"{r.name}: {r.shown('submitted')}/{r.requested}" for r in rows),
        categories=names, series=[Series(_("Answered"), answered)], unit="%", max_value=100,
        category_heading=_("Department"))
