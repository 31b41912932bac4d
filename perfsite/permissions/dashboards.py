"""Dashboards, exports and the printable review.

Every dashboard and export shows no more than the pages it sums up: the executive view is
the company's (executives and HR), a head's view covers the departments they manage, HR's
view is HR's, and everyone has their own. Exports carry the same scope as the pages
(`dashboard_scope`); peer feedback reaches them only through the 360 report's anonymity
rule. The printable review is the results page on paper: `can_view_results` decides.
"""

from __future__ import annotations

from .org import can_use_cycle, is_head, is_hr, managed_department_ids, sees_whole_company
from .reviews import can_view_results, can_view_review_completion


def dashboard_scope(user) -> frozenset[int] | None:
    """Department ids whose figures `user` may read on dashboards and in exports; None
    means the whole company."""
    if sees_whole_company(user):
        return None
    return managed_department_ids(user)


def can_view_my_dashboard(user) -> bool:
    return user.is_authenticated


def can_view_executive_dashboard(user) -> bool:
    return sees_whole_company(user)


def can_view_team_dashboard(user) -> bool:
    return user.is_authenticated and is_head(user)


def can_view_hr_dashboard(user) -> bool:
    return is_hr(user)


def can_export(user, cycle) -> bool:
    """Export a cycle's goals, KPIs and check-ins (in the user's scope)."""
    return (sees_whole_company(user) or is_head(user)) and can_use_cycle(user, cycle)


def can_export_completion(user, cycle) -> bool:
    return can_view_review_completion(user, cycle)


def can_export_results(user, cycle) -> bool:
    """Final results with outcomes: HR and executives, a head for the people they manage."""
    return sees_whole_company(user) or is_head(user)


def can_print_review(user, result):
    """`result`: the person's ReviewResult in the cycle (saved, or none yet)."""
    return can_view_results(user, result)

